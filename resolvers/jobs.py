"""Background jobs for the graph: job runs, quarantined records, dead letters; start a sync,
cancel a run, replay dead letters, retry quarantined records; follow a run's progress.

Every service takes a ``Caller`` and requires ``jobs:manage`` (erp_admin, brand_admin)
before it reads or writes anything (``Forbidden`` otherwise, audited by the schema layer).
Expected refusals::

    Forbidden, NotFound, InvalidInput       resolvers.mutations.errors (typed by the schema)
    jobs.errors.UnknownConnector            runSync on a connector that is not stored
    jobs.errors.UnknownStream               … on a stream its connector does not declare
    SyncAlreadyActive                       … while a run of that stream is QUEUED/RUNNING
    RunAlreadyFinished                      cancelJobRun on a SUCCEEDED/FAILED/CANCELLED run

A run is created and committed first, then enqueued (``jobs.dispatch.enqueue_run``, off the
event loop); a broker that does not take it leaves the run FAILED with that reason, never a
QUEUED run that nothing will pick up. Each change publishes the run's event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from jobs import runs
from jobs.errors import UnknownConnector, UnknownStream
from jobs.runs import RunFilter
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import InvalidInput, NotFound
from security.viewer import Permission
from store.models.jobs import JobRun
from store.pagination import Page, Window
from store.repositories.connectors import ConnectorRepository
from store.repositories.job_views import DeadLetterFilter, JobViewsRepository, QuarantineFilter

__all__ = [
    "RunAlreadyFinished",
    "SyncAlreadyActive",
    "cancel_job_run",
    "get_job_run",
    "list_dead_letters",
    "list_job_runs",
    "list_quarantined",
    "replay_dead_letters",
    "retry_quarantined",
    "run_updates",
    "start_sync",
]

T = TypeVar("T")
Counted = tuple[Page[T], Callable[[], Awaitable[int]]]
ACTIVE = (runs.QUEUED, runs.RUNNING)


class SyncAlreadyActive(Exception):
    """A run of the stream is already QUEUED or RUNNING: ``run`` is that one."""

    def __init__(self, run: JobRun) -> None:
        super().__init__(
            f"stream {run.stream!r} of connector {run.connector!r} already has a "
            f"{run.status} run; follow it or cancel it first"
        )
        self.run = run


class RunAlreadyFinished(Exception):
    """The run has ended; there is nothing to cancel."""

    def __init__(self, run: JobRun) -> None:
        super().__init__(f"the run has already ended ({run.status}): nothing to cancel")
        self.run = run


def _require(caller: Caller, doing: str) -> None:
    caller.require(Permission.JOBS_MANAGE, doing)


async def list_job_runs(
    hub: Any, caller: Caller, filter_: RunFilter, win: Window
) -> Counted[JobRun]:
    _require(caller, "read job runs")
    async with hub.sessions() as session:
        page = await runs.list_runs(session, filter_, win)

    async def count() -> int:
        async with hub.sessions() as session:
            return await runs.count_runs(session, filter_)

    return page, count


async def get_job_run(hub: Any, caller: Caller, pk: int) -> JobRun | None:
    _require(caller, "read job runs")
    async with hub.sessions() as session:
        return await runs.get_run(session, pk)


async def list_quarantined(
    hub: Any, caller: Caller, filter_: QuarantineFilter, win: Window
) -> Counted[Any]:
    _require(caller, "read quarantined records")
    async with hub.sessions() as session:
        page = await JobViewsRepository(session).quarantined(filter_, win)

    async def count() -> int:
        async with hub.sessions() as session:
            return await JobViewsRepository(session).count_quarantined(filter_)

    return page, count


async def list_dead_letters(
    hub: Any, caller: Caller, filter_: DeadLetterFilter, win: Window
) -> Counted[Any]:
    _require(caller, "read dead letters")
    async with hub.sessions() as session:
        page = await JobViewsRepository(session).dead_letters(filter_, win)

    async def count() -> int:
        async with hub.sessions() as session:
            return await JobViewsRepository(session).count_dead_letters(filter_)

    return page, count


async def _check_stream(hub: Any, connector: str, stream: str) -> None:
    """``UnknownConnector``/``UnknownStream``, or ``InvalidInput`` for a stream that has
    nothing to sync (no mapping)."""
    async with hub.sessions() as session:
        row = await ConnectorRepository(session, hub.fields).get(connector)
    if row is None:
        raise UnknownConnector(connector)
    found = [
        s
        for s in ConnectorRepository.public_config(row).get("streams") or []
        if isinstance(s, dict) and s.get("name") == stream
    ]
    if not found:
        raise UnknownStream(connector, stream)
    if not found[0].get("mapping"):
        raise InvalidInput.one("stream", f"stream {stream!r} has no mapping: nothing to sync")


async def _active_run(hub: Any, connector: str, stream: str) -> JobRun | None:
    active = RunFilter(statuses=ACTIVE, kind=runs.SYNC_KIND, connector=connector, stream=stream)
    async with hub.sessions() as session:
        page = await runs.list_runs(session, active, Window(first=1))
    return page.rows[0] if page.rows else None


async def _enqueue(hub: Any, run: JobRun) -> JobRun:
    from jobs.dispatch import enqueue_run

    try:
        await asyncio.to_thread(enqueue_run, run.id, run.kind)
    except Exception as error:
        async with hub.sessions.begin() as session:
            failed = await runs.fail_run(session, run.id, error)
        return failed or run
    return run


async def start_sync(
    hub: Any, caller: Caller, connector: str, stream: str, *, full_refresh: bool = False
) -> JobRun:
    """Create a QUEUED sync run of (connector, stream), commit it, enqueue it."""
    _require(caller, "run syncs")
    await _check_stream(hub, connector, stream)
    active = await _active_run(hub, connector, stream)
    if active is not None:
        raise SyncAlreadyActive(active)
    async with hub.sessions.begin() as session:
        run = await runs.create_run(
            session,
            kind=runs.SYNC_KIND,
            connector=connector,
            stream=stream,
            mode="full_refresh" if full_refresh else "incremental",
            trigger="manual",
            requested_by=caller.subject,
        )
    run = await _enqueue(hub, run)
    await runs.publish(getattr(hub, "events", None), run)
    return run


async def cancel_job_run(hub: Any, caller: Caller, pk: int, key: str) -> JobRun:
    """Cancel a QUEUED run at once, a RUNNING one at its next checkpoint."""
    _require(caller, "cancel job runs")
    async with hub.sessions.begin() as session:  # raise only after the commit: rows stay loaded
        run = await runs.get_run(session, pk)
        ended = run is not None and run.status in runs.FINAL
        if run is not None and not ended:
            run = await runs.request_cancel(session, pk)
    if run is None:
        raise NotFound("id", key, "job run")
    if ended or (run.status in runs.FINAL and run.status != runs.CANCELLED):
        raise RunAlreadyFinished(run)  # ended before, or while we asked
    await runs.publish(getattr(hub, "events", None), run)
    return run


async def replay_dead_letters(hub: Any, caller: Caller, ids: list[int] | None) -> int:
    """Send the dead letters ``ids`` (every unreplayed one when None) again."""
    from jobs.deadletters import replay_dead_letters as replay

    _require(caller, "replay dead letters")
    return await replay(hub.sessions, ids, events=getattr(hub, "events", None))


@dataclass(frozen=True)
class _HubSyncResources:
    """The app's shared pieces as the ``jobs.sync.SyncResources`` a retry needs."""

    sessions: Any
    keys: Any
    crypto: Any
    audit: Any
    events: Any
    connectors: Any


