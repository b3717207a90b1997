"""``createProduct``/``updateProduct``, ``createTier``/``updateTier`` and
``createLocation``/``updateLocation`` (regions and stock have their own modules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry

from resolvers.mutations import catalog as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.enums import LocationKind, ProductLifecycle
from schema.mutations.base import given, optional_ref, ref, run
from schema.mutations.errors import DuplicateError, ForbiddenError, InvalidInputError, NotFoundError
from schema.types.product import Product
from schema.types.region import Tier
from schema.types.stock import Location
from store import models


@strawberry.input(description="A new product of the catalogue.")
class CreateProductInput:
    sku: str
    name: str
    category: str
    list_price: Decimal
    unit: str = "EA"
    lifecycle: ProductLifecycle = ProductLifecycle.ACTIVE
    launch_date: date | None = None
    barcode: str | None = None


@strawberry.input(description="Changes to a product: omitted fields keep their value; null clears.")
class UpdateProductInput:
    id: strawberry.ID
    sku: strawberry.Maybe[str]
    name: strawberry.Maybe[str]
    category: strawberry.Maybe[str]
    list_price: strawberry.Maybe[Decimal]
    unit: strawberry.Maybe[str]
    lifecycle: strawberry.Maybe[ProductLifecycle]
    launch_date: strawberry.Maybe[date | None]
    barcode: strawberry.Maybe[str | None]


@strawberry.input(description="A new partner tier.")
class CreateTierInput:
    name: str
    rank: int
    allocation_weight: Decimal = Decimal("1")


@strawberry.input(description="Changes to a tier: omitted fields keep their value.")
class UpdateTierInput:
    id: strawberry.ID
    name: strawberry.Maybe[str]
    rank: strawberry.Maybe[int]
    allocation_weight: strawberry.Maybe[Decimal]


@strawberry.input(description="A new location; a PARTNER_SITE needs a partner.")
class CreateLocationInput:
    code: str
    name: str
    kind: LocationKind
    partner: strawberry.ID | None = None
    region: strawberry.ID | None = None


@strawberry.input(
    description="Changes to a location: omitted fields keep their value; null clears."
)
class UpdateLocationInput:
    id: strawberry.ID
    code: strawberry.Maybe[str]
    name: strawberry.Maybe[str]
    kind: strawberry.Maybe[LocationKind]
    partner: strawberry.Maybe[strawberry.ID | None]
    region: strawberry.Maybe[strawberry.ID | None]


def _location_refs(values: dict[str, Any], partner: Any, region: Any) -> dict[str, Any]:
    """Add the partner and region references, given as ``Some(id or None)``, to ``values``."""
    if partner is not None:
        values["partner_id"] = optional_ref(partner.value, "Partner")
    if region is not None:
        values["region_id"] = optional_ref(region.value, "Region")
    return values


@strawberry.type
class ProductPayload:
    product: Product


@strawberry.type
class TierPayload:
    tier: Tier


@strawberry.type
class LocationPayload:
    location: Location


ProductResult = Annotated[
    ProductPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("ProductResult"),
]
TierResult = Annotated[
    TierPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("TierResult"),
]
LocationResult = Annotated[
    LocationPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("LocationResult"),
]


def _product(row: models.Product) -> ProductPayload:
    return ProductPayload(product=cast(Product, row))


def _tier(row: models.Tier) -> TierPayload:
    return TierPayload(tier=cast(Tier, row))


def _location(row: models.Location) -> LocationPayload:
    return LocationPayload(location=cast(Location, row))


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(description="Add a product to the catalogue.")
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductResult:
        ctx, values = info.context, dict(vars(input))
        action = service.create_product(ctx.sessions, Caller.of(ctx), values)
        return cast(ProductResult, await run(info, ProductResult, action, _product))

    @strawberry.mutation(description="Change a product.")
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductResult:
        ctx, target = info.context, ref(input.id, "Product")
        values = given(
            sku=input.sku,
            name=input.name,
            category=input.category,
            list_price=input.list_price,
            unit=input.unit,
            lifecycle=input.lifecycle,
            launch_date=input.launch_date,
            barcode=input.barcode,
        )
        action = service.update_product(ctx.sessions, Caller.of(ctx), target, values)
        return cast(ProductResult, await run(info, ProductResult, action, _product))

    @strawberry.mutation(description="Add a partner tier.")
    async def create_tier(self, info: Info, input: CreateTierInput) -> TierResult:
        ctx, values = info.context, dict(vars(input))
        action = service.create_tier(ctx.sessions, Caller.of(ctx), values)
        return cast(TierResult, await run(info, TierResult, action, _tier))

    @strawberry.mutation(description="Change a partner tier.")
    async def update_tier(self, info: Info, input: UpdateTierInput) -> TierResult:
        ctx, target = info.context, ref(input.id, "Tier")
        values = given(name=input.name, rank=input.rank, allocation_weight=input.allocation_weight)
        action = service.update_tier(ctx.sessions, Caller.of(ctx), target, values)
        return cast(TierResult, await run(info, TierResult, action, _tier))

    @strawberry.mutation(description="Add a brand warehouse or a partner site.")
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationResult:
        ctx = info.context
        values = {
            "code": input.code,
            "name": input.name,
            "kind": input.kind,
            "partner_id": optional_ref(input.partner, "Partner"),
            "region_id": optional_ref(input.region, "Region"),
        }
        action = service.create_location(ctx.sessions, Caller.of(ctx), values)
        return cast(LocationResult, await run(info, LocationResult, action, _location))

    @strawberry.mutation(description="Change a location.")
    async def update_location(self, info: Info, input: UpdateLocationInput) -> LocationResult:
        ctx, target = info.context, ref(input.id, "Location")
        values = given(code=input.code, name=input.name, kind=input.kind)
        _location_refs(values, input.partner, input.region)
        action = service.update_location(ctx.sessions, Caller.of(ctx), target, values)
        return cast(LocationResult, await run(info, LocationResult, action, _location))
