"""Graph types of background work: ``JobRun`` (with counts and progress),
``QuarantinedRecord`` and ``DeadLetter``, and their connections.

Sources are store rows (``store.models.jobs.JobRun``, ``QuarantinedRecord``,
``DeadLetter``); every field is a plain attribute read. A quarantined record's raw payload is
sealed and never shown here; nor is a dead letter's message body (its job run id is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry

from schema.connection import Connection
from schema.node import encode_id
from store.models.jobs import DeadLetter as DeadLetterRow
from store.models.jobs import JobRun as JobRunRow
from store.models.quarantine import QuarantinedRecord as QuarantinedRow


@strawberry.enum(description="Where a job run is: QUEUED → RUNNING → SUCCEEDED/FAILED/CANCELLED.")
class JobRunStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="What a run did to records so far.")
class JobRunCounts:
    read: int
    inserted: int
    updated: int
    unchanged: int = strawberry.field(description="Read, but equal to what was stored.")
    quarantined: int = strawberry.field(description="Rejected with a reason; see quarantine.")
    deleted: int = strawberry.field(description="Marked deleted remotely by a full refresh.")


@strawberry.type(description="How far a run is: `done` of `total` (total may be unknown).")
class JobProgress:
    done: int
    total: int | None
    fraction: float | None = strawberry.field(description="done/total in [0, 1]; null: unknown.")


@strawberry.type(description="One run of a background job (a sync, a sweep, a re-encryption).")
class JobRun:
    kind: str = strawberry.field(description='"sync", "outbox_sweep", "reencrypt", ...')
    connector: str | None
    stream: str | None
    mode: str | None = strawberry.field(description='"incremental" or "full_refresh" (syncs).')
    trigger: str = strawberry.field(description='"manual", "schedule", ...')
    requested_by: str | None
    attempts: int = strawberry.field(description="How many times a worker started it.")
    pages: int
    error_class: str | None
    error_message: str | None = strawberry.field(description="What failed; never a secret.")
    cancel_requested: bool
    queued_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    ended_at: datetime | None

    @strawberry.field(description='The global id ("JobRun:<pk>").')
    def id(self, root: strawberry.Parent[JobRunRow]) -> strawberry.ID:
        return encode_id("JobRun", root.id)

    @strawberry.field
    def status(self, root: strawberry.Parent[JobRunRow]) -> JobRunStatus:
        return JobRunStatus(root.status)

    @strawberry.field
    def counts(self, root: strawberry.Parent[JobRunRow]) -> JobRunCounts:
        return JobRunCounts(
            read=root.records_read or 0,
            inserted=root.records_inserted or 0,
            updated=root.records_updated or 0,
            unchanged=root.records_unchanged or 0,
            quarantined=root.records_quarantined or 0,
            deleted=root.records_deleted or 0,
        )

    @strawberry.field
    def progress(self, root: strawberry.Parent[JobRunRow]) -> JobProgress:
        done, total = root.progress_done or 0, root.progress_total
        fraction = None if not total else min(1.0, done / total)
        if root.status == JobRunStatus.SUCCEEDED.value:
            fraction = 1.0
        return JobProgress(done=done, total=total, fraction=fraction)

    @strawberry.field(description="Seconds from start to end (to now while it runs).")
    def duration_seconds(self, root: strawberry.Parent[JobRunRow]) -> float | None:
        if root.started_at is None:
            return None
        end = root.ended_at or datetime.now(UTC)
        return max(0.0, (end - root.started_at).total_seconds())


@strawberry.type(description="A record a sync could not store; its raw payload stays sealed.")
class QuarantinedRecord:
    connector: str
    stream: str
    external_id: str | None
    reason: str = strawberry.field(description="Why it was rejected (quotes no values).")
    created_at: datetime
    retried_at: datetime | None
    resolved_at: datetime | None

    @strawberry.field(description='The global id ("QuarantinedRecord:<pk>").')
    def id(self, root: strawberry.Parent[QuarantinedRow]) -> strawberry.ID:
        return encode_id("QuarantinedRecord", root.id)

    @strawberry.field(description="Whether it has been retried since.")
    def retried(self, root: strawberry.Parent[QuarantinedRow]) -> bool:
        return root.retried_at is not None

    @strawberry.field(description="Whether a retry stored it.")
    def resolved(self, root: strawberry.Parent[QuarantinedRow]) -> bool:
        return root.resolved_at is not None


@strawberry.type(description="A job message whose retries ran out; it can be replayed.")
class DeadLetter:
    queue: str
    actor: str
    error_class: str | None
    error_message: str | None = strawberry.field(description="What failed; never a secret.")
    failed_at: datetime
    replayed_at: datetime | None

    @strawberry.field(description='The global id ("DeadLetter:<pk>").')
    def id(self, root: strawberry.Parent[DeadLetterRow]) -> strawberry.ID:
        return encode_id("DeadLetter", root.id)

    @strawberry.field(description="The job run the message was for, if any (its global id).")
    def job_run_id(self, root: strawberry.Parent[DeadLetterRow]) -> strawberry.ID | None:
        return None if root.job_run_id is None else encode_id("JobRun", root.job_run_id)


@strawberry.type
class JobRunConnection(Connection[JobRun]):
    pass


@strawberry.type
class QuarantinedRecordConnection(Connection[QuarantinedRecord]):
    pass


@strawberry.type
class DeadLetterConnection(Connection[DeadLetter]):
    pass
