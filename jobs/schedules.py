"""What the scheduler runs: cron expressions per stream and for the periodic jobs.

Each stored connector's stream with a ``schedule`` (a cron expression) becomes the schedule
``sync:<connector>:<stream>`` (a job run of kind ``sync``, incremental); each periodic job in
``PERIODIC_JOBS`` (the outbox sweep now; accruals, forecasts and alerts later) becomes the
schedule named after it, with the cron expression its setting gives ('' turns it off).
``sync_schedules`` makes the ``schedules`` table match: new ones are added with their first
slot after ``now``, a changed expression moves ``next_run_at`` to its next slot, and the
schedules of deleted streams and connectors are removed. An unchanged schedule keeps its
``next_run_at``: that value is what concurrent schedulers compare-and-set.

A cron expression that does not parse (or never fires) is an ``InvalidSchedule`` naming the
schedule and what is wrong: it is reported and not scheduled, and the others go on. Times are
computed in the schedule's time zone (UTC by default) and stored in UTC.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.errors import JobError
from settings import Settings
from store.models.jobs import Schedule
from store.repositories.schedules import ScheduleRepository

__all__ = [
    "PERIODIC_JOBS",
    "SYNC_KIND",
    "InvalidSchedule",
    "PeriodicJob",
    "ScheduleSync",
    "WantedSchedule",
    "next_run_time",
    "sync_schedule_name",
    "sync_schedules",
    "wanted_schedules",
]

log = logging.getLogger("channelhub.scheduler")

SYNC_KIND = "sync"
_NAME_LENGTH = 200  # Schedule.name


class InvalidSchedule(JobError):
    """A cron expression that does not parse or never fires; names the schedule."""

    kind = "config_error"

    def __init__(self, name: str, cron: str, problem: str) -> None:
        super().__init__(f"schedule {name!r}: cron expression {cron!r} is invalid: {problem}")
        self.name = name
        self.cron = cron
        self.problem = problem


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler starts on a cron expression read from the settings."""

    name: str
    kind: str
    cron: Callable[[Settings], str]


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("outbox-sweep", "outbox_sweep", lambda settings: settings.outbox_sweep_cron),
    PeriodicJob("rebate-accrual", "rebate_accrual", lambda settings: settings.rebate_accrual_cron),
    PeriodicJob("forecast", "forecast", lambda settings: settings.forecast_cron),
    PeriodicJob("health-scores", "health_scores", lambda settings: settings.health_score_cron),
    PeriodicJob(
        "purchase-points", "purchase_points", lambda settings: settings.purchase_points_cron
    ),
]
"""Periodic jobs by schedule name; ``kind`` is the job run kind the worker runs."""


@dataclass(frozen=True)
class WantedSchedule:
    name: str
    kind: str
    cron: str
    connector: str | None = None
    stream: str | None = None
    timezone: str = "UTC"


@dataclass
class ScheduleSync:
    """What ``sync_schedules`` changed, and the schedules it refused."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    invalid: list[InvalidSchedule] = field(default_factory=list)


def sync_schedule_name(connector: str, stream: str) -> str:
    """``sync:<connector>:<stream>``, shortened with a digest if it would not fit the column."""
    name = f"sync:{connector}:{stream}"
    if len(name) <= _NAME_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: _NAME_LENGTH - 17]}~{digest}"


def next_run_time(name: str, cron: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first slot of ``cron`` strictly after ``after`` (UTC, whole seconds).

    Raises ``InvalidSchedule`` naming ``name`` when the expression does not parse, never
    fires, or the time zone is unknown.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(name, cron, f"unknown time zone {timezone!r}") from None
    if not croniter.is_valid(cron):
        raise InvalidSchedule(name, cron, "it does not parse (five fields: min hour day month dow)")
    try:
        found = croniter(cron, after.astimezone(zone)).get_next(datetime)
    except CroniterError:
        raise InvalidSchedule(name, cron, "it never fires") from None
    return found.astimezone(UTC).replace(microsecond=0)


def _stream_schedules(connector: str, config_json: str) -> list[WantedSchedule]:
    config = json.loads(config_json)
    wanted = []
    for stream in config.get("streams") or []:
        cron = stream.get("schedule") if isinstance(stream, dict) else None
        if isinstance(cron, str) and cron.strip():
            name = sync_schedule_name(connector, str(stream.get("name")))
            wanted.append(
                WantedSchedule(name, SYNC_KIND, cron.strip(), connector, str(stream.get("name")))
            )
    return wanted


def wanted_schedules(connectors: list[tuple[str, str]], settings: Settings) -> list[WantedSchedule]:
    """Every schedule that should exist: per (connector, stream), then the periodic jobs."""
    wanted = [w for name, config in connectors for w in _stream_schedules(name, config)]
    for job in PERIODIC_JOBS:
        cron = job.cron(settings).strip()
        if cron:
            wanted.append(WantedSchedule(job.name, job.kind, cron))
    return wanted


async def _apply(
    session: AsyncSession, settings: Settings, now: datetime, report: ScheduleSync
) -> None:
    repository = ScheduleRepository(session)
    wanted: dict[str, tuple[WantedSchedule, datetime]] = {}
    for schedule in wanted_schedules(list(await repository.connector_configs()), settings):
        try:
            first = next_run_time(schedule.name, schedule.cron, now, schedule.timezone)
        except InvalidSchedule as invalid:
            report.invalid.append(invalid)
            continue
        wanted[schedule.name] = (schedule, first)
    stale = []
    for row in await repository.all():
        found = wanted.pop(row.name, None)
        if found is None:
            stale.append(row)
            continue
        schedule, first = found
        if (row.cron, row.timezone, row.kind) != (schedule.cron, schedule.timezone, schedule.kind):
            row.cron, row.timezone, row.kind = schedule.cron, schedule.timezone, schedule.kind
            row.next_run_at = first
            report.updated.append(row.name)
    await repository.remove([row.id for row in stale])
    report.removed.extend(row.name for row in stale)
    for schedule, first in wanted.values():
        await repository.add(
            Schedule(
                name=schedule.name,
                kind=schedule.kind,
                connector=schedule.connector,
                stream=schedule.stream,
                cron=schedule.cron,
                timezone=schedule.timezone,
                next_run_at=first,
            )
        )
        report.created.append(schedule.name)


async def sync_schedules(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> ScheduleSync:
    """Make the ``schedules`` table match the stored connectors and the periodic jobs.

    Invalid cron expressions are in the report's ``invalid`` (and logged), not stored. Safe
    to run from several schedulers at once: one that loses an insert race to another sees
    the winner's rows on its second try.
    """
    now = now or datetime.now(UTC)
    for attempt in range(2):
        report = ScheduleSync()
        try:
            async with sessions.begin() as session:
                await _apply(session, settings, now, report)
        except IntegrityError:
            if attempt:
                raise
            continue
        break
    for invalid in report.invalid:
        log.warning("%s; it is not scheduled", invalid)
    return report
