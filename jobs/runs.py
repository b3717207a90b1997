"""Job-run records: create, start, progress, finish, fail, cancel, list; and their events.

A ``JobRun`` row is the truth about one run of a background job. Its status moves
``QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED``; a transient failure that will be
retried puts it back to ``QUEUED`` with the error noted (``requeue_run``). Every change is a
single compare-and-set ``UPDATE … RETURNING``, so a final run never moves again and of two
concurrent changes exactly one wins. Nothing here commits: the caller's unit of work does,
then publishes ``run_event(run)`` (``publish``) so subscribers see the change.

Functions (``session`` is an ``AsyncSession``; each returns the changed run, or None when
the run does not exist or was not in a state the change applies to)::

    create_run(session, *, kind, connector=None, stream=None, mode=None, trigger="manual",
               requested_by=None, params=None) -> JobRun          # QUEUED, flushed
    get_run(session, run_id) -> JobRun | None
    start_run(session, run_id, *, now=None) -> JobRun | None     # QUEUED/RUNNING → RUNNING,
                                                                   # attempts + 1, heartbeat
    record_progress(session, run_id, counts: RunCounts, *, total=None, now=None)
        -> JobRun | None                                           # adds counts, heartbeat
    finish_run(session, run_id, *, now=None) -> JobRun | None    # → SUCCEEDED
    fail_run(session, run_id, error, *, secrets=(), now=None) -> JobRun | None   # → FAILED
    requeue_run(session, run_id, error, *, secrets=()) -> JobRun | None  # → QUEUED (retry)
    cancel_run(session, run_id, *, now=None) -> JobRun | None    # → CANCELLED
    request_cancel(session, run_id) -> JobRun | None   # QUEUED: CANCELLED at once;
                                                       # RUNNING: stops at its next checkpoint
    list_runs(session, filter_: RunFilter, window: Window, ordering="NEWEST_FIRST")
        -> store.pagination.Page[JobRun]                           # keyset pages
    count_runs(session, filter_: RunFilter) -> int
    latest_runs(session, *, kind=SYNC_KIND, connector=None) -> dict[(connector, stream), JobRun]
    run_event(run) -> dict                                         # JSON-able, camelCase keys
    publish(events, run) -> None                                   # never raises

``fail_run`` and ``requeue_run`` store the error's class name and its message scrubbed of
the connector's ``secrets`` (``connectors.errors.scrub``) and cut to ``MAX_ERROR_CHARS``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.errors import scrub
from store.base import utcnow
from store.models.jobs import JobRun
from store.pagination import Page, PaginationError, SortKey, Window, fetch_page
from store.types import UTCDateTime

__all__ = [
    "CANCELLED",
    "FAILED",
    "FINAL",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "SUCCEEDED",
    "SYNC_KIND",
    "RunCounts",
    "RunFilter",
    "cancel_run",
    "count_runs",
    "create_run",
    "error_text",
    "fail_run",
    "finish_run",
    "get_run",
    "latest_runs",
    "list_runs",
    "publish",
    "record_progress",
    "request_cancel",
    "requeue_run",
    "run_event",
    "start_run",
]

log = logging.getLogger(__name__)

QUEUED = "QUEUED"
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
SYNC_KIND = "sync"
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class RunCounts:
    """What one step of a run did (added to the run's totals)."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0
    pages: int = 0


@dataclass(frozen=True)
class RunFilter:
    """Which runs to list; empty fields match everything. ``since``: queued at or after."""

    statuses: tuple[str, ...] = ()
    kind: str | None = None
    connector: str | None = None
    stream: str | None = None
    since: datetime | None = None


ORDERINGS = {
    "NEWEST_FIRST": SortKey("NEWEST_FIRST", JobRun.id, descending=True, parse=int),
    "OLDEST_FIRST": SortKey("OLDEST_FIRST", JobRun.id, parse=int),
}


class EventSink(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...


# -- changes ---------------------------------------------------------------------------------


async def create_run(
    session: AsyncSession,
    *,
    kind: str,
    connector: str | None = None,
    stream: str | None = None,
    mode: str | None = None,
    trigger: str = "manual",
    requested_by: str | None = None,
    params: dict[str, Any] | None = None,
) -> JobRun:
    """Add a QUEUED run and flush (it has its id); the caller commits, then enqueues it."""
    run = JobRun(
        kind=kind,
        connector=connector,
        stream=stream,
        mode=mode,
        status=QUEUED,
        trigger=trigger,
        requested_by=requested_by,
        params_json=None if params is None else json.dumps(params, sort_keys=True, default=str),
        attempts=0,
        records_read=0,
        records_inserted=0,
        records_updated=0,
        records_unchanged=0,
        records_quarantined=0,
        records_deleted=0,
        pages=0,
        progress_done=0,
        cancel_requested=False,
        queued_at=utcnow(),
    )
    session.add(run)
    await session.flush()
    return run


async def get_run(session: AsyncSession, run_id: int) -> JobRun | None:
    stmt = select(JobRun).where(JobRun.id == run_id).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def _change(
    session: AsyncSession,
    run_id: int,
    statuses: Iterable[str] | None,
    values: dict[str, Any],
) -> JobRun | None:
    """``UPDATE … WHERE id = run_id [AND status IN statuses] RETURNING`` the run."""
    stmt = update(JobRun).where(JobRun.id == run_id)
    if statuses is not None:
        stmt = stmt.where(JobRun.status.in_(list(statuses)))
    stmt = (
        stmt.values(**values)
        .returning(JobRun)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return (await session.scalars(stmt)).first()


async def start_run(
    session: AsyncSession, run_id: int, *, now: datetime | None = None
) -> JobRun | None:
    """QUEUED (or RUNNING, after a crash) → RUNNING; None when final or missing.

    ``started_at`` keeps the first start; ``attempts`` counts every start.
    """
    now = now or utcnow()
    return await _change(
        session,
        run_id,
        (QUEUED, RUNNING),
        {
            "status": RUNNING,
            "attempts": JobRun.attempts + 1,
            "started_at": func.coalesce(JobRun.started_at, literal(now, UTCDateTime())),
            "heartbeat_at": now,
        },
    )


async def record_progress(
    session: AsyncSession,
    run_id: int,
    counts: RunCounts,
    *,
    total: int | None = None,
    now: datetime | None = None,
) -> JobRun | None:
    """Add ``counts`` to a RUNNING run and beat its heart (same transaction as the work)."""
    values: dict[str, Any] = {
        "records_read": JobRun.records_read + counts.read,
        "records_inserted": JobRun.records_inserted + counts.inserted,
        "records_updated": JobRun.records_updated + counts.updated,
        "records_unchanged": JobRun.records_unchanged + counts.unchanged,
        "records_quarantined": JobRun.records_quarantined + counts.quarantined,
        "records_deleted": JobRun.records_deleted + counts.deleted,
        "pages": JobRun.pages + counts.pages,
        "progress_done": JobRun.progress_done + counts.read,
        "heartbeat_at": now or utcnow(),
    }
    if total is not None:
        values["progress_total"] = total
    return await _change(session, run_id, (RUNNING,), values)


async def finish_run(
    session: AsyncSession, run_id: int, *, now: datetime | None = None
) -> JobRun | None:
    """RUNNING → SUCCEEDED (an error noted by an earlier attempt is cleared)."""
    now = now or utcnow()
    return await _change(
        session,
        run_id,
        (RUNNING,),
        {
            "status": SUCCEEDED,
            "ended_at": now,
            "heartbeat_at": now,
            "error_class": None,
            "error_message": None,
        },
    )


def error_text(error: BaseException, secrets: Sequence[str] = ()) -> tuple[str, str]:
    """The error's class name and its message, scrubbed of ``secrets`` and cut short."""
    message = scrub(str(error), secrets) or type(error).__name__
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    return type(error).__name__, message


async def fail_run(
    session: AsyncSession,
    run_id: int,
    error: BaseException,
    *,
    secrets: Sequence[str] = (),
    now: datetime | None = None,
) -> JobRun | None:
    """Any state but final → FAILED, with the error's class and scrubbed message."""
    error_class, message = error_text(error, secrets)
    return await _change(
        session,
        run_id,
        (QUEUED, RUNNING),
        {
            "status": FAILED,
            "ended_at": now or utcnow(),
            "error_class": error_class,
            "error_message": message,
        },
    )


async def requeue_run(
    session: AsyncSession, run_id: int, error: BaseException, *, secrets: Sequence[str] = ()
) -> JobRun | None:
    """RUNNING → QUEUED after a transient failure that will be retried (error noted)."""
    error_class, message = error_text(error, secrets)
    return await _change(
        session,
        run_id,
        (RUNNING,),
        {"status": QUEUED, "error_class": error_class, "error_message": message},
    )


async def cancel_run(
    session: AsyncSession, run_id: int, *, now: datetime | None = None
) -> JobRun | None:
    """QUEUED or RUNNING → CANCELLED."""
    return await _change(
        session,
        run_id,
        (QUEUED, RUNNING),
        {"status": CANCELLED, "cancel_requested": True, "ended_at": now or utcnow()},
    )


async def request_cancel(session: AsyncSession, run_id: int) -> JobRun | None:
    """Cancel a run: a QUEUED one at once, a RUNNING one at its next checkpoint.

    A final run is returned unchanged; None when there is no such run.
    """
    cancelled = await _change(
        session,
        run_id,
        (QUEUED,),
        {"status": CANCELLED, "cancel_requested": True, "ended_at": utcnow()},
    )
    if cancelled is not None:
        return cancelled
    flagged = await _change(session, run_id, (RUNNING,), {"cancel_requested": True})
    return flagged if flagged is not None else await get_run(session, run_id)


# -- reads -----------------------------------------------------------------------------------


def _matching(filter_: RunFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filter_.statuses:
        clauses.append(JobRun.status.in_(filter_.statuses))
    if filter_.kind is not None:
        clauses.append(JobRun.kind == filter_.kind)
    if filter_.connector is not None:
        clauses.append(JobRun.connector == filter_.connector)
    if filter_.stream is not None:
        clauses.append(JobRun.stream == filter_.stream)
    if filter_.since is not None:
        clauses.append(JobRun.queued_at >= filter_.since)
    return clauses


async def list_runs(
    session: AsyncSession, filter_: RunFilter, window: Window, ordering: str = "NEWEST_FIRST"
) -> Page[JobRun]:
    """A keyset page of runs matching ``filter_`` (``NEWEST_FIRST`` or ``OLDEST_FIRST``)."""
    key = ORDERINGS.get(ordering)
    if key is None:
        raise PaginationError(f"unknown ordering {ordering!r}")
    stmt: Select[Any] = select(JobRun).where(*_matching(filter_))
    return await fetch_page(session, stmt, key, JobRun.id, window)


async def count_runs(session: AsyncSession, filter_: RunFilter) -> int:
    stmt = select(func.count()).select_from(JobRun).where(*_matching(filter_))
    return int(await session.scalar(stmt) or 0)


async def latest_runs(
    session: AsyncSession, *, kind: str = SYNC_KIND, connector: str | None = None
) -> dict[tuple[str, str], JobRun]:
    """The newest run of each (connector, stream) of ``kind``."""
    newest = select(func.max(JobRun.id)).where(
        JobRun.kind == kind, JobRun.connector.is_not(None), JobRun.stream.is_not(None)
    )
    if connector is not None:
        newest = newest.where(JobRun.connector == connector)
    newest = newest.group_by(JobRun.connector, JobRun.stream)
    rows = await session.scalars(select(JobRun).where(JobRun.id.in_(newest.scalar_subquery())))
    return {(str(run.connector), str(run.stream)): run for run in rows}


# -- events ----------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def run_event(run: JobRun) -> dict[str, Any]:
    """The run as a JSON-able event (keys as the graph names them; times ISO 8601 UTC)."""
    return {
        "id": run.id,
        "kind": run.kind,
        "connector": run.connector,
        "stream": run.stream,
        "mode": run.mode,
        "status": run.status,
        "trigger": run.trigger,
        "requestedBy": run.requested_by,
        "attempts": run.attempts,
        "recordsRead": run.records_read,
        "recordsInserted": run.records_inserted,
        "recordsUpdated": run.records_updated,
        "recordsUnchanged": run.records_unchanged,
        "recordsQuarantined": run.records_quarantined,
        "recordsDeleted": run.records_deleted,
        "pages": run.pages,
        "progressDone": run.progress_done,
        "progressTotal": run.progress_total,
        "errorClass": run.error_class,
        "errorMessage": run.error_message,
        "cancelRequested": run.cancel_requested,
        "queuedAt": _when(run.queued_at),
        "startedAt": _when(run.started_at),
        "heartbeatAt": _when(run.heartbeat_at),
        "endedAt": _when(run.ended_at),
    }


async def publish(events: EventSink | None, run: JobRun | None) -> None:
    """Publish the run's event after its commit; a failing transport only logs a warning."""
    if events is None or run is None:
        return
    try:
        await events.publish(run_event(run))
    except Exception as problem:  # the run row stays the truth; events are a live view
        log.warning("job run %s: event not published (%s)", run.id, type(problem).__name__)
