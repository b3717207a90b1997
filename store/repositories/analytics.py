"""Sales analytics in SQL: trends per region subtree × month (× category) and the partner
contribution ranking of a period, each one GROUP BY statement scoped to the viewer.

Sales are order lines of orders APPROVED or later (``SALES_STATUSES``, as the rebate
accrual counts them), dated by the order's ``created_at`` (UTC), amount = ``line_total``.
Months are UTC calendar months, keyed ``year * 100 + month`` in SQL on both backends.

Interface::

    async sales_trends(session, scope, *, start: date, end: date,
                       region_ids: Sequence[int] = (), by_category: bool = False
                       ) -> list[TrendPoint]
    async partner_sales(session, scope, *, start: datetime, end: datetime,
                        region_id: int | None = None) -> list[PartnerSalesRow]

``sales_trends`` covers the months from ``start``'s to ``end``'s (inclusive) and reads the
twelve months before as well, so each point carries last year's amount for the growth rule
(``domain.analytics.yoy_growth``). With ``region_ids`` each region's series covers its whole
subtree (a partner counts under every listed region above it); without, one series covers
everything the viewer sees. Points with no sales are omitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, cast, extract, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.analytics import yoy_growth
from store.models import Location, Order, OrderLine, Partner, Product, Region, StockLevel
from store.repositories.rebates import SALES_STATUSES
from store.scope import Scope
from store.types import Money


@dataclass(frozen=True)
class TrendPoint:
    """Sales of one month in one series (a region subtree or everything; a category or all)."""

    region_id: int | None
    category: str | None
    month: date
    amount: Decimal
    quantity: int
    last_year: Decimal | None
    growth: Decimal | None


@dataclass(frozen=True)
class PartnerSalesRow:
    partner_id: int
    code: str
    amount: Decimal
    quantity: int
    on_hand: int


def month_key(session: AsyncSession, column: Any) -> Any:
    """``year * 100 + month`` of a UTC timestamp column, on this session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone("UTC", column)
        return cast(extract("year", utc) * 100 + extract("month", utc), Integer)
    return cast(func.strftime("%Y%m", column), Integer)


def _key(day: date) -> int:
    return day.year * 100 + day.month


def _shift(key: int, months: int) -> int:
    index = (key // 100) * 12 + key % 100 - 1 + months
    return (index // 12) * 100 + index % 12 + 1


def _month_start(key: int) -> datetime:
    return datetime(key // 100, key % 100, 1, tzinfo=UTC)


def _amount() -> Any:
    return type_coerce(func.coalesce(func.sum(OrderLine.line_total), 0), Money())


def sales_base(scope: Scope, start: datetime, end: datetime) -> Any:
    """Order lines of sales orders created in [start, end) that the viewer may see."""
    return (
        select()
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.status.in_(SALES_STATUSES),
            Order.created_at >= start,
            Order.created_at < end,
            scope.via_partner(Order.partner_id),
        )
    )


async def sales_trends(
    session: AsyncSession,
    scope: Scope,
    *,
    start: date,
    end: date,
    region_ids: Sequence[int] = (),
    by_category: bool = False,
) -> list[TrendPoint]:
    """Monthly sales per series, each with last year's amount and the growth over it."""
    first, last = _key(start), _key(end)
    month = month_key(session, Order.created_at).label("month")
    groups: list[Any] = [month]
    stmt = sales_base(scope, _month_start(_shift(first, -12)), _month_start(_shift(last, 1)))
    if by_category:
        stmt = stmt.join(Product, Product.id == OrderLine.product_id)
        groups.append(Product.category)
    if region_ids:
        group, own = aliased(Region), aliased(Region)
        stmt = (
            stmt.join(Partner, Partner.id == Order.partner_id)
            .join(own, own.id == Partner.region_id)
            .join(group, own.path.startswith(group.path))
            .where(group.id.in_(sorted(set(region_ids))))
        )
        groups.append(group.id)
    stmt = stmt.add_columns(
        *groups, _amount(), func.coalesce(func.sum(OrderLine.quantity), 0)
    ).group_by(*groups)
    sums: dict[tuple[int, str | None, int | None], tuple[Decimal, int]] = {}
    for row in await session.execute(stmt):
        key = int(row[0])
        category = row[1] if by_category else None
        region = row[len(groups) - 1] if region_ids else None
        sums[(key, category, region)] = (Decimal(row[-2]), int(row[-1]))
    points = []
    for (key, category, region), (amount, quantity) in sums.items():
        if key < first:
            continue
        base = sums.get((_shift(key, -12), category, region))
        last_year = None if base is None else base[0]
        points.append(
            TrendPoint(
                region_id=region,
                category=category,
                month=date(key // 100, key % 100, 1),
                amount=amount,
                quantity=quantity,
                last_year=last_year,
                growth=yoy_growth(amount, last_year),
            )
        )
    points.sort(key=lambda p: (p.region_id or 0, p.category or "", p.month))
    return points


async def partner_sales(
    session: AsyncSession,
    scope: Scope,
    *,
    start: datetime,
    end: datetime,
    region_id: int | None = None,
) -> list[PartnerSalesRow]:
    """Sales amount and quantity per partner in [start, end), with what it holds now."""
    amount, quantity = _amount().label("amount"), func.sum(OrderLine.quantity).label("quantity")
    sold = (
        sales_base(scope, start, end)
        .add_columns(Order.partner_id.label("partner_id"), amount, quantity)
        .group_by(Order.partner_id)
        .cte("sold")  # one aggregate, read twice (a subquery would compute it twice)
    )
    held = (
        select(Location.partner_id.label("partner_id"), func.sum(StockLevel.on_hand).label("qty"))
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.partner_id.in_(select(sold.c.partner_id)))
        .group_by(Location.partner_id)
        .subquery()
    )
    stmt = (
        select(
            Partner.id,
            Partner.code,
            sold.c.amount,
            sold.c.quantity,
            func.coalesce(held.c.qty, 0),
        )
        .join(sold, sold.c.partner_id == Partner.id)
        .outerjoin(held, held.c.partner_id == Partner.id)
        .order_by(sold.c.amount.desc(), Partner.code)
    )
    if region_id is not None:
        within = select(Region.id).where(
            Region.path.startswith(
                select(Region.path).where(Region.id == region_id).scalar_subquery()
            )
        )
        stmt = stmt.where(Partner.region_id.in_(within))
    return [
        PartnerSalesRow(int(pid), str(code), Decimal(amt), int(qty), int(on_hand))
        for pid, code, amt, qty, on_hand in await session.execute(stmt)
    ]
