"""Forecast runs: the monthly demand series the forecast job reads (aggregated in SQL) and
the runs, series and lines it writes; the latest run's lines for readers.

``monthly_demand`` is a system read for the job (never reachable from GraphQL): units of
order lines of orders APPROVED or later, per partner × product × calendar month (UTC) of the
order's ``created_at``, bucketed by a ``CASE`` over the month boundaries so the same SQL runs
on SQLite and PostgreSQL. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus
from store.models import ForecastLine, ForecastRun, ForecastSeries, Order, OrderLine

__all__ = ["DEMAND_STATUSES", "ForecastRepository", "add_months"]

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