class _NoEvents:
    async def publish(self, event: dict[str, Any]) -> None:
        return None


def sync_resources(hub: Any) -> Any:
    events = getattr(hub, "events", None) or _NoEvents()
    return _HubSyncResources(hub.sessions, hub.keys, hub.fields, hub.audit, events, hub.connectors)


async def retry_quarantined(
    hub: Any, caller: Caller, connector: str, stream: str | None, ids: list[int] | None
) -> Any:
    """Map the quarantined records again with the current mapping; store those that pass.

    Returns ``jobs.sync.RetryOutcome``; raises ``UnknownConnector``, ``UnknownStream`` or the
    ``ConfigError`` of a mapping that does not fit.
    """
    from jobs.sync import retry_quarantined as retry

    _require(caller, "retry quarantined records")
    return await retry(sync_resources(hub), connector=connector, stream=stream, ids=ids)


async def run_updates(hub: Any, caller: Caller, pk: int) -> AsyncGenerator[JobRun, None]:
    """The run now, then each change of it until it ends (its events, as runs)."""
    _require(caller, "follow job runs")
    subscription: Any = hub.events.subscribe()
    try:
        await subscription.ready()  # listening before the first read: nothing is missed
        run = await get_job_run(hub, caller, pk)
        if run is None:
            return
        yield run
        if run.status in runs.FINAL:
            return
        async for event in subscription:
            if event.get("id") != pk:
                continue
            if event.get("partial"):  # cut short by the transport: read the whole run
                run = await get_job_run(hub, caller, pk)
                if run is None:
                    return
            else:
                run = run_from_event(event)
            yield run
            if run.status in runs.FINAL:
                return
    finally:
        await subscription.aclose()


_TIMES = ("queuedAt", "startedAt", "heartbeatAt", "endedAt")
_FIELDS = {
    "kind": "kind",
    "connector": "connector",
    "stream": "stream",
    "mode": "mode",
    "status": "status",
    "trigger": "trigger",
    "requestedBy": "requested_by",
    "attempts": "attempts",
    "recordsRead": "records_read",
    "recordsInserted": "records_inserted",
    "recordsUpdated": "records_updated",
    "recordsUnchanged": "records_unchanged",
    "recordsQuarantined": "records_quarantined",
    "recordsDeleted": "records_deleted",
    "pages": "pages",
    "progressDone": "progress_done",
    "progressTotal": "progress_total",
    "errorClass": "error_class",
    "errorMessage": "error_message",
    "cancelRequested": "cancel_requested",
}


def run_from_event(event: dict[str, Any]) -> JobRun:
    """A detached ``JobRun`` (never added to a session) carrying an event's values."""
    values = {attr: event.get(key) for key, attr in _FIELDS.items() if key in event}
    for key in _TIMES:
        text = event.get(key)
        attr = "".join("_" + c.lower() if c.isupper() else c for c in key)
        values[attr] = datetime.fromisoformat(text) if isinstance(text, str) else None
    return JobRun(id=int(event["id"]), **values)
