"""Low-stock alerts raised and resolved wherever stock changes, in the same transaction.

``refresh_alerts(session, pairs, now)`` looks at each (location, product) pair as it is now
in the transaction and makes its alert agree with it:

- on hand under the minimum and no open alert → an alert is raised (RAISED event);
- on hand at or over the minimum (or no minimum) and an open alert → it is resolved
  (RESOLVED event);
- still under the minimum with an alert open → the alert's ``on_hand`` follows (no event).

The minimum is the pair's reorder rule (``ReorderRule.minimum``), else the stock level's own
``min_quantity``. Both ``setStockLevel`` / ``setReorderRule`` (resolvers) and the
``stock_level`` sync sink call it after they write, before their commit. At most one alert
per pair is open (a partial unique index); the insert skips a pair another transaction just
raised (ON CONFLICT DO NOTHING), so concurrent writers never fail on it.

Events are deferred on the session (``jobs.channel_events``) and published after the commit.

Interface::

    async refresh_alerts(session: AsyncSession, pairs: Iterable[tuple[int, int]],
                         now: datetime) -> list[dict[str, Any]]   # the events deferred
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.channel_events import STOCK_ALERT, defer
from store.models import Location, ReorderRule, StockAlert, StockLevel

__all__ = ["RAISED", "RESOLVED", "refresh_alerts"]

RAISED = "RAISED"
RESOLVED = "RESOLVED"
_CHUNK = 200

Pair = tuple[int, int]


def _pairs_clause(columns: tuple[Any, Any], pairs: list[Pair]) -> Any:
    location, product = columns
    return or_(*(and_(location == loc, product == prod) for loc, prod in pairs))


async def _state(session: AsyncSession, pairs: list[Pair]) -> dict[Pair, tuple[int, int | None]]:
    """Each pair's on-hand stock and minimum (rule first, then the level's own)."""
    minimum = func.coalesce(ReorderRule.minimum, StockLevel.min_quantity)
    stmt = (
        select(StockLevel.location_id, StockLevel.product_id, StockLevel.on_hand, minimum)
        .outerjoin(
            ReorderRule,
            and_(
                ReorderRule.location_id == StockLevel.location_id,
                ReorderRule.product_id == StockLevel.product_id,
            ),
        )
        .where(_pairs_clause((StockLevel.location_id, StockLevel.product_id), pairs))
    )
    return {(loc, prod): (on_hand, low) for loc, prod, on_hand, low in await session.execute(stmt)}


async def _open(session: AsyncSession, pairs: list[Pair]) -> dict[Pair, int]:
    stmt = select(StockAlert.location_id, StockAlert.product_id, StockAlert.id).where(
        StockAlert.resolved_at.is_(None),
        _pairs_clause((StockAlert.location_id, StockAlert.product_id), pairs),
    )
    return {(loc, prod): alert_id for loc, prod, alert_id in await session.execute(stmt)}


async def _partners(session: AsyncSession, locations: set[int]) -> dict[int, int | None]:
    rows = await session.execute(
        select(Location.id, Location.partner_id).where(Location.id.in_(sorted(locations)))
    )
    return {loc: partner for loc, partner in rows}


async def _raise(
    session: AsyncSession, pair: Pair, on_hand: int, minimum: int, now: datetime
) -> int | None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(StockAlert)
        .values(
            location_id=pair[0], product_id=pair[1], minimum=minimum, on_hand=on_hand, raised_at=now
        )
        .on_conflict_do_nothing(
            index_elements=[StockAlert.location_id, StockAlert.product_id],
            index_where=StockAlert.resolved_at.is_(None),
        )
        .returning(StockAlert.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _event(
    state: str, alert_id: int, pair: Pair, partner: int | None, on_hand: int, low: int | None
) -> dict[str, Any]:
    return {
        "type": STOCK_ALERT,
        "state": state,
        "alertId": alert_id,
        "locationId": pair[0],
        "productId": pair[1],
        "partnerId": partner,
        "onHand": on_hand,
        "minimum": low,
    }


async def refresh_alerts(
    session: AsyncSession, pairs: Iterable[Pair], now: datetime
) -> list[dict[str, Any]]:
    """Raise or resolve the alerts of ``pairs`` to match their stock now (see the module)."""
    wanted = sorted(set(pairs))
    events: list[dict[str, Any]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        state, open_ = await _state(session, chunk), await _open(session, chunk)
        partners = await _partners(session, {loc for loc, _ in chunk})
        for pair in chunk:
            on_hand, low = state.get(pair, (0, None))
            below = low is not None and on_hand < low
            alert_id = open_.get(pair)
            partner = partners.get(pair[0])
            if below and alert_id is None:
                assert low is not None
                raised = await _raise(session, pair, on_hand, low, now)
                if raised is not None:
                    events.append(_event(RAISED, raised, pair, partner, on_hand, low))
            elif below and alert_id is not None:
                await session.execute(
                    update(StockAlert)
                    .where(StockAlert.id == alert_id)
                    .values(on_hand=on_hand, minimum=low)
                )
            elif alert_id is not None:
                await session.execute(
                    update(StockAlert)
                    .where(StockAlert.id == alert_id, StockAlert.resolved_at.is_(None))
                    .values(resolved_at=now, resolved_on_hand=on_hand)
                )
                events.append(_event(RESOLVED, alert_id, pair, partner, on_hand, low))
    for event in events:
        defer(session, event)
    return events
