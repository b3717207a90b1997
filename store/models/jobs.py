"""Background work: job runs, per-stream sync state, cron schedules and dead letters.

``JobRun`` is one run of one job (a stream sync, an outbox delivery sweep, a re-encryption,
later accruals and forecasts): its status moves QUEUED → RUNNING → SUCCEEDED | FAILED |
CANCELLED, with counts and progress written as it goes. ``SyncState`` is the saved state of
one (connector, stream): committed in the same transaction as the page it follows, so a
crash resumes from the last stored page. ``Schedule`` holds a cron expression and the next
due time; a scheduler claims a due run by compare-and-set on ``next_run_at``.
``DeadLetter`` keeps a message whose retries ran out, so it can be seen and replayed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import UTCDateTime


class JobRun(Base):
    """One run of a background job, with what it did and how it ended."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_connector_stream_status", "connector", "stream", "status"),
        Index("ix_job_runs_kind_status", "kind", "status"),
        Index("ix_job_runs_queued_at", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    connector: Mapped[str | None] = mapped_column(String(100))
    stream: Mapped[str | None] = mapped_column(String(100))
    mode: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="QUEUED")
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    requested_by: Mapped[str | None] = mapped_column(String(200))
    params_json: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    records_inserted: Mapped[int] = mapped_column(Integer, default=0)
    records_updated: Mapped[int] = mapped_column(Integer, default=0)
    records_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    records_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    records_deleted: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncState(Base):
    """The saved read state of one (connector, stream), advanced with each stored page."""

    __tablename__ = "sync_states"
    __table_args__ = (UniqueConstraint("connector", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    stream: Mapped[str] = mapped_column(String(100))
    state_json: Mapped[str] = mapped_column(Text, default="{}")
    full_refresh_run_id: Mapped[int | None] = mapped_column(Integer)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Schedule(Base):
    """A cron schedule for a periodic job; ``next_run_at`` is claimed by compare-and-set."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_next_run_at", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    connector: Mapped[str | None] = mapped_column(String(100))
    stream: Mapped[str | None] = mapped_column(String(100))
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DeadLetter(Base):
    """A message whose retries ran out (or that can never succeed), kept for replay."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    message_json: Mapped[str] = mapped_column(Text)
    job_run_id: Mapped[int | None] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
