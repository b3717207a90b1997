"""Read-only pages of what jobs left for people to look at: quarantined records, dead letters.

Keyset pages (``store.pagination``), newest first, with a count on demand. Rows are handed
out whole, but the graph never shows a quarantined record's sealed payload nor a dead
letter's message body (``schema.jobs``). These are operator views, not channel data: the
caller checks ``jobs:manage`` before reading; there is no viewer scope to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models.jobs import DeadLetter
from store.models.quarantine import QuarantinedRecord
from store.pagination import Page, SortKey, Window, fetch_page

__all__ = ["DeadLetterFilter", "JobViewsRepository", "QuarantineFilter"]

QUARANTINE_NEWEST = SortKey("NEWEST_FIRST", QuarantinedRecord.id, descending=True, parse=int)
DEAD_LETTERS_NEWEST = SortKey("NEWEST_FIRST", DeadLetter.id, descending=True, parse=int)


@dataclass(frozen=True)
class QuarantineFilter:
    connector: str | None = None
    stream: str | None = None
    unresolved_only: bool = True


@dataclass(frozen=True)
class DeadLetterFilter:
    replayed: bool | None = None  # None: both


def _quarantine_where(f: QuarantineFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if f.connector is not None:
        clauses.append(QuarantinedRecord.connector == f.connector)
    if f.stream is not None:
        clauses.append(QuarantinedRecord.stream == f.stream)
    if f.unresolved_only:
        clauses.append(QuarantinedRecord.resolved_at.is_(None))
    return clauses


def _dead_letter_where(f: DeadLetterFilter) -> list[ColumnElement[bool]]:
    if f.replayed is None:
        return []
    column = DeadLetter.replayed_at
    return [column.is_not(None) if f.replayed else column.is_(None)]


class JobViewsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def quarantined(self, f: QuarantineFilter, window: Window) -> Page[QuarantinedRecord]:
        stmt: Select[Any] = select(QuarantinedRecord).where(*_quarantine_where(f))
        return await fetch_page(self.session, stmt, QUARANTINE_NEWEST, QuarantinedRecord.id, window)

    async def count_quarantined(self, f: QuarantineFilter) -> int:
        stmt = select(func.count()).select_from(QuarantinedRecord).where(*_quarantine_where(f))
        return int(await self.session.scalar(stmt) or 0)

    async def dead_letters(self, f: DeadLetterFilter, window: Window) -> Page[DeadLetter]:
        stmt: Select[Any] = select(DeadLetter).where(*_dead_letter_where(f))
        return await fetch_page(self.session, stmt, DEAD_LETTERS_NEWEST, DeadLetter.id, window)

    async def count_dead_letters(self, f: DeadLetterFilter) -> int:
        stmt = select(func.count()).select_from(DeadLetter).where(*_dead_letter_where(f))
        return int(await self.session.scalar(stmt) or 0)
