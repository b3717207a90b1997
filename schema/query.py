"""The root ``Query``: connections over the channel, lookups by id, and ``node``/``nodes``.

Every root field needs a viewer that may read the channel (``schema.permissions``); what it
then sees is its scope, applied by the repositories.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from resolvers.connections import read_page, window
from resolvers.loaders import node_loader
from resolvers.lookup import narrow_to_matches
from schema.connection import page_parts
from schema.context import Info
from schema.enums import OrderOrderBy, PartnerOrderBy, ProductOrderBy, RegionOrderBy, StockOrderBy
from schema.errors import InvalidIdError
from schema.inputs import OrderFilter, PartnerFilter, ProductFilter, RegionFilter, StockFilter
from schema.node import Node, decode_id, decode_typed_id
from schema.permissions import CHANNEL_READERS
from schema.types.order import Order, OrderConnection
from schema.types.partner import Partner, PartnerConnection
from schema.types.product import Product, ProductConnection
from schema.types.region import RegionConnection, Tier
from schema.types.stock import StockLevelConnection
from store.repositories.base import ScopedRepository
from store.repositories.orders import OrderRepository
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.repositories.regions import RegionRepository, TierRepository
from store.repositories.stock import StockLevelRepository


async def _node(info: Info, global_id: str) -> Any:
    type_name, pk = decode_id(global_id)
    loader = node_loader(info.context.loaders, type_name)
    if loader is None:
        raise InvalidIdError(f"no node type {type_name!r}")
    return await loader.load(pk)


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object by its global id; null if unknown or not visible.",
        permission_classes=CHANNEL_READERS,
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _node(info, id)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Objects by global ids, in order; null for unknown ones.",
        permission_classes=CHANNEL_READERS,
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return list(await asyncio.gather(*(_node(info, i) for i in ids)))

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def partner(self, info: Info, id: strawberry.ID) -> Partner | None:
        return await info.context.loaders.partner.load(decode_typed_id(id, "Partner"))  # type: ignore[return-value]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return await info.context.loaders.order.load(decode_typed_id(id, "Order"))  # type: ignore[return-value]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def product(self, info: Info, sku: str) -> Product | None:
        ctx = info.context
        async with ctx.sessions() as session:
            found = await ProductRepository(session, ctx.scope).by_skus([sku])
        return found.get(sku)  # type: ignore[return-value]

    @strawberry.field(
        description="Every tier, lowest rank first.", permission_classes=CHANNEL_READERS
    )
    async def tiers(self, info: Info) -> list[Tier]:
        async with info.context.sessions() as session:
            return await TierRepository(session, info.context.scope).all()  # type: ignore[return-value]

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def partners(
        self,
        info: Info,
        filter: PartnerFilter | None = None,
        order_by: PartnerOrderBy = PartnerOrderBy.CODE_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> PartnerConnection:
        ctx = info.context
        store_filter = filter.to_store() if filter else None
        if filter is not None and store_filter is not None:  # taxId/contactEmail: exact matches
            lookups = filter.encrypted_lookups(ctx.viewer)
            store_filter = await narrow_to_matches(
                ctx.sessions, ctx.scope, ctx.hub.fields, store_filter, lookups
            )
        window_args = (first, after, last, before)
        parts = await _page(info, PartnerRepository, store_filter, order_by.value, window_args)
        return PartnerConnection(**parts)

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def orders(
        self,
        info: Info,
        filter: OrderFilter | None = None,
        order_by: OrderOrderBy = OrderOrderBy.CREATED_AT_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> OrderConnection:
        store_filter = filter.to_store() if filter else None
        window_args = (first, after, last, before)
        parts = await _page(info, OrderRepository, store_filter, order_by.value, window_args)
        return OrderConnection(**parts)

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def products(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        order_by: ProductOrderBy = ProductOrderBy.SKU_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ProductConnection:
        store_filter = filter.to_store() if filter else None
        window_args = (first, after, last, before)
        parts = await _page(info, ProductRepository, store_filter, order_by.value, window_args)
        return ProductConnection(**parts)

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def stock_levels(
        self,
        info: Info,
        filter: StockFilter | None = None,
        order_by: StockOrderBy = StockOrderBy.ID_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> StockLevelConnection:
        store_filter = filter.to_store() if filter else None
        window_args = (first, after, last, before)
        parts = await _page(info, StockLevelRepository, store_filter, order_by.value, window_args)
        return StockLevelConnection(**parts)

    @strawberry.field(permission_classes=CHANNEL_READERS)
    async def regions(
        self,
        info: Info,
        filter: RegionFilter | None = None,
        order_by: RegionOrderBy = RegionOrderBy.CODE_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> RegionConnection:
        store_filter = filter.to_store() if filter else None
        window_args = (first, after, last, before)
        parts = await _page(info, RegionRepository, store_filter, order_by.value, window_args)
        return RegionConnection(**parts)


async def _page(
    info: Info,
    repository: type[ScopedRepository[Any, Any]],
    store_filter: Any,
    ordering: str,
    window_args: tuple[int | None, str | None, int | None, str | None],
) -> dict[str, Any]:
    """The keyword arguments of a root connection: one scoped page and a lazy count."""
    ctx = info.context
    win = window(ctx.settings, *window_args)
    page, count = await read_page(ctx.sessions, ctx.scope, repository, store_filter, ordering, win)
    return {**page_parts(page), "count": count}
