"""External ids: which record of which connector a hub entity corresponds to."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped


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
