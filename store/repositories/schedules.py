"""Cron schedules: list, add, change, remove, find the due ones, and claim one by compare-and-set.

``claim`` is what makes any number of schedulers safe: it moves ``next_run_at`` from the value
the caller saw to the next slot with ``UPDATE … WHERE id = :id AND next_run_at = :seen``, and
only the caller whose statement changed the row (rowcount 1) owns that run. On PostgreSQL a
concurrent claimer blocks on the row lock, re-reads the row after the winner commits and
matches nothing; on SQLite writers are serialised by the database lock. Like every repository,
nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models.connector import ConnectorRow
from store.models.jobs import JobRun, Schedule

__all__ = ["DueSchedule", "ScheduleRepository"]


@dataclass(frozen=True)
class DueSchedule:
    """A schedule whose time has come, with the status of the last run it started."""

    schedule: Schedule
    last_status: str | None
    last_active_at: datetime | None


class ScheduleRepository:
    """Schedule rows in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Schedule]:
        return (await self.session.scalars(select(Schedule).order_by(Schedule.name))).all()

    async def connector_configs(self) -> Sequence[tuple[str, str]]:
        """(name, public config JSON) of every stored connector: no secrets are read."""
        stmt = select(ConnectorRow.name, ConnectorRow.config_json).order_by(ConnectorRow.name)
        return [(name, config) for name, config in (await self.session.execute(stmt)).all()]

    async def add(self, schedule: Schedule) -> Schedule:
        self.session.add(schedule)
        await self.session.flush()
        return schedule

    async def remove(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        result = await self.session.execute(delete(Schedule).where(Schedule.id.in_(list(ids))))
        return int(getattr(result, "rowcount", 0))

    async def due(self, now: datetime) -> list[DueSchedule]:
        """Enabled schedules with ``next_run_at <= now``, earliest first, with their last run."""
        active_at = JobRun.heartbeat_at
        stmt = (
            select(Schedule, JobRun.status, active_at, JobRun.started_at, JobRun.queued_at)
            .outerjoin(JobRun, JobRun.id == Schedule.last_run_id)
            .where(Schedule.enabled.is_(True), Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at, Schedule.id)
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            DueSchedule(schedule, status, heartbeat or started or queued)
            for schedule, status, heartbeat, started, queued in rows
        ]

    async def claim(
        self, schedule_id: int, seen: datetime, next_run_at: datetime, now: datetime
    ) -> bool:
        """Move the schedule from ``seen`` to ``next_run_at``; True only for the one caller
        whose statement found ``next_run_at`` still at ``seen``."""
        stmt = (
            update(Schedule)
            .where(Schedule.id == schedule_id, Schedule.next_run_at == seen)
            .values(next_run_at=next_run_at, last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return int(getattr(result, "rowcount", 0)) == 1

    async def set_last_run(self, schedule_id: int, run_id: int) -> None:
        stmt = (
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .values(last_run_id=run_id)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)
