"""Order tracking in the graph: ``createShipment``, ``updateShipment`` and
``recordTrackingEvent`` (mutations, ``tracking:write``), and ``orderStatusChanged``
(subscription, scoped: a dealer hears of its own orders, a region manager of its regions').

The services live in ``resolvers.tracking``; ``Order.shipments`` and ``Order.timeline`` in
``schema.types.order`` / ``schema.types.tracking``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, cast

import strawberry

from resolvers import tracking as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.enums import OrderStatus
from schema.mutations.base import given, ref, run
from schema.mutations.errors import (
    DuplicateError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from schema.node import decode_typed_id
from schema.permissions import CHANNEL_READERS
from schema.types.order import Order
from schema.types.tracking import Shipment, ShipmentStatus, TimelineItem, TrackingKind
from store import models
from store.repositories.shipments import TimelineEntry


@strawberry.input(description="A new shipment of an order.")
class CreateShipmentInput:
    order: strawberry.ID
    carrier: str
    tracking_number: str
    status: ShipmentStatus = ShipmentStatus.PLANNED
    eta: datetime | None = None
    note: str | None = None


@strawberry.input(description="A shipment's new status and/or ETA (null `eta` clears it).")
class UpdateShipmentInput:
    id: strawberry.ID
    status: ShipmentStatus | None = None
    eta: strawberry.Maybe[datetime | None]
    note: str | None = None
    at: datetime | None = strawberry.field(default=None, description="When (default: now).")


@strawberry.input(description="A production or logistics update of an order.")
class RecordTrackingEventInput:
    order: strawberry.ID
    kind: TrackingKind
    status: str = strawberry.field(description='E.g. "production started", "customs cleared".')
    note: str | None = None
    occurred_at: datetime | None = None


@strawberry.type
class ShipmentPayload:
    shipment: Shipment


@strawberry.type
class TrackingEventPayload:
    item: TimelineItem


ShipmentResult = Annotated[
    ShipmentPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("ShipmentResult"),
]
TrackingEventResult = Annotated[
    TrackingEventPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("TrackingEventResult"),
]


def _shipment(row: models.Shipment) -> ShipmentPayload:
    return ShipmentPayload(shipment=cast(Shipment, row))


def _tracking(row: models.TrackingEvent) -> TrackingEventPayload:
    entry = TimelineEntry(
        at=row.occurred_at,
        kind=str(row.kind),
        status=row.status,
        note=row.note,
        by=row.recorded_by,
        shipment_id=row.shipment_id,
    )
    return TrackingEventPayload(item=TimelineItem.of(entry))


@strawberry.type
class TrackingMutation:
    @strawberry.mutation(description="Add a shipment (carrier, tracking number) to an order.")
    async def create_shipment(self, info: Info, input: CreateShipmentInput) -> ShipmentResult:
        ctx = info.context
        new = service.NewShipment(
            carrier=input.carrier,
            tracking_number=input.tracking_number,
            status=input.status,
            eta=input.eta,
            note=input.note,
        )
        action = service.create_shipment(
            ctx.sessions, Caller.of(ctx), ref(input.order, "Order"), new
        )
        return cast(ShipmentResult, await run(info, ShipmentResult, action, _shipment))

    @strawberry.mutation(description="Change a shipment's status or ETA.")
    async def update_shipment(self, info: Info, input: UpdateShipmentInput) -> ShipmentResult:
        ctx = info.context
        eta = given(eta=input.eta)
        action = service.update_shipment(
            ctx.sessions,
            Caller.of(ctx),
            ref(input.id, "Shipment"),
            status=input.status,
            eta=eta.get("eta"),
            eta_given="eta" in eta,
            note=input.note,
            at=input.at,
        )
        return cast(ShipmentResult, await run(info, ShipmentResult, action, _shipment))

    @strawberry.mutation(description="Record a production or logistics update of an order.")
    async def record_tracking_event(
        self, info: Info, input: RecordTrackingEventInput
    ) -> TrackingEventResult:
        ctx = info.context
        action = service.record_tracking(
            ctx.sessions,
            Caller.of(ctx),
            ref(input.order, "Order"),
            kind=input.kind,
            status=input.status,
            note=input.note,
            occurred_at=input.occurred_at,
        )
        return cast(TrackingEventResult, await run(info, TrackingEventResult, action, _tracking))


@strawberry.type(description="An order moved from one status to another.")
class OrderStatusUpdate:
    order: Order
    from_status: OrderStatus | None
    to_status: OrderStatus
    changed_by: str
    changed_at: datetime


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(
        description="Status changes of orders in your scope from now on (`order`: only that "
        "one), whether made in the graph or arriving from an ERP.",
        permission_classes=CHANNEL_READERS,
    )
    async def order_status_changed(
        self, info: Info, order: strawberry.ID | None = None
    ) -> AsyncGenerator[OrderStatusUpdate, None]:
        ctx = info.context
        order_id = None if order is None else decode_typed_id(order, "Order")
        updates = service.order_status_updates(ctx.hub, Caller.of(ctx), order_id)
        try:
            async for update in updates:
                yield OrderStatusUpdate(
                    order=cast(Order, update.order),
                    from_status=None
                    if update.from_status is None
                    else OrderStatus(update.from_status),
                    to_status=OrderStatus(update.to_status),
                    changed_by=update.changed_by,
                    changed_at=update.changed_at,
                )
        finally:
            await updates.aclose()
