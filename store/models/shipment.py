"""Order tracking: shipments of an order and its production/logistics status updates.

A ``Shipment`` is one consignment of an order (carrier, tracking number, status, ETA); the
pair (carrier, tracking number) is unique. A ``TrackingEvent`` is one dated update on the way
to the dealer — production started, left the factory, customs cleared, a shipment's status
changed — recorded by a person or by a sync (``recorded_by``). An order's timeline is its
status changes and its tracking events in time order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped, utcnow
from store.types import UTCDateTime


class ShipmentStatus(StrEnum):
    PLANNED = "PLANNED"
    IN_PRODUCTION = "IN_PRODUCTION"
    READY = "READY"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    CANCELLED = "CANCELLED"


class TrackingKind(StrEnum):
    PRODUCTION = "PRODUCTION"
    LOGISTICS = "LOGISTICS"
    SHIPMENT = "SHIPMENT"


class Shipment(Timestamped, Base):
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("carrier", "tracking_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(100))
    status: Mapped[ShipmentStatus] = mapped_column(
        Enum(ShipmentStatus, native_enum=False, length=20), default=ShipmentStatus.PLANNED
    )
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TrackingEvent(Base):
    """One production/logistics update of an order (optionally of one of its shipments)."""

    __tablename__ = "tracking_events"
    __table_args__ = (Index("ix_tracking_events_order_at", "order_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    kind: Mapped[TrackingKind] = mapped_column(Enum(TrackingKind, native_enum=False, length=20))
    status: Mapped[str] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
