"""Stock control services: reorder rules (set/delete), alert reads, reorder suggestions,
stock ageing and slow-moving stock, and the ``lowStockAlert`` feed.

Writes need ``stock:write`` and a location in the caller's scope (as ``setStockLevel``);
reads need a viewer that may read the channel and see what its scope holds. A change of a
rule re-evaluates the pair's low-stock alert in the same transaction (``jobs.stock_alerts``).

Interface::

    async set_reorder_rule(sessions, caller, location: Ref, product: Ref, *, minimum: int,
                           maximum: int, multiple: int, events=None) -> ReorderRule
    async delete_reorder_rule(sessions, caller, rule: Ref, events=None) -> int
    async alert_updates(hub, caller) -> AsyncGenerator[StockAlert]   # lowStockAlert
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.channel_events import STOCK_ALERT, EventSink, publish_deferred
from jobs.stock_alerts import refresh_alerts
from resolvers.mutations.common import (
    Caller,
    Problems,
    Ref,
    RefRule,
    load,
    ref_problems,
    refuse,
    unit_of_work,
)
from resolvers.mutations.errors import Forbidden
from security.viewer import Permission
from store.base import utcnow
from store.models import ReorderRule, StockAlert
from store.repositories.products import ProductRepository
from store.repositories.stock import LocationRepository
from store.repositories.stock_alerts import (
    ReorderRuleRepository,
    ReorderRuleWrites,
    StockAlertRepository,
)


def rule_problems(minimum: int, maximum: int, multiple: int) -> Problems:
    """Field problems of a rule: counts not negative, maximum ≥ minimum, multiple ≥ 1."""
    problems: Problems = [
        (field, "must not be negative")
        for field, value in (("minimum", minimum), ("maximum", maximum))
        if value < 0
    ]
    if not problems and maximum < minimum:
        problems.append(("maximum", "must be at least the minimum"))
    if multiple < 1:
        problems.append(("multiple", "must be at least 1"))
    return problems


async def set_reorder_rule(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    location: Ref,
    product: Ref,
    *,
    minimum: int,
    maximum: int,
    multiple: int,
    events: EventSink | None = None,
) -> ReorderRule:
    """Create or replace the rule of (location, product); its alert follows at once."""
    caller.require(Permission.STOCK_WRITE, "set reorder rules")
    refuse(
        ref_problems({"location": location, "product": product})
        + rule_problems(minimum, maximum, multiple)
    )
    async with unit_of_work(sessions) as session:
        await load(
            session, caller.scope, RefRule(LocationRepository, "location"), location, "location"
        )
        await load(session, caller.scope, RefRule(ProductRepository, "product"), product, "product")
        now = utcnow()
        rule = await ReorderRuleWrites(session).upsert(
            location.pk,
            product.pk,
            minimum=minimum,
            maximum=maximum,
            multiple=multiple,
            actor=caller.subject,
            now=now,
        )
        await refresh_alerts(session, [(location.pk, product.pk)], now)
    await publish_deferred(events, session)
    return rule


async def delete_reorder_rule(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    rule: Ref,
    events: EventSink | None = None,
) -> int:
    """Delete a rule (its pair's alert then follows the level's own minimum, if any)."""
    caller.require(Permission.STOCK_WRITE, "delete reorder rules")
    async with unit_of_work(sessions) as session:
        row = await load(
            session, caller.scope, RefRule(ReorderRuleRepository, "reorder rule"), rule, "id"
        )
        await ReorderRuleWrites(session).delete(row.id)
        await refresh_alerts(session, [(row.location_id, row.product_id)], utcnow())
    await publish_deferred(events, session)
    return int(row.id)


async def _visible_alert(hub: Any, caller: Caller, alert_id: int) -> StockAlert | None:
    async with hub.sessions() as session:
        found = await StockAlertRepository(session, caller.scope).by_ids([alert_id])
    return found.get(alert_id)


async def alert_updates(hub: Any, caller: Caller) -> AsyncGenerator[StockAlert, None]:
    """Each alert raised or resolved from now on that the caller may see (read back through
    its scope, so a dealer never hears of another partner's stock)."""
    if caller.viewer is None or not caller.viewer.can(Permission.CHANNEL_READ):
        raise Forbidden("you may not follow stock alerts", Permission.CHANNEL_READ)
    subscription: Any = hub.events.subscribe()
    try:
        await subscription.ready()
        async for event in subscription:
            if event.get("type") != STOCK_ALERT or not isinstance(event.get("alertId"), int):
                continue
            alert = await _visible_alert(hub, caller, event["alertId"])
            if alert is not None:
                yield alert
    finally:
        await subscription.aclose()
