"""Create and update products, tiers and locations.

A location's kind and owner agree: a ``PARTNER_SITE`` belongs to a partner, a
``BRAND_WAREHOUSE`` to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import LocationKind
from resolvers.mutations.common import Ref, RefRule
from resolvers.mutations.entities import EntitySpec, create_entity, update_entity
from resolvers.mutations.errors import InvalidInput
from store.models import Location, Product, Tier
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.repositories.regions import RegionRepository, TierRepository
from store.repositories.stock import LocationRepository
from store.scope import Scope

Sessions = async_sessionmaker[AsyncSession]


async def _check_location(
    _session: AsyncSession, location: Location | None, values: dict[str, Any], _rows: Any
) -> None:
    kind = values.get("kind", location.kind if location else None)
    partner_id = values.get("partner_id", location.partner_id if location else None)
    if kind == LocationKind.PARTNER_SITE and partner_id is None:
        raise InvalidInput.one("partner", "a PARTNER_SITE needs a partner")
    if kind == LocationKind.BRAND_WAREHOUSE and partner_id is not None:
        raise InvalidInput.one("partner", "a BRAND_WAREHOUSE belongs to no partner")


PRODUCT = EntitySpec(
    model=Product,
    target=RefRule(ProductRepository, "product"),
    required=("sku", "name", "category", "unit"),
    amounts=("list_price",),
    unique=("sku", "barcode"),
)
TIER = EntitySpec(
    model=Tier,
    target=RefRule(TierRepository, "tier"),
    required=("name",),
    amounts=("allocation_weight",),
    unique=("name",),
)
LOCATION = EntitySpec(
    model=Location,
    target=RefRule(LocationRepository, "location"),
    required=("code", "name"),
    refs={
        "partner_id": RefRule(PartnerRepository, "partner"),
        "region_id": RefRule(RegionRepository, "region"),
    },
    unique=("code",),
    check=_check_location,
)


async def create_product(sessions: Sessions, scope: Scope, values: Mapping[str, Any]) -> Product:
    return await create_entity(sessions, scope, PRODUCT, values)


async def update_product(
    sessions: Sessions, scope: Scope, ref: Ref, values: Mapping[str, Any]
) -> Product:
    return await update_entity(sessions, scope, PRODUCT, ref, values)


async def create_tier(sessions: Sessions, scope: Scope, values: Mapping[str, Any]) -> Tier:
    return await create_entity(sessions, scope, TIER, values)


async def update_tier(
    sessions: Sessions, scope: Scope, ref: Ref, values: Mapping[str, Any]
) -> Tier:
    return await update_entity(sessions, scope, TIER, ref, values)


async def create_location(sessions: Sessions, scope: Scope, values: Mapping[str, Any]) -> Location:
    return await create_entity(sessions, scope, LOCATION, values)


async def update_location(
    sessions: Sessions, scope: Scope, ref: Ref, values: Mapping[str, Any]
) -> Location:
    return await update_entity(sessions, scope, LOCATION, ref, values)
