"""Sales analytics services: trend series per region subtree (and category) × month with
year-over-year growth, and the partner contribution ranking (Pareto) of a period with each
partner's sell-through estimate. Shared by the graph (``schema.analytics``) and the chart
images (``resolvers.charts``); the SQL lives in ``store.repositories.analytics``.

A period is given as whole UTC days, ``start`` to ``end`` inclusive. Bad input raises
``AnalyticsInputError`` (shown to clients as is) before any query runs.

Interface::

    async sales_trends(sessions, scope, *, start: date, end: date,
                       region_ids: Sequence[int] = (), by_category: bool = False
                       ) -> list[TrendSeries]
    async partner_ranking(sessions, scope, *, start: date, end: date,
                          region_id: int | None = None, limit: int | None = None) -> Ranking
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.analytics import pareto, sell_through
from store.repositories import analytics as repo
from store.scope import Scope

MAX_TREND_MONTHS = 120


class AnalyticsInputError(ValueError):
    """A request for analytics the client must change (e.g. a period that ends before it starts)."""


@dataclass(frozen=True)
class TrendSeries:
    region_id: int | None
    category: str | None
    points: list[repo.TrendPoint]


@dataclass(frozen=True)
class Contribution:
    rank: int
    partner_id: int
    code: str
    amount: Decimal
    quantity: int
    share: Decimal
    cumulative_share: Decimal
    on_hand: int
    sell_through: Decimal | None


@dataclass(frozen=True)
class Ranking:
    start: date
    end: date
    total: Decimal
    partners: list[Contribution]


def check_period(start: date, end: date, *, max_days: int | None = None) -> None:
    if end < start:
        raise AnalyticsInputError("to: must not be before from")
    if max_days is not None and (end - start).days > max_days:
        raise AnalyticsInputError(f"from/to: a period spans at most {max_days} days")


async def sales_trends(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    *,
    start: date,
    end: date,
    region_ids: Sequence[int] = (),
    by_category: bool = False,
) -> list[TrendSeries]:
    """One series per (region, category) with its months in order; empty series omitted."""
    check_period(start, end, max_days=MAX_TREND_MONTHS * 31)
    async with sessions() as session:
        points = await repo.sales_trends(
            session, scope, start=start, end=end, region_ids=region_ids, by_category=by_category
        )
    series: dict[tuple[int | None, str | None], list[repo.TrendPoint]] = {}
    for point in points:
        series.setdefault((point.region_id, point.category), []).append(point)
    return [TrendSeries(region, category, found) for (region, category), found in series.items()]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def partner_ranking(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    *,
    start: date,
    end: date,
    region_id: int | None = None,
    limit: int | None = None,
) -> Ranking:
    """Partners by sales amount (desc, ties by code) with share and cumulative share of the
    total of every partner in the ranking (``limit`` only cuts the list, not the total)."""
    check_period(start, end)
    if limit is not None and limit < 1:
        raise AnalyticsInputError("first: must be at least 1")
    async with sessions() as session:
        rows = await repo.partner_sales(
            session,
            scope,
            start=_day_start(start),
            end=_day_start(end + timedelta(days=1)),
            region_id=region_id,
        )
    by_code = {row.code: row for row in rows}
    shares = pareto((row.code, row.amount) for row in rows)
    total = sum((row.amount for row in rows), Decimal(0))
    partners = []
    for rank, share in enumerate(shares[:limit] if limit else shares, start=1):
        row = by_code[share.key]
        partners.append(
            Contribution(
                rank=rank,
                partner_id=row.partner_id,
                code=row.code,
                amount=row.amount,
                quantity=row.quantity,
                share=share.share,
                cumulative_share=share.cumulative_share,
                on_hand=row.on_hand,
                sell_through=sell_through(row.quantity, row.on_hand),
            )
        )
    return Ranking(start, end, total, partners)
