"""Products of the catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.connection import Connection
from schema.context import Info
from schema.enums import ProductLifecycle
from schema.node import Node
from schema.types.live import LIVE_FIELD_HELP, LIVE_FIELDS_HELP, LiveValue, live_value, live_values
from store import models

if TYPE_CHECKING:
    from schema.types.stock import StockLevel


@strawberry.type(description="A product of the brand's catalogue.")
class Product(Node):
    sku: str
    name: str
    category: str
    unit: str
    list_price: Decimal
    lifecycle: ProductLifecycle
    launch_date: date | None
    barcode: str | None

    @strawberry.field(description="Stock of this product at every location the viewer may see.")
    async def stock(
        self, root: strawberry.Parent[models.Product], info: Info
    ) -> list[Annotated[StockLevel, strawberry.lazy("schema.types.stock")]]:
        return await info.context.loaders.product_stock.load(root.id)  # type: ignore[return-value]

    @strawberry.field(description=LIVE_FIELD_HELP)
    async def live(
        self, root: strawberry.Parent[models.Product], info: Info, field: str
    ) -> LiveValue | None:
        return await live_value(info, "product", root.id, field)

    @strawberry.field(description=LIVE_FIELDS_HELP)
    async def live_fields(
        self, root: strawberry.Parent[models.Product], info: Info
    ) -> list[LiveValue]:
        return await live_values(info, "product", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Product)


@strawberry.type
class ProductConnection(Connection[Product]):
    pass
