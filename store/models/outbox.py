"""The outbox: changes that must reach an ERP, written in the same transaction as the change.

A relay job delivers each entry through the connector's write operation, sending
``idempotency_key`` with it (or looking the record up by that key before re-sending), and
stores the ERP's reference on our record (an ``ExternalRef``). Status: PENDING → SENDING
(claimed by one relay; ``next_attempt_at`` is its lease) → SENT, or FAILED (retrying,
``next_attempt_at``) → DEAD when its attempts run out (``store.repositories.outbox``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import UTCDateTime


class OutboxEntry(Base):
    """One record to write to one connector operation, exactly once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reference: Mapped[str | None] = mapped_column(String(200))
    last_error_class: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
