"""Order tracking types: shipments and the entries of an order's timeline.

``Order.shipments`` and ``Order.timeline`` (``schema.types.order``) resolve through the
per-request tracking loaders (``resolvers.tracking``): one scoped batch per nesting level.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.tracking import tracking_loaders
from schema.context import Info
from schema.enums import OrderStatus
from schema.node import encode_id
from store import models
from store.models.shipment import ShipmentStatus, TrackingKind
from store.repositories.shipments import STATUS_CHANGE, TimelineEntry

if TYPE_CHECKING:
    from schema.types.order import Order

strawberry.enum(ShipmentStatus, description="Where a shipment is.")
strawberry.enum(TrackingKind, description="What a tracking update is about.")

__all__ = ["Shipment", "ShipmentStatus", "TimelineItem", "TrackingKind"]


@strawberry.type(description="One consignment of an order.")
class Shipment:
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    eta: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime

    @strawberry.field
    def id(self, root: strawberry.Parent[models.Shipment]) -> strawberry.ID:
        return encode_id("Shipment", root.id)

    @strawberry.field(description="Null when the order is outside your scope.")
    async def order(
        self, root: strawberry.Parent[models.Shipment], info: Info
    ) -> Annotated[Order, strawberry.lazy("schema.types.order")] | None:
        return await info.context.loaders.order.load(root.order_id)  # type: ignore[return-value]


@strawberry.type(description="One dated step of an order: a status change or a tracking update.")
class TimelineItem:
    at: datetime
    kind: str = strawberry.field(
        description="STATUS_CHANGE, or the tracking kind: PRODUCTION, LOGISTICS, SHIPMENT."
    )
    status: str = strawberry.field(
        description="The new order status, shipment status or logistics step."
    )
    note: str | None
    by: str = strawberry.field(description="Who recorded it (a user or sync:<connector>).")
    shipment_id: strawberry.Private[int | None]
    from_status_text: strawberry.Private[str | None]

    @strawberry.field(description="The status before (status changes only).")
    def from_status(self) -> OrderStatus | None:
        return None if self.from_status_text is None else OrderStatus(self.from_status_text)

    @strawberry.field(description="The shipment (SHIPMENT entries).")
    async def shipment(self, info: Info) -> Shipment | None:
        if self.shipment_id is None:
            return None
        loaders = tracking_loaders(info.context.loaders)
        return await loaders.shipment.load(self.shipment_id)  # type: ignore[return-value]

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineItem:
        return cls(
            at=entry.at,
            kind=entry.kind,
            status=entry.status,
            note=entry.note,
            by=entry.by,
            shipment_id=entry.shipment_id,
            from_status_text=entry.from_status if entry.kind == STATUS_CHANGE else None,
        )


async def order_timeline(info: Info, order_id: int) -> list[TimelineItem]:
    entries = await tracking_loaders(info.context.loaders).timeline.load(order_id)
    return [TimelineItem.of(e) for e in entries]


async def order_shipments(info: Info, order_id: int) -> list[Shipment]:
    return await tracking_loaders(info.context.loaders).shipments.load(order_id)  # type: ignore[return-value]
