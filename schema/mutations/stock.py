"""``setStockLevel``: what one location holds of one product, created or changed in place."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from resolvers.mutations import stock as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import given, ref, run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError
from schema.types.stock import StockLevel
from store import models


@strawberry.input(
    description="Quantities of a product at a location; omitted ones keep their value "
    "(0 for a new level), and a null `minQuantity` clears the minimum."
)
class SetStockLevelInput:
    location: strawberry.ID
    product: strawberry.ID
    on_hand: int
    reserved: strawberry.Maybe[int]
    in_transit: strawberry.Maybe[int]
    min_quantity: strawberry.Maybe[int | None]


@strawberry.type
class StockLevelPayload:
    stock_level: StockLevel


StockLevelResult = Annotated[
    StockLevelPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("StockLevelResult"),
]


def _payload(row: models.StockLevel) -> StockLevelPayload:
    return StockLevelPayload(stock_level=cast(StockLevel, row))


@strawberry.type
class StockMutations:
    @strawberry.mutation(description="Set the stock of a product at a location (an upsert).")
    async def set_stock_level(self, info: Info, input: SetStockLevelInput) -> StockLevelResult:
        ctx = info.context
        values = {"on_hand": input.on_hand} | given(
            reserved=input.reserved, in_transit=input.in_transit, min_quantity=input.min_quantity
        )
        action = service.set_stock_level(
            ctx.sessions,
            Caller.of(ctx),
            ref(input.location, "Location"),
            ref(input.product, "Product"),
            values,
            events=getattr(ctx.hub, "events", None),
        )
        return cast(StockLevelResult, await run(info, StockLevelResult, action, _payload))
