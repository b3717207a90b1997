"""The assembled GraphQL schema: types, inputs, errors, context, limits."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors

from schema.errors import should_mask_error
from schema.mutations import Mutation
from schema.query import Query
from schema.types.order import Order
from schema.types.partner import Partner, PartnerDocument
from schema.types.product import Product
from schema.types.region import Region, Tier
from schema.types.stock import Location, StockLevel


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Region, Tier, Partner, PartnerDocument, Product, Location, StockLevel, Order],
        extensions=[lambda: MaskErrors(should_mask_error=should_mask_error)],
    )


schema = build_schema()
