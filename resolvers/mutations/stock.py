"""Set the stock a location holds of a product (an upsert of the stock level).

Needs ``stock:write`` (brand admins, region managers and dealers hold it) and a location of a
partner in the caller's scope: a dealer keeps its own sites' stock, never another's.
A level that falls under its minimum raises a low-stock alert, one refilled resolves it
(``jobs.stock_alerts``, in the same transaction); the alert events go to ``events`` after
the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.channel_events import EventSink, publish_deferred
from jobs.stock_alerts import refresh_alerts
from resolvers.mutations.common import (
    Caller,
    Ref,
    RefRule,
    check_counts,
    load,
    ref_problems,
    refuse,
    unit_of_work,
)
from security.viewer import Permission
from store.base import utcnow
from store.models import StockLevel
from store.repositories.products import ProductRepository
from store.repositories.stock import LocationRepository
from store.repositories.stock_writes import StockWrites

QUANTITIES = ("on_hand", "reserved", "in_transit", "min_quantity")


async def set_stock_level(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    location: Ref,
    product: Ref,
    values: Mapping[str, Any],
    events: EventSink | None = None,
) -> StockLevel:
    """Create or change the level; quantities not in ``values`` keep their current value."""
    caller.require(Permission.STOCK_WRITE, "set stock levels")
    scope = caller.scope
    refuse(
        ref_problems({"location": location, "product": product}) + check_counts(values, QUANTITIES)
    )
    async with unit_of_work(sessions) as session:
        await load(session, scope, RefRule(LocationRepository, "location"), location, "location")
        await load(session, scope, RefRule(ProductRepository, "product"), product, "product")
        now = utcnow()
        level = await StockWrites(session).upsert(location.pk, product.pk, values, now)
        await refresh_alerts(session, [(location.pk, product.pk)], now)
    await publish_deferred(events, session)
    return level
