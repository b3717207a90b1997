"""``run_sync``: one run of one (connector, stream), page by page, resumable at any instant.

The run reads the stream from its saved state. Each page is one transaction: its records
are stored (``jobs.sync.pages``), its rejected records quarantined with their reasons and
sealed payloads, the page's state saved (compare-and-set) and the run's counts advanced —
then it commits and the run's event is published. A crash at any instant therefore resumes
(the message's retry, or any later run of the stream) from the last committed page, with
nothing lost and nothing stored twice. ``cancel_requested`` is honoured between pages.

Outcomes, each recorded on the run before ``run_sync`` returns or raises:

- SUCCEEDED: the stream was read to its end (a full refresh then marks the refs of the
  stream it did not see ``deleted_remotely_at``, counted as deleted; rows stay in the hub);
  before it ends, the run retries a batch of its stream's records quarantined for a
  reference that was missing then (``jobs.sync.retry.retry_waiting_references``) — those it
  stores count as inserted or updated;
- CANCELLED: an operator asked; the pages stored so far stay;
- FAILED, not retried (the exception is re-raised for the broker to see): a missing
  connector (``UnknownConnector``), a stream it does not declare or that has no mapping
  (``UnknownStream``), a mapping that does not fit the hub or names ``shipment``
  (``ConfigError``), a remote that refuses for good (``PermanentError``); also a run that
  found another live run of the same stream (``StreamBusy``, not raised);
- any other error is transient: with ``will_retry`` (a broker message that will be
  retried) the run goes back to QUEUED with the error noted and the error is re-raised;
  without it (``channelhub sync run``) the run is FAILED.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.errors import ConfigError, PermanentError
from connectors.protocol import Connector, Page
from connectors.secrets import secret_values
from jobs.channel_events import publish_deferred
from jobs.errors import JobError, UnknownConnector, UnknownStream
from jobs.runs import (
    RUNNING,
    RunCounts,
    cancel_run,
    fail_run,
    finish_run,
    publish,
    record_progress,
    requeue_run,
    start_run,
)
from jobs.sync.links import sweep_unseen
from jobs.sync.pages import StreamTarget, store_records
from jobs.sync.quarantine import quarantine_rejected
from jobs.sync.reading import ReadAhead
from jobs.sync.resources import SyncResources
from jobs.sync.retry import RetryOutcome, retry_waiting_references
from jobs.sync.state import StreamState, clear_marker, open_state, save_state
from jobs.sync.targets import StreamNotSyncable, stream_target
from store.base import utcnow
from store.models import JobRun, QuarantinedRecord

__all__ = [
    "FULL_REFRESH",
    "INCREMENTAL",
    "STALE_AFTER",
    "StreamBusy",
    "StreamNotSyncable",
    "run_sync",
]

log = logging.getLogger(__name__)

FULL_REFRESH = "full_refresh"
INCREMENTAL = "incremental"
STALE_AFTER = timedelta(minutes=10)
"""A RUNNING run whose heartbeat is older than this is taken for dead (its worker crashed)."""

FAILED_AT_ONCE = (UnknownConnector, UnknownStream, ConfigError, PermanentError)
Progress = Callable[[JobRun], None]


class StreamBusy(JobError):
    """Another run of the same stream is running (its heartbeat is fresh)."""

    kind = "busy"


class _Stopped(Exception):
    """The run left RUNNING under us (cancelled or failed elsewhere): stop quietly."""


async def run_sync(
    resources: SyncResources,
    run_id: int,
    *,
    will_retry: bool = True,
    progress: Progress | None = None,
) -> None:
    """Run the sync run ``run_id`` (see the module docstring for its outcomes)."""
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        log.info("job run %s is final or missing: nothing to do", run_id)
        return
    await _announce(resources, run, progress)
    secrets: list[str] = []
    try:
        await _sync(resources, run, secrets, progress)
    except _Stopped:
        return
    except StreamBusy as busy:
        await _record_error(resources, progress, run_id, busy, secrets, requeue=False)
    except FAILED_AT_ONCE as failure:
        await _record_error(resources, progress, run_id, failure, secrets, requeue=False)
        raise
    except Exception as problem:
        await _record_error(resources, progress, run_id, problem, secrets, requeue=will_retry)
        raise


async def _record_error(
    resources: SyncResources,
    progress: Progress | None,
    run_id: int,
    error: BaseException,
    secrets: list[str],
    *,
    requeue: bool,
) -> None:
    """FAILED (or back to QUEUED for a retry) with the error, in its own transaction."""
    try:
        async with resources.sessions.begin() as session:
            if requeue:
                run = await requeue_run(session, run_id, error, secrets=secrets)
            else:
                run = await fail_run(session, run_id, error, secrets=secrets)
    except Exception as problem:  # never mask the error being recorded
        log.warning("job run %s: outcome not recorded (%s)", run_id, type(problem).__name__)
        return
    await _announce(resources, run, progress)


async def _announce(
    resources: SyncResources, run: JobRun | None, progress: Progress | None
) -> None:
    await publish(resources.events, run)
    if progress is not None and run is not None:
        progress(run)


async def _cancel(resources: SyncResources, run_id: int, progress: Progress | None) -> None:
    async with resources.sessions.begin() as session:
        run = await cancel_run(session, run_id)
    await _announce(resources, run, progress)


async def _refuse_if_busy(session: AsyncSession, run: JobRun) -> None:
    other = await session.scalar(
        select(func.min(JobRun.id)).where(
            JobRun.connector == run.connector,
            JobRun.stream == run.stream,
            JobRun.status == RUNNING,
            JobRun.id != run.id,
            JobRun.heartbeat_at > utcnow() - STALE_AFTER,
        )
    )
    if other is not None:
        raise StreamBusy(
            f"run {other} of {run.connector}/{run.stream} is still running; this run was not "
            "started (run it again once that one has ended)"
        )


async def _target(
    resources: SyncResources, run: JobRun, secrets: list[str]
) -> tuple[Connector, StreamTarget]:
    """Connector, mapping and sink of the run, checked before anything is read."""
    name = run.connector or ""
    connector, config = await resources.connectors.get(name)
    secrets[:] = secret_values(config)
    return connector, await stream_target(resources, name, config, run.stream)


async def _sync(
    resources: SyncResources, run: JobRun, secrets: list[str], progress: Progress | None
) -> None:
    if run.cancel_requested:
        await _cancel(resources, run.id, progress)
        return
    connector, target = await _target(resources, run, secrets)
    sessions = resources.sessions
    async with sessions() as session:
        await _refuse_if_busy(session, run)
        resolve_quarantine = await _has_quarantined(session, target)
    state = await open_state(
        sessions,
        target.connector,
        target.stream,
        run_id=run.id,
        full_refresh=run.mode == FULL_REFRESH,
    )
    target.marker = state.marker
    reader = ReadAhead(connector.read(target.stream, state.state))
    try:
        async for page in reader:
            current, quarantined = await _store_page(
                resources, run, target, state, page, resolve_quarantine
            )
            resolve_quarantine = resolve_quarantine or quarantined
            await _announce(resources, current, progress)
            if current.cancel_requested:
                await _cancel(resources, run.id, progress)
                return
    finally:
        await reader.aclose()
    healed = await retry_waiting_references(resources, target)
    await _finish(resources, run, target, state, healed, progress)


async def _has_quarantined(session: AsyncSession, target: StreamTarget) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(QuarantinedRecord)
        .where(
            QuarantinedRecord.connector == target.connector,
            QuarantinedRecord.stream == target.stream,
            QuarantinedRecord.resolved_at.is_(None),
        )
    )
    return bool(count)


async def _store_page(
    resources: SyncResources,
    run: JobRun,
    target: StreamTarget,
    state: StreamState,
    page: Page,
    resolve_quarantine: bool,
) -> tuple[JobRun, bool]:
    """Store one page, its quarantine, its state and the run's counts in one transaction."""
    async with resources.sessions.begin() as session:
        now = utcnow()
        outcome = await store_records(session, target, page.records, now)
        if resolve_quarantine and outcome.stored:
            await _resolve_superseded(session, target, list(outcome.stored.values()), now)
        await quarantine_rejected(
            session,
            resources.keys,
            connector=target.connector,
            stream=target.stream,
            records=page.records,
            rejected=outcome.rejected,
            now=now,
        )
        await save_state(session, state, dict(page.state), run.id)
        counts = RunCounts(
            read=len(page.records),
            inserted=outcome.inserted,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            quarantined=len(outcome.rejected),
            pages=1,
        )
        current = await record_progress(session, run.id, counts, now=now)
        if current is None:
            raise _Stopped
    await publish_deferred(resources.events, session)  # stock alerts, order statuses
    return current, bool(outcome.rejected)


