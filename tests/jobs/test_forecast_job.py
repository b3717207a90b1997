"""The forecast job on both backends: monthly demand summed in SQL from order lines (only
orders APPROVED or later, bucketed by calendar month), one forecast run with a series per
partner × product and three forecast lines each, recorded no-forecast and failed series,
and a repeated job run that changes nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from domain.forecast import Forecast, NoForecast, forecast_series
from domain.forecast_methods import Method
from jobs.forecast import plan, run_forecast
from jobs.runs import SUCCEEDED
from jobs.schedules import wanted_schedules
from schema.node import decode_typed_id
from security.viewer import Role
from store.models import ForecastLine, ForecastRun, ForecastSeries, JobRun
from store.repositories.forecasts import ForecastRepository, add_months
from tests.factories import create_order, create_partner, create_product
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

pytestmark = pytest.mark.anyio

AS_OF = date(2026, 7, 10)


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    async with sessions.begin() as s:
        steady, sparse = await create_partner(s), await create_partner(s)
        cola, chips = await create_product(s), await create_product(s)
        for month in range(1, 7):  # Jan..Jun 2026: 10, 12, ..., 20 units
            await create_order(
                s,
                partner=steady,
                lines=[(cola, 8 + 2 * month)],
                status=OrderStatus.APPROVED,
                created_at=at(2026, month),
            )
        # first of the month and last instant of the month land in the right bucket
        await create_order(
            s,
            partner=steady,
            lines=[(chips, 4)],
            status=OrderStatus.DELIVERED,
            created_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
        await create_order(
            s,
            partner=steady,
            lines=[(chips, 2)],
            status=OrderStatus.CLOSED,
            created_at=datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC),
        )
        # not demand: a draft, a cancelled order, and one after the history window
        await create_order(
            s, partner=sparse, lines=[(cola, 99)], status=OrderStatus.DRAFT, created_at=at(2026, 2)
        )
        await create_order(
            s,
            partner=sparse,
            lines=[(cola, 99)],
            status=OrderStatus.CANCELLED,
            created_at=at(2026, 3),
        )
        await create_order(
            s,
            partner=sparse,
            lines=[(chips, 5)],
            status=OrderStatus.APPROVED,
            created_at=at(2026, 7, 2),
        )
        return steady.id, sparse.id, cola.id, chips.id


async def test_monthly_demand_is_summed_in_sql(sessions):
    steady, _, cola, chips = await seed(sessions)
    async with sessions() as s:
        series = await ForecastRepository(s).monthly_demand(date(2026, 1, 1), 6)
    assert series == {
        (steady, cola): [10.0, 12.0, 14.0, 16.0, 18.0, 20.0],
        (steady, chips): [0.0, 0.0, 4.0, 0.0, 2.0, 0.0],
    }


async def test_run_stores_series_and_lines(sessions):
    steady, _, cola, chips = await seed(sessions)
    run = await run_forecast(sessions, as_of=AS_OF, history_months=6)
    assert (run.status, run.first_month, run.horizon) == ("DONE", date(2026, 7, 1), 3)
    assert (run.series_total, run.series_forecast, run.series_skipped, run.series_failed) == (
        2,
        2,
        0,
        0,
    )
    async with sessions() as s:
        rows = {(r.partner_id, r.product_id): r for r in await s.scalars(select(ForecastSeries))}
        lines = list(await s.scalars(select(ForecastLine).order_by(ForecastLine.id)))
    smooth = rows[(steady, cola)]
    assert (smooth.status, smooth.series_class) == ("FORECAST", "smooth")
    lumpy_or_intermittent = rows[(steady, chips)]
    # trimmed to start at March: [4, 0, 2, 0] -> ADI 2, sizes 4 and 2 -> CV² 1/9
    assert lumpy_or_intermittent.series_class == "intermittent"
    assert lumpy_or_intermittent.adi == pytest.approx(2.0)
    smooth_lines = [line for line in lines if line.series_id == smooth.id]
    assert [line.month for line in smooth_lines] == [date(2026, m, 1) for m in (7, 8, 9)]
    assert [line.step for line in smooth_lines] == [1, 2, 3]
    assert all(line.lower <= line.point <= line.upper for line in lines)
    assert len(lines) == 6
    metrics = json.loads(run.metrics_json or "{}")
    assert metrics["backtested_series"] == 2
    assert set(json.loads(run.models_json or "{}")) == {
        "smooth",
        "erratic",
        "intermittent",
        "lumpy",
    }


async def test_failed_and_empty_series_are_recorded(sessions, monkeypatch):
    steady, sparse, cola, chips = await seed(sessions)

    def flaky(
        history: Sequence[float], horizon: int = 3, method: Method | None = None
    ) -> Forecast | NoForecast:
        if list(history[:2]) == [10.0, 12.0]:
            raise ZeroDivisionError("secret detail must not be stored")
        return forecast_series(history, horizon, method)

    monkeypatch.setattr("jobs.forecast.forecast_series", flaky)
    run = await run_forecast(sessions, as_of=AS_OF, history_months=6)
    assert (run.series_total, run.series_forecast, run.series_failed) == (2, 1, 1)
    async with sessions() as s:
        failed = await s.scalar(select(ForecastSeries).where(ForecastSeries.status == "FAILED"))
    assert failed is not None
    assert (failed.partner_id, failed.product_id) == (steady, cola)
    assert (failed.reason, failed.message) == ("error", "ZeroDivisionError")

    empty = plan({(sparse, chips): [0.0, 0.0, 0.0]})
    outcome = empty.outcomes[(sparse, chips)]
    assert outcome.no_forecast is not None
    assert str(outcome.no_forecast.reason) == "no_demand"


async def test_same_job_run_twice_changes_nothing(sessions):
    await seed(sessions)
    async with sessions.begin() as s:
        job = JobRun(kind="forecast", status="RUNNING")
        s.add(job)
        await s.flush()
        job_id = job.id
    first = await run_forecast(sessions, as_of=AS_OF, job_run_id=job_id, history_months=6)
    again = await run_forecast(sessions, as_of=AS_OF, job_run_id=job_id, history_months=6)
    assert again.id == first.id
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ForecastRun)) == 1
        assert await s.scalar(select(func.count()).select_from(ForecastLine)) == 6


def test_add_months() -> None:
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)


async def test_the_forecast_runs_as_a_job_with_its_progress_in_the_run(sessions, settings):
    await seed(sessions)
    async with running_worker(job_settings(settings)):
        run_id = await queue_run(
            sessions,
            "forecast",
            trigger="manual",
            params={"as_of": "2026-07-10", "history_months": 6},
        )
        job = (await wait_for_runs(sessions, [run_id]))[run_id]
    assert (job.status, job.error_class) == (SUCCEEDED, None)
    assert (job.progress_done, job.progress_total, job.records_inserted) == (2, 2, 2)
    async with sessions() as s:
        run = await ForecastRepository(s).latest_run()
    assert run is not None
    assert (run.job_run_id, run.first_month, run.series_forecast) == (run_id, date(2026, 7, 1), 2)


def test_the_forecast_runs_monthly_by_default_and_can_be_turned_off(settings):
    [wanted] = [w for w in wanted_schedules([], settings) if w.name == "forecast"]
    assert (wanted.kind, wanted.cron) == ("forecast", "0 3 1 * *")
    off = settings.model_copy(update={"forecast_cron": ""})
    assert "forecast" not in {w.name for w in wanted_schedules([], off)}


RUN_FORECAST = """mutation($asOf: Date, $months: Int! = 36) {
  runForecast(asOf: $asOf, historyMonths: $months) {
    __typename
    ... on ForecastJobPayload { run { id kind } }
    ... on InvalidInputError { fields { field } }
    ... on ForbiddenError { permission } } }"""


async def test_run_forecast_mutation_queues_the_job(sessions, settings, gql_as):
    steady, *_ = await seed(sessions)
    dealer = gql_as(Role.DEALER, partner=steady)
    denied = (await dealer.data(RUN_FORECAST, asOf="2026-07-10"))["runForecast"]
    assert denied == {"__typename": "ForbiddenError", "permission": "JOBS_MANAGE"}
    admin = gql_as(Role.BRAND_ADMIN)
    bad = (await admin.data(RUN_FORECAST, months=2))["runForecast"]
    assert bad["fields"] == [{"field": "historyMonths"}]
    async with running_worker(job_settings(settings)):
        queued = (await admin.data(RUN_FORECAST, asOf="2026-07-10", months=6))["runForecast"]
        assert queued["__typename"] == "ForecastJobPayload"
        assert queued["run"]["kind"] == "forecast"
        run_id = decode_typed_id(queued["run"]["id"], "JobRun")
        job = (await wait_for_runs(sessions, [run_id]))[run_id]
    assert job.status == SUCCEEDED
    async with sessions() as s:
        count = await s.scalar(select(func.count()).select_from(ForecastRun))
        run = await ForecastRepository(s).latest_run()
    assert count == 1
    assert run is not None and (run.job_run_id, run.series_forecast) == (run_id, 2)
    async with sessions() as s:
        runs_before = await s.scalar(select(func.count()).select_from(JobRun))
    await dealer.data(RUN_FORECAST)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(JobRun)) == runs_before
