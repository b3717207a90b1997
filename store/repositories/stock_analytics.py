"""Stock value analytics in SQL: ageing buckets, slow-moving stock and its share of value.

Value is ``on_hand × product list price`` (exact: ``Money`` on both backends). Age is days
since ``last_received_at``, bucketed as ``domain.stock_rules.AGEING_BUCKETS`` (0-30, 31-60,
61-90, 90+; stock never received counts as 90+). Stock is slow-moving when it has had no sale
for ``slow_days`` days or more, or never sold (``domain.stock_rules.is_slow_moving``). Only
levels with stock on hand count. Day boundaries are computed from ``now`` in Python and
compared in SQL, so every aggregation is one statement on either backend, scoped to what
the viewer may see (``located_visible``).

Interface::

    GROUP_PARTNER, GROUP_REGION, GROUP_OVERALL
    async stock_ageing(session, scope, *, group_by: str, now: datetime,
                       slow_days: int) -> list[AgeingRow]
    async slow_moving(session, scope, *, now, slow_days, limit,
                      partner_id=None) -> list[SlowLevel]

Regions roll up their subtrees: a region's row covers stock at locations anywhere below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.stock_rules import AGEING_BUCKETS, slow_moving_share
from store.models import Location, Product, Region, StockLevel
from store.repositories.stock_alerts import located_visible
from store.scope import Scope
from store.types import Money

GROUP_PARTNER = "PARTNER"
GROUP_REGION = "REGION"
GROUP_OVERALL = "OVERALL"
BUCKETS = tuple(label for label, _first, _last in AGEING_BUCKETS)


@dataclass(frozen=True)
class AgeingRow:
    """Stock value of one group (a partner, a region subtree, or everything: key None)."""

    key: int | None
    buckets: dict[str, Decimal]
    total: Decimal
    slow_moving: Decimal
    quantity: int

    @property
    def slow_moving_share(self) -> Decimal:
        return slow_moving_share(self.slow_moving, self.total)


@dataclass(frozen=True)
class SlowLevel:
    level: StockLevel
    value: Decimal
    days_since_sale: int | None


def _value() -> Any:
    return StockLevel.on_hand * Product.list_price


def _sum(expression: Any) -> Any:
    return type_coerce(func.coalesce(func.sum(expression), 0), Money())


def _slow(now: datetime, slow_days: int) -> ColumnElement[bool]:
    return or_(
        StockLevel.last_sale_at.is_(None),
        StockLevel.last_sale_at <= now - timedelta(days=slow_days),
    )


def _bucket_columns(now: datetime) -> list[Any]:
    """One SUM per bucket: days ≤ last ⇔ received after now - (last + 1) days."""
    columns = []
    lower: datetime | None = None  # received after this fell in an earlier bucket
    for label, _first, last in AGEING_BUCKETS:
        clauses = []
        if last is not None:
            clauses.append(StockLevel.last_received_at > now - timedelta(days=last + 1))
        if lower is not None:
            clauses.append(
                or_(StockLevel.last_received_at.is_(None), StockLevel.last_received_at <= lower)
            )
        condition = clauses[0] if len(clauses) == 1 else clauses[0] & clauses[1]
        columns.append(_sum(case((condition, _value()), else_=0)).label(f"b{label}"))
        if last is not None:
            lower = now - timedelta(days=last + 1)
    return columns


def _base(scope: Scope, now: datetime, slow_days: int, *group: Any) -> Select[Any]:
    return (
        select(
            *group,
            *_bucket_columns(now),
            _sum(_value()).label("total"),
            _sum(case((_slow(now, slow_days), _value()), else_=0)).label("slow"),
            func.coalesce(func.sum(StockLevel.on_hand), 0).label("quantity"),
        )
        .select_from(StockLevel)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(located_visible(scope, StockLevel.location_id), StockLevel.on_hand > 0)
    )


def _row(key: int | None, values: Any) -> AgeingRow:
    buckets: dict[str, Decimal] = {label: Decimal(values[i]) for i, label in enumerate(BUCKETS)}
    total, slow, quantity = values[len(BUCKETS) :]
    return AgeingRow(key, buckets, Decimal(total), Decimal(slow), int(quantity))


async def stock_ageing(
    session: AsyncSession, scope: Scope, *, group_by: str, now: datetime, slow_days: int
) -> list[AgeingRow]:
    """Value per ageing bucket, total and slow-moving value per group, in one statement."""
    if group_by == GROUP_OVERALL:
        row = (await session.execute(_base(scope, now, slow_days))).one()
        return [_row(None, tuple(row))]
    if group_by == GROUP_PARTNER:
        stmt = (
            _base(scope, now, slow_days, Location.partner_id)
            .group_by(Location.partner_id)
            .order_by(Location.partner_id)
        )
    elif group_by == GROUP_REGION:
        group = aliased(Region)
        own = aliased(Region)
        stmt = (
            _base(scope, now, slow_days, group.id)
            .join(own, own.id == Location.region_id)
            .join(group, own.path.startswith(group.path))
            .group_by(group.id)
            .order_by(group.id)
        )
    else:
        raise ValueError(f"unknown grouping {group_by!r}")
    return [_row(key, tuple(rest)) for key, *rest in await session.execute(stmt)]


async def slow_moving(
    session: AsyncSession,
    scope: Scope,
    *,
    now: datetime,
    slow_days: int,
    limit: int,
    partner_id: int | None = None,
) -> list[SlowLevel]:
    """Stock levels with stock on hand and no sale for ``slow_days`` days, highest value first."""
    value = type_coerce(_value(), Money())
    stmt = (
        select(StockLevel, value)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(
            located_visible(scope, StockLevel.location_id),
            StockLevel.on_hand > 0,
            _slow(now, slow_days),
        )
        .order_by(value.desc(), StockLevel.id)
        .limit(limit)
    )
    if partner_id is not None:
        stmt = stmt.where(Location.partner_id == partner_id)
    found = []
    for level, worth in await session.execute(stmt):
        days = None if level.last_sale_at is None else (now - level.last_sale_at).days
        found.append(SlowLevel(level, Decimal(worth), days))
    return found