async def _resolve_superseded(
    session: AsyncSession, target: StreamTarget, external_ids: list[str], now: datetime
) -> None:
    """Older quarantined copies of records that are now stored need no retry any more."""
    await session.execute(
        update(QuarantinedRecord)
        .where(
            QuarantinedRecord.connector == target.connector,
            QuarantinedRecord.stream == target.stream,
            QuarantinedRecord.resolved_at.is_(None),
            QuarantinedRecord.external_id.in_(external_ids),
        )
        .values(resolved_at=now)
        .execution_options(synchronize_session=False)
    )


async def _finish(
    resources: SyncResources,
    run: JobRun,
    target: StreamTarget,
    state: StreamState,
    healed: RetryOutcome,
    progress: Progress | None,
) -> None:
    async with resources.sessions.begin() as session:
        now = utcnow()
        deleted = 0
        if state.marker is not None:
            deleted = await sweep_unseen(
                session, target.connector, target.stream, target.entity, state.marker, now
            )
            await clear_marker(session, state)
        counts = RunCounts(deleted=deleted, inserted=healed.inserted, updated=healed.updated)
        if await record_progress(session, run.id, counts, now=now) is None:
            raise _Stopped
        finished = await finish_run(session, run.id, now=now)
    await _announce(resources, finished, progress)
