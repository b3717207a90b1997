"""The scheduler: starts each due schedule's job run exactly once, however many are running.

``tick(sessions, now)`` looks for enabled schedules with ``next_run_at <= now`` and, for
each, CLAIMS it by compare-and-set (``store.repositories.schedules``: ``UPDATE schedules SET
next_run_at = :next, last_run_at = :now WHERE id = :id AND next_run_at = :seen``; rowcount 1
means ours). In the same transaction it creates the job run (``jobs.runs.create_run``,
``trigger="schedule"``) and notes it on the schedule; it commits, then enqueues the run
(``jobs.dispatch.enqueue_run``). Another scheduler that saw the same slot matches nothing
and moves on, so each due run is enqueued once. ``:next`` is the first slot after ``now``:
slots missed while no scheduler ran are run once, not once per missed slot.

A schedule whose previous run is still QUEUED or RUNNING (and showed life within
``settings.scheduler_stale_run_seconds``) skips its slot: a sync slower than its cron does
not pile up runs. A run that could not be enqueued (``BrokerUnavailable``) is marked FAILED
with that reason, and the next slot tries again.

``run_scheduler`` loops — ``sync_schedules`` (``jobs.schedules``), ``tick``, then
``jobs.requeue.requeue_stale_runs`` (a run still QUEUED ``job_requeue_after_seconds`` after
it was sent is sent again: its message was lost) every ``scheduler_interval_seconds`` —
until its stop event is set; a failing pass is logged and the loop goes on.
``EmbeddedScheduler`` runs that loop as a task of the server's event loop (``serve``/``demo``,
when ``embedded_scheduler`` is on); ``channelhub scheduler`` runs it in a process of its own
(``jobs.scheduler_command``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.requeue import requeue_after, requeue_stale_runs
from jobs.runs import FINAL, create_run, fail_run
from jobs.schedules import InvalidSchedule, next_run_time, sync_schedules
from settings import Settings
from store.repositories.schedules import DueSchedule, ScheduleRepository

__all__ = ["EmbeddedScheduler", "Enqueue", "run_scheduler", "tick"]

log = logging.getLogger("channelhub.scheduler")

Enqueue = Callable[[int, str], str]
"""``enqueue(run_id, kind) -> message id``: ``jobs.dispatch.enqueue_run`` by default."""

SCHEDULER = "scheduler"


def _default_enqueue() -> Enqueue:
    from jobs.dispatch import enqueue_run

    return enqueue_run


def _previous_still_active(due: DueSchedule, now: datetime, stale_after: timedelta) -> bool:
    if due.last_status is None or due.last_status in FINAL:
        return False
    return due.last_active_at is not None and now - due.last_active_at < stale_after


async def _claim_and_create(
    sessions: async_sessionmaker[AsyncSession], due: DueSchedule, now: datetime, start: bool
) -> tuple[int, str] | None:
    """Claim ``due``'s slot; when ``start``, create its run in the same transaction."""
    schedule = due.schedule
    try:
        following = next_run_time(schedule.name, schedule.cron, now, schedule.timezone)
    except InvalidSchedule as invalid:  # edited in the table by hand: say so, leave it
        log.warning("%s; it does not run", invalid)
        return None
    async with sessions.begin() as session:
        repository = ScheduleRepository(session)
        if not await repository.claim(schedule.id, schedule.next_run_at, following, now):
            return None  # another scheduler claimed this slot
        if not start:
            log.info("schedule %r: previous run still active; slot skipped", schedule.name)
            return None
        run = await create_run(
            session,
            kind=schedule.kind,
            connector=schedule.connector,
            stream=schedule.stream,
            mode="incremental" if schedule.stream else None,
            trigger="schedule",
            requested_by=SCHEDULER,
            params={"schedule": schedule.name, "slot": schedule.next_run_at.isoformat()},
        )
        await repository.set_last_run(schedule.id, run.id)
        return run.id, run.kind


async def _enqueue(
    sessions: async_sessionmaker[AsyncSession], enqueue: Enqueue, run_id: int, kind: str
) -> bool:
    try:
        await asyncio.to_thread(enqueue, run_id, kind)
    except Exception as error:
        log.warning("scheduled run %s not enqueued (%s); FAILED", run_id, type(error).__name__)
        async with sessions.begin() as session:
            await fail_run(session, run_id, error)
        return False
    return True


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime | None = None,
    *,
    enqueue: Enqueue | None = None,
    stale_after: timedelta = timedelta(hours=1),
) -> list[int]:
    """Start every due schedule this scheduler claims; the ids of the runs it enqueued."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    send = enqueue or _default_enqueue()
    async with sessions() as session:
        due = await ScheduleRepository(session).due(now)
    random.shuffle(due)  # concurrent schedulers start on different rows, not all on the first
    started: list[int] = []
    for item in due:
        start = not _previous_still_active(item, now, stale_after)
        created = await _claim_and_create(sessions, item, now, start)
        if created is not None and await _enqueue(sessions, send, *created):
            started.append(created[0])
    return started


async def run_scheduler(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    *,
    enqueue: Enqueue | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Sync the schedules and tick every ``scheduler_interval_seconds`` until ``stop``."""
    stale_after = timedelta(seconds=settings.scheduler_stale_run_seconds)
    log.info("scheduler started (every %ss)", settings.scheduler_interval_seconds)
    while not stop.is_set():
        try:
            now = clock()
            await sync_schedules(sessions, settings, now)
            started = await tick(sessions, now, enqueue=enqueue, stale_after=stale_after)
            if started:
                log.info("scheduler enqueued runs %s", started)
            resent = await requeue_stale_runs(
                sessions, older_than=requeue_after(settings), now=now, enqueue=enqueue
            )
            if resent:
                log.info("scheduler sent stranded runs %s again", resent)
        except Exception as error:
            log.warning("scheduler pass failed (%s); next pass goes on", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.scheduler_interval_seconds)
    log.info("scheduler stopped")


class EmbeddedScheduler:
    """``run_scheduler`` as a task on the current event loop (the server's lifespan)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        enqueue: Enqueue | None = None,
    ) -> None:
        self.sessions, self.settings, self.enqueue = sessions, settings, enqueue
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop_task = run_scheduler(self.sessions, self.settings, self._stop, enqueue=self.enqueue)
        self._task = asyncio.create_task(loop_task, name="channelhub-scheduler")

    async def stop(self) -> None:
        """Stop after the current pass (a pass is short: a few queries and sends)."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
