"""Orders, their lines and their status history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from schema.connection import Connection
from schema.context import Info
from schema.enums import OrderStatus
from schema.node import Node
from schema.types.live import LIVE_FIELD_HELP, LIVE_FIELDS_HELP, LiveValue, live_value, live_values
from schema.types.partner import Partner
from schema.types.product import Product
from schema.types.tracking import Shipment, TimelineItem, order_shipments, order_timeline
from store import models


@strawberry.type(description="One line of an order; money is exact Decimal.")
class OrderLine:
    line_no: int
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @strawberry.field
    async def product(self, root: strawberry.Parent[models.OrderLine], info: Info) -> Product:
        return await info.context.loaders.product.load(root.product_id)  # type: ignore[return-value]


@strawberry.type(description="One status transition of an order.")
class OrderStatusChange:
    from_status: OrderStatus | None
    to_status: OrderStatus
    changed_by: str
    changed_at: datetime
    note: str | None


@strawberry.type(description="A partner's order to the brand.")
class Order(Node):
    number: str
    status: OrderStatus
    currency: str
    total: Decimal
    note: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    async def partner(self, root: strawberry.Parent[models.Order], info: Info) -> Partner:
        return await info.context.loaders.partner.load(root.partner_id)  # type: ignore[return-value]

    @strawberry.field
    async def lines(self, root: strawberry.Parent[models.Order], info: Info) -> list[OrderLine]:
        return await info.context.loaders.order_lines.load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Status transitions, oldest first.")
    async def history(
        self, root: strawberry.Parent[models.Order], info: Info
    ) -> list[OrderStatusChange]:
        return await info.context.loaders.order_history.load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Shipments of this order, oldest first.")
    async def shipments(self, root: strawberry.Parent[models.Order], info: Info) -> list[Shipment]:
        return await order_shipments(info, root.id)

    @strawberry.field(
        description="Status changes, shipments and production/logistics updates, in time order."
    )
    async def timeline(
        self, root: strawberry.Parent[models.Order], info: Info
    ) -> list[TimelineItem]:
        return await order_timeline(info, root.id)

    @strawberry.field(description=LIVE_FIELD_HELP)
    async def live(
        self, root: strawberry.Parent[models.Order], info: Info, field: str
    ) -> LiveValue | None:
        return await live_value(info, "order", root.id, field)

    @strawberry.field(description=LIVE_FIELDS_HELP)
    async def live_fields(
        self, root: strawberry.Parent[models.Order], info: Info
    ) -> list[LiveValue]:
        return await live_values(info, "order", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Order)


@strawberry.type
class OrderConnection(Connection[Order]):
    pass
