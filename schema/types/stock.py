"""Locations (brand warehouses and partner sites) and the stock they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.connection import Connection
from schema.context import Info
from schema.enums import LocationKind
from schema.node import Node
from schema.types.partner import Partner
from schema.types.product import Product
from schema.types.region import Region
from store import models


@strawberry.type(description="A brand warehouse or a partner's site that holds stock.")
class Location(Node):
    code: str
    name: str
    kind: LocationKind

    @strawberry.field
    async def partner(self, root: strawberry.Parent[models.Location], info: Info) -> Partner | None:
        if root.partner_id is None:
            return None
        return await info.context.loaders.partner.load(root.partner_id)  # type: ignore[return-value]

    @strawberry.field
    async def region(self, root: strawberry.Parent[models.Location], info: Info) -> Region | None:
        if root.region_id is None:
            return None
        return await info.context.loaders.region.load(root.region_id)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Location)


@strawberry.type(description="What one location holds of one product.")
class StockLevel(Node):
    on_hand: int
    reserved: int
    in_transit: int
    min_quantity: int | None
    last_sale_at: datetime | None
    last_received_at: datetime | None

    @strawberry.field(description="On hand minus reserved.")
    def available(self, root: strawberry.Parent[models.StockLevel]) -> int:
        return root.on_hand - root.reserved

    @strawberry.field(description="True when on hand is under the location's minimum.")
    def below_min(self, root: strawberry.Parent[models.StockLevel]) -> bool:
        return root.min_quantity is not None and root.on_hand < root.min_quantity

    @strawberry.field
    async def location(self, root: strawberry.Parent[models.StockLevel], info: Info) -> Location:
        return await info.context.loaders.location.load(root.location_id)  # type: ignore[return-value]

    @strawberry.field
    async def product(self, root: strawberry.Parent[models.StockLevel], info: Info) -> Product:
        return await info.context.loaders.product.load(root.product_id)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.StockLevel)


@strawberry.type
class StockLevelConnection(Connection[StockLevel]):
    pass
