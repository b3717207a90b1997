"""Stock control: reorder rules per location × product, and the low-stock alerts they raise.

A ``ReorderRule`` says how much of a product a location should hold (``minimum``,
``maximum``, order in ``multiple``\\ s). A ``StockAlert`` is open (``resolved_at`` is null)
while the location's on-hand stock is under the minimum; at most one alert per pair is open
at a time (a partial unique index), so raising twice is impossible even under a race.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped, utcnow
from store.types import UTCDateTime


class ReorderRule(Timestamped, Base):
    """Keep ``product`` at ``location`` between ``minimum`` and ``maximum``, in ``multiple``\\ s."""

    __tablename__ = "reorder_rules"
    __table_args__ = (UniqueConstraint("location_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    minimum: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int] = mapped_column(Integer)
    multiple: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class StockAlert(Base):
    """Stock of a product at a location fell under its minimum (open until refilled)."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        Index(
            "ux_stock_alerts_open_pair",
            "location_id",
            "product_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_stock_alerts_raised_at", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    minimum: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_on_hand: Mapped[int | None] = mapped_column(Integer)
