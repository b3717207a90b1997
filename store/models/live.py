"""Last known values of live fields: what a live field answers, marked stale, when the ERP
cannot be reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.types import UTCDateTime


class LiveValue(Base):
    """The value a live stream gave for one hub row, and when it was fetched."""

    __tablename__ = "live_values"
    __table_args__ = (UniqueConstraint("connector", "stream", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    stream: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    value_json: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
