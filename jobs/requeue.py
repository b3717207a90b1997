"""Re-sending stranded job runs: a run still QUEUED long after it was sent is sent again.

A broker can lose a message that was handed to it: Redis without persistence loses its
queues on a restart, and a live dramatiq worker whose consumer meets a connection error
drops the messages it had prefetched while their ids stay in its acks set (Redis only
requeues the acks of DEAD workers). The job run then stays QUEUED forever. The database is
the truth, so the scheduler sweeps it: ``requeue_stale_runs`` finds QUEUED runs whose last
send (``queued_at``) and last sign of life (``heartbeat_at``, set when an attempt started)
are both older than ``older_than`` and, for each, CLAIMS it by compare-and-set::

    UPDATE job_runs SET message_id = :marker, queued_at = :now
     WHERE id = :id AND status = 'QUEUED' AND queued_at <= :cutoff
       AND (heartbeat_at IS NULL OR heartbeat_at <= :cutoff)
       AND message_id IS NOT DISTINCT FROM :seen

commits, then sends the run again (``jobs.dispatch.enqueue_run``) and stores the new
message id. Of two schedulers sweeping at once exactly one claim matches, so a stale run is
sent again once per ``older_than``. A send the broker refuses puts the run's previous
``queued_at``/``message_id`` back (the next pass tries again) and is logged; nothing raises
out of a sweep but a database error.

``queued_at`` therefore reads "when the run was last put on a queue". A run re-sent while
its first message was in fact only slow is safe: every message carries the run id, a final
run is never started again (``start_run`` is a compare-and-set), so the later message finds
nothing to do. Keep ``older_than`` above the longest queue wait and retry backoff you
expect (``run_scheduler`` never uses less than ``job_max_backoff_ms`` + one interval).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.runs import QUEUED
from settings import Settings
from store.models.jobs import JobRun

__all__ = ["DEFAULT_LIMIT", "Enqueue", "requeue_after", "requeue_stale_runs"]

log = logging.getLogger("channelhub.scheduler")

Enqueue = Callable[[int, str], str]
"""``enqueue(run_id, kind) -> message id``: ``jobs.dispatch.enqueue_run`` by default."""

DEFAULT_LIMIT = 200
"""Runs re-sent per pass at most (the oldest first), so a long outage drains in steps."""

MARKER_PREFIX = "resend:"


def _default_enqueue() -> Enqueue:
    from jobs.dispatch import enqueue_run

    return enqueue_run


def requeue_after(settings: Settings) -> timedelta:
    """The sweep's threshold: ``job_requeue_after_seconds``, never less than the longest
    retry backoff plus one scheduler interval (a run waiting for its retry is not stranded)."""
    floor = settings.job_max_backoff_ms / 1000 + settings.scheduler_interval_seconds
    return timedelta(seconds=max(settings.job_requeue_after_seconds, floor))


def _stale(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        JobRun.status == QUEUED,
        JobRun.queued_at <= cutoff,
        or_(JobRun.heartbeat_at.is_(None), JobRun.heartbeat_at <= cutoff),
    )


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    run_id: int,
    seen: str | None,
    cutoff: datetime,
    now: datetime,
) -> str | None:
    """Our marker when this sweep won run ``run_id``; None when it is no longer stale."""
    marker = f"{MARKER_PREFIX}{uuid.uuid4().hex}"
    stmt = (
        update(JobRun)
        .where(JobRun.id == run_id, _stale(cutoff), JobRun.message_id.is_not_distinct_from(seen))
        .values(message_id=marker, queued_at=now)
        .execution_options(synchronize_session=False)
    )
    async with sessions.begin() as session:
        won = (await session.execute(stmt)).rowcount == 1  # type: ignore[attr-defined]
    return marker if won else None


async def _settle(
    sessions: async_sessionmaker[AsyncSession], run_id: int, marker: str, values: dict[str, object]
) -> None:
    stmt = (
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.message_id == marker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    async with sessions.begin() as session:
        await session.execute(stmt)


async def requeue_stale_runs(
    sessions: async_sessionmaker[AsyncSession],
    *,
    older_than: timedelta,
    now: datetime | None = None,
    enqueue: Enqueue | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[int]:
    """Send again each QUEUED run silent for ``older_than`` that this sweep claims; their ids."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    cutoff = now - older_than
    send = enqueue or _default_enqueue()
    query = (
        select(JobRun.id, JobRun.kind, JobRun.queued_at, JobRun.message_id)
        .where(_stale(cutoff))
        .order_by(JobRun.queued_at, JobRun.id)
        .limit(limit)
    )
    async with sessions() as session:
        stale = list((await session.execute(query)).all())
    random.shuffle(stale)  # concurrent sweeps start on different rows
    sent: list[int] = []
    for run_id, kind, queued_at, seen in stale:
        marker = await _claim(sessions, run_id, seen, cutoff, now)
        if marker is None:
            continue  # started, finished or re-sent by another scheduler meanwhile
        try:
            message_id = await asyncio.to_thread(send, run_id, kind)
        except Exception as error:
            log.warning("job run %s not sent again (%s)", run_id, type(error).__name__)
            await _settle(sessions, run_id, marker, {"message_id": seen, "queued_at": queued_at})
            continue
        await _settle(sessions, run_id, marker, {"message_id": message_id})
        log.info("job run %s was QUEUED since %s: sent again", run_id, queued_at.isoformat())
        sent.append(run_id)
    return sent
