"""External ids: which record of which connector a hub entity corresponds to.

A sync keeps, per ref, the stream that last wrote it, a hash of the mapped values (a record
that did not change is counted ``unchanged`` and not written), the full-refresh run that last
saw it, and when a full refresh found it gone from the remote (marked, never deleted).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import UTCDateTime


class ExternalRef(Timestamped, Base):
    """(connector, entity, external id) → hub row id; the key syncs upsert by."""

    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint("connector", "entity", "external_id"),
        Index("ix_external_refs_entity_row", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(String(200))
    stream: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    seen_run_id: Mapped[int | None] = mapped_column(Integer)
    deleted_remotely_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
