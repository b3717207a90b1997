"""Remote records that could not be mapped or validated, kept for a person to look at.

The raw payload is sealed (``payload_ct``): it can hold anything the ERP sent, personal data
included, so it never reaches the database in plaintext. ``store.repositories.quarantine``
seals and opens it; the ``reason`` is plaintext and must never quote sensitive values.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import UTCDateTime


class QuarantinedRecord(Base):
    """One rejected record of a connector stream, with why it was rejected."""

    __tablename__ = "quarantined_records"
    __table_args__ = (Index("ix_quarantined_records_connector_stream", "connector", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    stream: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    payload_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
