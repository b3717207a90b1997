"""Create and update products, tiers and locations.

Products and tiers are catalogue data (``catalog:write``); locations belong to the channel
(``channel:write``, and a partner site only for a partner in the caller's scope).

A location's kind and owner agree: a ``PARTNER_SITE`` belongs to a partner, a
``BRAND_WAREHOUSE`` to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import LocationKind
from resolvers.mutations.common import Caller, Ref, RefRule
from resolvers.mutations.entities import EntitySpec, create_entity, update_entity
from resolvers.mutations.errors import InvalidInput
from security.viewer import Permission
from store.models import Location, Product, Tier
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.repositories.regions import RegionRepository, TierRepository
from store.repositories.stock import LocationRepository

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
    permission=Permission.CATALOG_WRITE,
    required=("sku", "name", "category", "unit"),
    amounts=("list_price",),
    unique=("sku", "barcode"),
)
TIER = EntitySpec(
    model=Tier,
    target=RefRule(TierRepository, "tier"),
    permission=Permission.CATALOG_WRITE,
    required=("name",),
    amounts=("allocation_weight",),
    unique=("name",),
)
LOCATION = EntitySpec(
    model=Location,
    target=RefRule(LocationRepository, "location"),
    permission=Permission.CHANNEL_WRITE,
    required=("code", "name"),
    refs={
        "partner_id": RefRule(PartnerRepository, "partner"),
        "region_id": RefRule(RegionRepository, "region"),
    },
    unique=("code",),
    check=_check_location,
)


async def create_product(sessions: Sessions, caller: Caller, values: Mapping[str, Any]) -> Product:
    return await create_entity(sessions, caller, PRODUCT, values)


async def update_product(
    sessions: Sessions, caller: Caller, ref: Ref, values: Mapping[str, Any]
) -> Product:
    return await update_entity(sessions, caller, PRODUCT, ref, values)


async def create_tier(sessions: Sessions, caller: Caller, values: Mapping[str, Any]) -> Tier:
    return await create_entity(sessions, caller, TIER, values)


async def update_tier(
    sessions: Sessions, caller: Caller, ref: Ref, values: Mapping[str, Any]
) -> Tier:
    return await update_entity(sessions, caller, TIER, ref, values)


async def create_location(
    sessions: Sessions, caller: Caller, values: Mapping[str, Any]
) -> Location:
    return await create_entity(sessions, caller, LOCATION, values)


async def update_location(
    sessions: Sessions, caller: Caller, ref: Ref, values: Mapping[str, Any]
) -> Location:
    return await update_entity(sessions, caller, LOCATION, ref, values)
