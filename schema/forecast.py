"""Demand forecasts in the graph: the forecast runs, one partner × product series of a run
(with its class, method, backtest and monthly points with 80 % intervals), and the run
aggregated by product and by the partners' region.

Queries ``forecastRuns``, ``forecast(partner, product, run)``, ``forecastByProduct(run)``,
``forecastByRegion(run)``; mutation ``runForecast(asOf, historyMonths)`` (jobs:manage).
Every series and aggregate is limited to the partners in the viewer's scope
(``store.scope``); ``run`` defaults to the latest finished run. Each field is one or two SQL
statements whatever its length. Aggregated intervals assume independent
series: half-width = √(Σ half-width²), the lower bound clamped at 0.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Annotated, Literal, cast

import strawberry

from resolvers import forecast as service
from resolvers.forecast import ForecastRun as StoredRun
from resolvers.forecast import GroupTotal
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import run as run_mutation
from schema.mutations.errors import ForbiddenError, InvalidInputError
from schema.node import decode_typed_id, encode_id
from schema.permissions import CHANNEL_READERS
from schema.types.job_run import JobRun


@strawberry.type(description="One run of the demand forecast job.")
class ForecastRun:
    id: strawberry.ID
    status: str
    first_month: date
    horizon: int
    history_months: int
    series_total: int
    series_forecast: int
    series_skipped: int
    series_failed: int
    models: str | None = strawberry.field(
        description="JSON: the method chosen per series class (by backtest WAPE)."
    )
    chosen_wape: float | None = strawberry.field(
        description="Pooled backtest WAPE of the chosen methods on the last 3 months."
    )
    seasonal_naive_wape: float | None = strawberry.field(
        description="Pooled backtest WAPE of the seasonal naive on the same series."
    )
    finished_at: datetime | None


@strawberry.type(description="One forecast month: the point and its 80 % interval (units).")
class ForecastPoint:
    month: date
    point: float
    lower: float
    upper: float


@strawberry.type(description="One partner × product series of a forecast run.")
class ForecastSeries:
    run_id: strawberry.ID
    partner_id: strawberry.ID
    product_id: strawberry.ID
    status: str = strawberry.field(description="FORECAST, NO_FORECAST or FAILED.")
    reason: str | None
    message: str | None
    series_class: str | None
    method: str | None
    adi: float | None
    cv2: float | None
    backtest_mase: float | None
    backtest_wape: float | None
    points: list[ForecastPoint]


@strawberry.type(description="A product's or a region's forecast for one month.")
class ForecastTotal:
    group_id: strawberry.ID | None
    month: date
    point: float
    lower: float
    upper: float
    series: int


def run_of(row: StoredRun) -> ForecastRun:
    """The graph type of a stored forecast run."""
    metrics = json.loads(row.metrics_json or "{}")
    return ForecastRun(
        id=encode_id("ForecastRun", row.id),
        status=row.status,
        first_month=row.first_month,
        horizon=row.horizon,
        history_months=row.history_months,
        series_total=row.series_total,
        series_forecast=row.series_forecast,
        series_skipped=row.series_skipped,
        series_failed=row.series_failed,
        models=row.models_json,
        chosen_wape=metrics.get("chosen_wape"),
        seasonal_naive_wape=metrics.get("seasonal_naive_wape"),
        finished_at=row.finished_at,
    )


def _total(kind: str, row: GroupTotal) -> ForecastTotal:
    half = math.sqrt(row.spread_squared)
    return ForecastTotal(
        group_id=None if row.group_id is None else encode_id(kind, row.group_id),
        month=row.month,
        point=row.point,
        lower=max(0.0, row.point - half),
        upper=row.point + half,
        series=row.series,
    )


def _run_pk(run: strawberry.ID | None) -> int | None:
    return None if run is None else decode_typed_id(run, "ForecastRun")


@strawberry.type
class ForecastQuery:
    @strawberry.field(permission_classes=CHANNEL_READERS, description="Latest runs first.")
    async def forecast_runs(self, info: Info, limit: int = 20) -> list[ForecastRun]:
        rows = await service.list_runs(info.context.sessions, info.context.scope, limit)
        return [run_of(row) for row in rows]

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="A partner × product series of a run (default: the latest); null when "
        "the partner is not yours or the run has no such series.",
    )
    async def forecast(
        self,
        info: Info,
        partner: strawberry.ID,
        product: strawberry.ID,
        run: strawberry.ID | None = None,
    ) -> ForecastSeries | None:
        partner_pk = decode_typed_id(partner, "Partner")
        product_pk = decode_typed_id(product, "Product")
        ctx = info.context
        result = await service.find_series(
            ctx.sessions, ctx.scope, _run_pk(run), partner_pk, product_pk
        )
        if result is None:
            return None
        row, lines = result
        return ForecastSeries(
            run_id=encode_id("ForecastRun", row.run_id),
            partner_id=partner,
            product_id=product,
            status=row.status,
            reason=row.reason,
            message=row.message,
            series_class=row.series_class,
            method=row.method,
            adi=row.adi,
            cv2=row.cv2,
            backtest_mase=row.backtest_mase,
            backtest_wape=row.backtest_wape,
            points=[
                ForecastPoint(month=x.month, point=x.point, lower=x.lower, upper=x.upper)
                for x in lines
            ],
        )

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Per product and month, over the series of partners you see.",
    )
    async def forecast_by_product(
        self, info: Info, run: strawberry.ID | None = None
    ) -> list[ForecastTotal]:
        return await _totals(info, run, "product", "Product")

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Per partner region and month, over the series of partners you see.",
    )
    async def forecast_by_region(
        self, info: Info, run: strawberry.ID | None = None
    ) -> list[ForecastTotal]:
        return await _totals(info, run, "region", "Region")


async def _totals(
    info: Info, run: strawberry.ID | None, by: Literal["product", "region"], kind: str
) -> list[ForecastTotal]:
    ctx = info.context
    rows = await service.run_totals(ctx.sessions, ctx.scope, _run_pk(run), by)
    return [_total(kind, row) for row in rows]


@strawberry.type
class ForecastJobPayload:
    run: JobRun


RunForecastResult = Annotated[
    ForecastJobPayload | InvalidInputError | ForbiddenError, strawberry.union("RunForecastResult")
]


@strawberry.type
class ForecastMutation:
    @strawberry.mutation(
        description="Queue the demand forecast job (as of a day: that month and the next two "
        "are forecast from the history months before it)."
    )
    async def run_forecast(
        self, info: Info, as_of: date | None = None, history_months: int = 36
    ) -> RunForecastResult:
        ctx = info.context
        action = service.start_forecast(ctx.hub, Caller.of(ctx), as_of, history_months)
        wrap = lambda row: ForecastJobPayload(run=cast(JobRun, row))  # noqa: E731
        return cast(RunForecastResult, await run_mutation(info, RunForecastResult, action, wrap))
