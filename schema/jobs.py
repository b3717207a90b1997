"""Background jobs in the graph (``resolvers.jobs`` does the work).

Queries ``jobRuns`` (filters, newest first), ``jobRun(id)``, ``quarantinedRecords``,
``deadLetters``; mutations ``runSync``, ``cancelJobRun``, ``replayDeadLetters``,
``retryQuarantined``; subscription ``jobRunUpdated(id)`` (the run now, then each change
until it ends: the job-run events of ``jobs.events``, in-process or across processes; a run
that does not exist completes the subscription at once).

Every field needs ``jobs:manage`` (erp_admin, brand_admin): queries and the subscription
answer ``FORBIDDEN`` without it, as the connector admin does; mutations return
``ForbiddenError`` (audited).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.permission import BasePermission

from connectors.errors import ConfigError
from jobs.errors import UnknownConnector, UnknownStream
from jobs.runs import RunFilter
from resolvers import jobs as service
from resolvers.connections import window
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import InvalidInput, NotFound
from schema.connection import page_parts
from schema.context import Info
from schema.errors import InvalidIdError
from schema.mutations.base import run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError, UserError
from schema.node import decode_typed_id
from schema.permissions import IsAuthenticated
from schema.types.job_run import (
    DeadLetterConnection,
    JobRun,
    JobRunConnection,
    JobRunStatus,
    QuarantinedRecordConnection,
)
from security.viewer import Permission
from store.repositories.job_views import DeadLetterFilter, QuarantineFilter


class CanManageJobs(BasePermission):
    message = "your role may not manage background jobs"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(Permission.JOBS_MANAGE)


JOB_MANAGERS: list[type[BasePermission]] = [IsAuthenticated, CanManageJobs]


@strawberry.input(description="Job runs matching every given condition.")
class JobRunFilter:
    status: list[JobRunStatus] | None = None
    kind: str | None = None
    connector: str | None = None
    stream: str | None = None
    since: datetime | None = strawberry.field(
        default=None, description="Queued at or after this time."
    )

    def to_store(self) -> RunFilter:
        return RunFilter(
            statuses=tuple(s.value for s in self.status or ()),
            kind=self.kind,
            connector=self.connector,
            stream=self.stream,
            since=self.since,
        )


@strawberry.type
class JobRunPayload:
    run: JobRun


@strawberry.type(description="No stored connector has this name.")
class UnknownConnectorError(UserError):
    connector: str


@strawberry.type(description="The connector declares no stream of this name.")
class UnknownStreamError(UserError):
    connector: str
    stream: str


@strawberry.type(description="The stream already has a QUEUED or RUNNING run: `run`.")
class SyncAlreadyActiveError(UserError):
    run: JobRun


@strawberry.type(description="The run has already ended: nothing to cancel.")
class JobRunFinishedError(UserError):
    run: JobRun


@strawberry.type
class ReplayedDeadLetters:
    count: int = strawberry.field(description="How many messages were sent again.")


@strawberry.type(description="What a retry of quarantined records did.")
class QuarantineRetry:
    retried: int = strawberry.field(description="Records taken (resolved + still failing + …).")
    resolved: int = strawberry.field(description="Now stored: they leave the quarantine.")
    still_failing: int = strawberry.field(description="Rejected again, with their new reason.")
    unreadable: int = strawberry.field(description="Payloads that could not be opened.")
    inserted: int
    updated: int
    unchanged: int
    streams: list[str]


RunSyncResult = Annotated[
    JobRunPayload
    | UnknownConnectorError
    | UnknownStreamError
    | SyncAlreadyActiveError
    | InvalidInputError
    | ForbiddenError,
    strawberry.union("RunSyncResult"),
]
CancelJobRunResult = Annotated[
    JobRunPayload | JobRunFinishedError | NotFoundError | ForbiddenError,
    strawberry.union("CancelJobRunResult"),
]
ReplayDeadLettersResult = Annotated[
    ReplayedDeadLetters | InvalidInputError | ForbiddenError,
    strawberry.union("ReplayDeadLettersResult"),
]
RetryQuarantinedResult = Annotated[
    QuarantineRetry
    | UnknownConnectorError
    | UnknownStreamError
    | InvalidInputError
    | ForbiddenError,
    strawberry.union("RetryQuarantinedResult"),
]


def _payload(row: Any) -> JobRunPayload:
    return JobRunPayload(run=cast(JobRun, row))


def _pks(ids: list[strawberry.ID], type_name: str, field: str) -> list[int]:
    try:
        return [decode_typed_id(i, type_name) for i in ids]
    except InvalidIdError as error:
        raise InvalidInput.one(field, str(error)) from None


async def _run(info: Info, result: object, make: Callable[[], Awaitable[Any]], wrap: Any) -> Any:
    """``run`` (typed errors for ``MutationFailure``), plus the job refusals."""
    try:
        return await run(info, result, make(), wrap)
    except UnknownConnector as error:
        return UnknownConnectorError(message=str(error), connector=error.name)
    except UnknownStream as error:
        return UnknownStreamError(
            message=str(error), connector=error.connector, stream=error.stream
        )
    except service.SyncAlreadyActive as error:
        return SyncAlreadyActiveError(message=str(error), run=cast(JobRun, error.run))
    except service.RunAlreadyFinished as error:
        return JobRunFinishedError(message=str(error), run=cast(JobRun, error.run))


def _connection(cls: Any, parts: tuple[Any, Callable[[], Awaitable[int]]]) -> Any:
    page, count = parts
    return cls(**page_parts(page), count=count)


@strawberry.type
class JobQuery:
    @strawberry.field(description="Job runs, newest first.", permission_classes=JOB_MANAGERS)
    async def job_runs(
        self,
        info: Info,
        filter: JobRunFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> JobRunConnection:
        ctx = info.context
        store_filter = filter.to_store() if filter else RunFilter()
        win = window(ctx.settings, first, after, None, None)
        parts = await service.list_job_runs(ctx.hub, Caller.of(ctx), store_filter, win)
        return cast(JobRunConnection, _connection(JobRunConnection, parts))

    @strawberry.field(description="One job run.", permission_classes=JOB_MANAGERS)
    async def job_run(self, info: Info, id: strawberry.ID) -> JobRun | None:
        ctx = info.context
        try:
            pk = decode_typed_id(id, "JobRun")
        except InvalidIdError:
            return None
        return cast(JobRun | None, await service.get_job_run(ctx.hub, Caller.of(ctx), pk))

    @strawberry.field(
        description="Records syncs could not store, newest first (payloads stay sealed).",
        permission_classes=JOB_MANAGERS,
    )
    async def quarantined_records(
        self,
        info: Info,
        connector: str | None = None,
        stream: str | None = None,
        unresolved_only: bool = True,
        first: int | None = None,
        after: str | None = None,
    ) -> QuarantinedRecordConnection:
        ctx = info.context
        store_filter = QuarantineFilter(connector, stream, unresolved_only)
        win = window(ctx.settings, first, after, None, None)
        parts = await service.list_quarantined(ctx.hub, Caller.of(ctx), store_filter, win)
        return cast(QuarantinedRecordConnection, _connection(QuarantinedRecordConnection, parts))

    @strawberry.field(
        description="Job messages whose retries ran out, newest first.",
        permission_classes=JOB_MANAGERS,
    )
    async def dead_letters(
        self,
        info: Info,
        replayed: Annotated[
            bool | None,
            strawberry.argument(description="true: only replayed ones; false: waiting ones."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DeadLetterConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, None, None)
        parts = await service.list_dead_letters(
            ctx.hub, Caller.of(ctx), DeadLetterFilter(replayed), win
        )
        return cast(DeadLetterConnection, _connection(DeadLetterConnection, parts))


@strawberry.type
class JobMutation:
    @strawberry.mutation(description="Queue a sync of one stream (needs JOBS_MANAGE).")
    async def run_sync(
        self, info: Info, connector: str, stream: str, full_refresh: bool = False
    ) -> RunSyncResult:
        ctx = info.context

        def make() -> Awaitable[Any]:
            caller = Caller.of(ctx)
            return service.start_sync(ctx.hub, caller, connector, stream, full_refresh=full_refresh)

        return cast(RunSyncResult, await _run(info, RunSyncResult, make, _payload))

    @strawberry.mutation(description="Cancel a queued run, or stop a running one at a checkpoint.")
    async def cancel_job_run(self, info: Info, id: strawberry.ID) -> CancelJobRunResult:
        ctx = info.context

        async def make() -> Any:
            caller = Caller.of(ctx)
            caller.require(Permission.JOBS_MANAGE, "cancel job runs")
            try:
                pk = decode_typed_id(id, "JobRun")
            except InvalidIdError:
                raise NotFound("id", id, "job run") from None
            return await service.cancel_job_run(ctx.hub, caller, pk, id)

        return cast(CancelJobRunResult, await _run(info, CancelJobRunResult, make, _payload))

    @strawberry.mutation(description="Send dead letters again (all waiting ones without ids).")
    async def replay_dead_letters(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> ReplayDeadLettersResult:
        ctx = info.context

        async def make() -> int:
            caller = Caller.of(ctx)
            caller.require(Permission.JOBS_MANAGE, "replay dead letters")
            pks = None if ids is None else _pks(ids, "DeadLetter", "ids")
            return await service.replay_dead_letters(ctx.hub, caller, pks)

        def wrap(count: int) -> ReplayedDeadLetters:
            return ReplayedDeadLetters(count=count)

        return cast(ReplayDeadLettersResult, await _run(info, ReplayDeadLettersResult, make, wrap))

    @strawberry.mutation(description="Map quarantined records again (after a mapping fix).")
    async def retry_quarantined(
        self,
        info: Info,
        connector: str,
        stream: str | None = None,
        ids: list[strawberry.ID] | None = None,
    ) -> RetryQuarantinedResult:
        ctx = info.context

        async def make() -> Any:
            caller = Caller.of(ctx)
            caller.require(Permission.JOBS_MANAGE, "retry quarantined records")
            pks = None if ids is None else _pks(ids, "QuarantinedRecord", "ids")
            try:
                return await service.retry_quarantined(ctx.hub, caller, connector, stream, pks)
            except ConfigError as error:  # the current mapping does not fit the stream
                raise InvalidInput.one("stream", str(error)) from None

        def wrap(outcome: Any) -> QuarantineRetry:
            return QuarantineRetry(
                retried=outcome.retried,
                resolved=outcome.resolved,
                still_failing=outcome.still_failing,
                unreadable=outcome.unreadable,
                inserted=outcome.inserted,
                updated=outcome.updated,
                unchanged=outcome.unchanged,
                streams=list(outcome.streams),
            )

        return cast(RetryQuarantinedResult, await _run(info, RetryQuarantinedResult, make, wrap))


@strawberry.type
class JobSubscription:
    @strawberry.subscription(
        description="The run now, then each change (progress, status) until it ends.",
        permission_classes=JOB_MANAGERS,
    )
    async def job_run_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[JobRun, None]:
        ctx = info.context
        pk = decode_typed_id(id, "JobRun")  # a malformed id: INVALID_ID, shown to the client
        updates = service.run_updates(ctx.hub, Caller.of(ctx), pk)
        try:
            async for row in updates:
                yield cast(JobRun, row)
        finally:
            await updates.aclose()
