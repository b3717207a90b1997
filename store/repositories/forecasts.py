"""Forecast runs: the monthly demand series the forecast job reads (aggregated in SQL) and
the runs, series and lines it writes; the latest run's lines for readers.

``monthly_demand`` is a system read for the job (never reachable from GraphQL): units of
order lines of orders APPROVED or later, per partner × product × calendar month (UTC) of the
order's ``created_at``, bucketed by a ``CASE`` over the month boundaries so the same SQL runs
on SQLite and PostgreSQL. ``ForecastReader`` is the scoped read side for the graph: a
viewer sees the series of partners in its scope, and aggregates over those only. Nothing
here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import case, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus
from store.models import (
    ForecastLine,
    ForecastRun,
    ForecastSeries,
    Location,
    Order,
    OrderLine,
    Partner,
)
from store.scope import Scope

__all__ = [
    "DEMAND_STATUSES",
    "ForecastReader",
    "ForecastRepository",
    "GroupTotal",
    "add_months",
]

DEMAND_STATUSES = (
    OrderStatus.APPROVED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CLOSED,
)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s (count may be < 0)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class ForecastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def monthly_demand(
        self, first_month: date, months: int
    ) -> dict[tuple[int, int], list[float]]:
        """Units per (partner, product), one value per month from ``first_month`` on, zeros
        filled in; only pairs with some order line in the window appear."""
        bounds = [add_months(first_month, k) for k in range(months + 1)]
        bucket = case(
            *[(Order.created_at < _at(bounds[k + 1]), k) for k in range(months)],
            else_=months,
        )
        stmt = (
            select(
                Order.partner_id,
                OrderLine.product_id,
                bucket.label("bucket"),
                func.sum(OrderLine.quantity),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.status.in_(DEMAND_STATUSES),
                Order.created_at >= _at(bounds[0]),
                Order.created_at < _at(bounds[-1]),
            )
            .group_by(Order.partner_id, OrderLine.product_id, bucket)
        )
        series: dict[tuple[int, int], list[float]] = {}
        for partner_id, product_id, index, units in await self.session.execute(stmt):
            values = series.setdefault((partner_id, product_id), [0.0] * months)
            values[int(index)] += float(units or 0)
        return series

    async def run_for_job(self, job_run_id: int) -> ForecastRun | None:
        return await self.session.scalar(
            select(ForecastRun).where(ForecastRun.job_run_id == job_run_id)
        )

    async def clear(self, run: ForecastRun) -> None:
        """Remove what an interrupted attempt wrote for ``run`` (its lines and series)."""
        await self.session.execute(delete(ForecastLine).where(ForecastLine.run_id == run.id))
        await self.session.execute(delete(ForecastSeries).where(ForecastSeries.run_id == run.id))

    async def latest_run(self) -> ForecastRun | None:
        return await self.session.scalar(
            select(ForecastRun)
            .where(ForecastRun.status == "DONE")
            .order_by(ForecastRun.id.desc())
            .limit(1)
        )

    async def series_of(self, run_id: int) -> Sequence[ForecastSeries]:
        stmt = (
            select(ForecastSeries)
            .where(ForecastSeries.run_id == run_id)
            .order_by(ForecastSeries.partner_id, ForecastSeries.product_id)
        )
        return (await self.session.scalars(stmt)).all()

    async def lines_of(self, run_id: int) -> Sequence[ForecastLine]:
        stmt = (
            select(ForecastLine)
            .where(ForecastLine.run_id == run_id)
            .order_by(ForecastLine.series_id, ForecastLine.month)
        )
        return (await self.session.scalars(stmt)).all()


@dataclass(frozen=True)
class GroupTotal:
    """Forecast of one group (a product or a region) for one month, summed over its series.

    ``spread_squared`` is the sum of the squared upper half-widths (``upper - point``):
    assuming independent series, the group's half-width is its square root."""

    group_id: int | None
    month: date
    point: float
    spread_squared: float
    series: int


class ForecastReader:
    """Scoped reads of forecast runs for the graph (partners outside the scope are unseen)."""

    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def runs(self, limit: int) -> Sequence[ForecastRun]:
        stmt = select(ForecastRun).order_by(ForecastRun.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def run(self, run_id: int | None) -> ForecastRun | None:
        """Run ``run_id`` (if finished), else the latest finished run."""
        stmt = select(ForecastRun).where(ForecastRun.status == "DONE")
        if run_id is not None:
            stmt = stmt.where(ForecastRun.id == run_id)
        return await self.session.scalar(stmt.order_by(ForecastRun.id.desc()).limit(1))

    async def series(
        self, run_id: int, partner_id: int, product_id: int
    ) -> tuple[ForecastSeries, Sequence[ForecastLine]] | None:
        row = await self.session.scalar(
            select(ForecastSeries).where(
                ForecastSeries.run_id == run_id,
                ForecastSeries.partner_id == partner_id,
                ForecastSeries.product_id == product_id,
                self.scope.via_partner(ForecastSeries.partner_id),
            )
        )
        if row is None:
            return None
        lines = await self.session.scalars(
            select(ForecastLine)
            .where(ForecastLine.series_id == row.id)
            .order_by(ForecastLine.month)
        )
        return row, lines.all()

    async def totals(self, run_id: int, by: str) -> list[GroupTotal]:
        """Per month and product (``by="product"``) or partner region (``"region"``)."""
        group = ForecastSeries.product_id if by == "product" else Partner.region_id
        spread = ForecastLine.upper - ForecastLine.point
        stmt = (
            select(
                group,
                ForecastLine.month,
                func.sum(ForecastLine.point),
                func.sum(spread * spread),
                func.count(),
            )
            .select_from(ForecastLine)
            .join(ForecastSeries, ForecastSeries.id == ForecastLine.series_id)
            .where(ForecastLine.run_id == run_id, self.scope.via_partner(ForecastSeries.partner_id))
            .group_by(group, ForecastLine.month)
            .order_by(group, ForecastLine.month)
        )
        if by != "product":
            stmt = stmt.join(Partner, Partner.id == ForecastSeries.partner_id)
        rows = await self.session.execute(stmt)
        return [
            GroupTotal(gid, month, float(point or 0), float(sq or 0), int(n))
            for gid, month, point, sq, n in rows
        ]

    async def demand_at_locations(
        self, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], float]:
        """Forecast units over the horizon of the latest finished run per (location, product):
        the series of the location's partner for that product (one statement; pairs with no
        partner or no forecast are absent)."""
        if not pairs:
            return {}
        latest = (
            select(ForecastRun.id)
            .where(ForecastRun.status == "DONE")
            .order_by(ForecastRun.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        stmt = (
            select(Location.id, ForecastSeries.product_id, func.sum(ForecastLine.point))
            .select_from(ForecastLine)
            .join(ForecastSeries, ForecastSeries.id == ForecastLine.series_id)
            .join(Location, Location.partner_id == ForecastSeries.partner_id)
            .where(
                ForecastLine.run_id == latest,
                tuple_(Location.id, ForecastSeries.product_id).in_(sorted(set(pairs))),
                self.scope.via_partner(ForecastSeries.partner_id),
            )
            .group_by(Location.id, ForecastSeries.product_id)
        )
        rows = await self.session.execute(stmt)
        return {(loc, product): float(units or 0) for loc, product, units in rows}
