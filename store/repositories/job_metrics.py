"""Aggregates over the job tables for ``/metrics``: one small query each, no rows loaded.

Read from the database, so every process that serves ``/metrics`` reports the same numbers
whichever worker ran the jobs: runs by kind and status, records by outcome (the sum of the
runs' counts), run durations as a histogram per kind (ended runs that started), outbox
entries by status, dead letters not yet replayed, quarantined records not yet resolved.
Durations are computed in SQL (``julianday``, to the millisecond, on SQLite; ``epoch`` on
PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from store.models.jobs import DeadLetter, JobRun
from store.models.outbox import OutboxEntry
from store.models.quarantine import QuarantinedRecord

__all__ = ["RECORD_OUTCOMES", "DurationHistogram", "JobMetricsRepository"]

RECORD_OUTCOMES: dict[str, InstrumentedAttribute[int]] = {
    "read": JobRun.records_read,
    "inserted": JobRun.records_inserted,
    "updated": JobRun.records_updated,
    "unchanged": JobRun.records_unchanged,
    "quarantined": JobRun.records_quarantined,
    "deleted": JobRun.records_deleted,
}


@dataclass(frozen=True)
class DurationHistogram:
    """Ended runs of one kind: cumulative counts per upper bound, their count and sum."""

    kind: str
    buckets: list[int]
    count: int
    total_seconds: float


class JobMetricsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def runs_by_kind_and_status(self) -> dict[tuple[str, str], int]:
        stmt = select(JobRun.kind, JobRun.status, func.count()).group_by(JobRun.kind, JobRun.status)
        return {(k, s): int(n) for k, s, n in (await self.session.execute(stmt)).all()}

    async def records_by_kind_and_outcome(self) -> dict[tuple[str, str], int]:
        columns = [func.coalesce(func.sum(c), 0) for c in RECORD_OUTCOMES.values()]
        stmt = select(JobRun.kind, *columns).group_by(JobRun.kind)
        found: dict[tuple[str, str], int] = {}
        for kind, *sums in (await self.session.execute(stmt)).all():
            for outcome, total in zip(RECORD_OUTCOMES, sums, strict=True):
                found[(kind, outcome)] = int(total)
        return found

    def _seconds(self) -> ColumnElement[float]:
        if self.session.get_bind().dialect.name == "sqlite":
            days = func.julianday(JobRun.ended_at) - func.julianday(JobRun.started_at)
            return cast(func.round(days * 86400.0, 3), Float)  # julianday: ~40 µs precision
        return cast(extract("epoch", JobRun.ended_at - JobRun.started_at), Float)

    async def durations(self, bounds: Sequence[float]) -> list[DurationHistogram]:
        seconds = self._seconds()
        per_bound = [func.sum(case((seconds <= b, 1), else_=0)) for b in bounds]
        stmt = (
            select(JobRun.kind, func.count(), func.coalesce(func.sum(seconds), 0.0), *per_bound)
            .where(JobRun.started_at.is_not(None), JobRun.ended_at.is_not(None))
            .group_by(JobRun.kind)
        )
        return [
            DurationHistogram(kind, [int(b or 0) for b in buckets], int(count), float(total))
            for kind, count, total, *buckets in (await self.session.execute(stmt)).all()
        ]

    async def outbox_by_status(self) -> dict[str, int]:
        stmt = select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
        return {status: int(n) for status, n in (await self.session.execute(stmt)).all()}

    async def dead_letters_waiting(self) -> int:
        stmt = select(func.count()).where(DeadLetter.replayed_at.is_(None))
        return int(await self.session.scalar(stmt) or 0)

    async def quarantined_unresolved(self) -> dict[tuple[str, str], int]:
        stmt = (
            select(QuarantinedRecord.connector, QuarantinedRecord.stream, func.count())
            .where(QuarantinedRecord.resolved_at.is_(None))
            .group_by(QuarantinedRecord.connector, QuarantinedRecord.stream)
        )
        return {(c, s): int(n) for c, s, n in (await self.session.execute(stmt)).all()}
