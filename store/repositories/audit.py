"""Reading the audit trail for the security auditor: filtered, newest first, keyset pages.

Entries are not owned by a partner, so there is no channel scope to apply; instead every
read takes the viewer and returns nothing unless it may read the audit trail
(``audit:read``). Writes belong to ``security.audit.AuditLog`` alone; this module never
writes, and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from security.viewer import Permission, Viewer
from store.models import AuditEntry
from store.pagination import INT, Page, SortKey, Window, fetch_page

# The chain position grows with time, so the newest entries have the highest ids.
NEWEST_FIRST = SortKey("NEWEST_FIRST", AuditEntry.id, descending=True, parse=INT)


@dataclass(frozen=True)
class AuditFilter:
    """Exact matches on who/what/where/outcome, and a time range ``since <= at < until``."""

    actor: str | None = None
    action: str | None = None
    table: str | None = None
    column: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository:
    def __init__(self, session: AsyncSession, viewer: Viewer | None) -> None:
        self.session = session
        self.viewer = viewer

    def visible(self) -> ColumnElement[bool]:
        if self.viewer is not None and self.viewer.can(Permission.AUDIT_READ):
            return true()
        return false()

    def matching(self, filter_: AuditFilter | None) -> Select[Any]:
        stmt = select(AuditEntry).where(self.visible())
        if filter_ is None:
            return stmt
        for column, wanted in (
            (AuditEntry.actor, filter_.actor),
            (AuditEntry.action, filter_.action),
            (AuditEntry.table_name, filter_.table),
            (AuditEntry.column_name, filter_.column),
            (AuditEntry.outcome, filter_.outcome),
        ):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        if filter_.since is not None:
            stmt = stmt.where(AuditEntry.at >= filter_.since)
        if filter_.until is not None:
            stmt = stmt.where(AuditEntry.at < filter_.until)
        return stmt

    async def page(self, filter_: AuditFilter | None, window: Window) -> Page[AuditEntry]:
        return await fetch_page(
            self.session, self.matching(filter_), NEWEST_FIRST, AuditEntry.id, window
        )

    async def count(self, filter_: AuditFilter | None) -> int:
        stmt = select(func.count()).select_from(self.matching(filter_).subquery())
        return int(await self.session.scalar(stmt) or 0)
