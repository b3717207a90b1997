"""The demand forecast job (kind ``forecast``, monthly): every partner × product series of
the last ``history_months`` complete months is classified, backtested with every method on
its last 3 months, forecast for the next 3 months with the method that won its class, and
stored as one forecast run.

Interface::

    FORECAST_KIND = "forecast"
    HISTORY_MONTHS = 36
    plan(series, horizon=3) -> Plan                      # pure: outcomes, choice, metrics
    async run_forecast(sessions, *, as_of, job_run_id=None, history_months=36,
                       progress=None) -> ForecastRun
    async forecast_job(resources, run_id)                # job kind "forecast"

Months: history is the ``history_months`` calendar months before ``as_of``'s month (so a run
on 1 March covers up to February); the forecast months are ``as_of``'s month and the next
two. A series starts at its first month with demand (a product launched last spring is not
"intermittent" because of the months before it existed).

Model choice: the method with the lowest pooled backtest WAPE per class
(``domain.forecast.choose_models``); the run stores the chosen models and, per method and
class, the backtest MASE and WAPE, plus the overall WAPE of the chosen models against the
seasonal naive's (``metrics_json``).

Outcomes: a series with no demand or no history is stored with status ``NO_FORECAST`` and
its reason; one whose computation raises is stored as ``FAILED`` with the error's class name
(never its text) and the run goes on. Safe to run twice: a job run owns one forecast run; a
repeated message of a finished run does nothing, an interrupted attempt's rows are replaced.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.forecast import (
    Backtest,
    Forecast,
    NoForecast,
    backtest,
    choose_models,
    classify,
    forecast_series,
    summarize,
)
from domain.forecast_methods import Method
from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from jobs.runtime import Resources
from store.base import utcnow
from store.models import ForecastLine, ForecastRun, ForecastSeries
from store.repositories.forecasts import ForecastRepository, add_months

__all__ = [
    "FORECAST_KIND",
    "HISTORY_MONTHS",
    "Plan",
    "SeriesOutcome",
    "forecast_job",
    "plan",
    "run_forecast",
]

log = logging.getLogger("channelhub.jobs.forecast")

FORECAST_KIND = "forecast"
HISTORY_MONTHS = 36
HORIZON = 3

Key = tuple[int, int]
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class SeriesOutcome:
    """One series' result: a forecast, a no-forecast outcome, or a failure (class name)."""

    forecast: Forecast | None = None
    no_forecast: NoForecast | None = None
    error: str | None = None
    backtest: Backtest | None = None


@dataclass
class Plan:
    """What a run computed, before it is stored."""

    models: dict[str, str]
    outcomes: dict[Key, SeriesOutcome] = field(default_factory=dict)
    metrics: dict[str, object] = field(default_factory=dict)


def _trimmed(history: list[float]) -> list[float]:
    for index, value in enumerate(history):
        if value > 0:
            return history[index:]
    return history


def plan(series: dict[Key, list[float]], horizon: int = HORIZON) -> Plan:
    """Backtest every method on every series, choose per class, forecast each series."""
    histories = {key: _trimmed(values) for key, values in series.items()}
    runs: dict[Key, dict[Method, Backtest]] = {}
    for key, history in histories.items():
        try:
            scored = {m: backtest(history, m) for m in Method}
        except Exception as error:  # recorded below when the forecast fails too
            log.warning("series %s: backtest failed (%s)", key, type(error).__name__)
            continue
        runs[key] = {m: b for m, b in scored.items() if isinstance(b, Backtest)}
    chosen = choose_models(b for by_method in runs.values() for b in by_method.values())
    result = Plan(models={str(c): str(m) for c, m in chosen.items()})
    picked: list[Backtest] = []
    naive: list[Backtest] = []
    for key, history in histories.items():
        try:
            cls = classify(history).series_class if any(v > 0 for v in history) else None
            method = chosen[cls] if cls is not None else None
            outcome = forecast_series(history, horizon, method)
        except Exception as error:  # a failing series never stops the run
            result.outcomes[key] = SeriesOutcome(error=type(error).__name__)
            continue
        if isinstance(outcome, NoForecast):
            result.outcomes[key] = SeriesOutcome(no_forecast=outcome)
            continue
        scored_run = runs.get(key, {}).get(outcome.method)
        if scored_run is not None:
            picked.append(scored_run)
            naive.append(runs[key][Method.SEASONAL_NAIVE])
        result.outcomes[key] = SeriesOutcome(forecast=outcome, backtest=scored_run)
    result.metrics = {
        "summaries": [
            {
                "method": str(s.method),
                "class": None if s.series_class is None else str(s.series_class),
                "series": s.series,
                "mase": s.mase,
                "wape": s.wape,
            }
            for s in summarize(b for by_method in runs.values() for b in by_method.values())
        ],
        "chosen_wape": _pooled_wape(picked),
        "seasonal_naive_wape": _pooled_wape(naive),
        "backtested_series": len(picked),
    }
    return result


def _pooled_wape(backtests: list[Backtest]) -> float | None:
    total = sum(b.actual_total for b in backtests)
    return sum(b.abs_error for b in backtests) / total if total > 0 else None


def _series_row(run: ForecastRun, key: Key, outcome: SeriesOutcome) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(_SERIES_COLUMNS)
    row.update(run_id=run.id, partner_id=key[0], product_id=key[1])
    if outcome.forecast is not None:
        f = outcome.forecast
        row.update(status="FORECAST", series_class=str(f.series_class), method=str(f.method))
        row.update(adi=f.adi, cv2=f.cv2, sigma=f.sigma)
        if outcome.backtest is not None:
            row.update(backtest_mase=outcome.backtest.mase, backtest_wape=outcome.backtest.wape)
    elif outcome.no_forecast is not None:
        row.update(status="NO_FORECAST", reason=str(outcome.no_forecast.reason))
        row.update(message=outcome.no_forecast.message)
    else:
        row.update(status="FAILED", reason="error", message=outcome.error)
    return row


_SERIES_COLUMNS = (
    "status",
    "reason",
    "message",
    "series_class",
    "method",
    "adi",
    "cv2",
    "sigma",
    "backtest_mase",
    "backtest_wape",
)


async def _store(session: AsyncSession, run: ForecastRun, result: Plan) -> None:
    """Bulk-insert the series (ids returned in order) and then their lines."""
    keys = sorted(result.outcomes)
    if keys:
        rows = [_series_row(run, key, result.outcomes[key]) for key in keys]
        stmt = insert(ForecastSeries).returning(ForecastSeries.id, sort_by_parameter_order=True)
        series_ids = list((await session.execute(stmt, rows)).scalars())
        lines = [
            {
                "series_id": series_id,
                "run_id": run.id,
                "month": add_months(run.first_month, step),
                "step": step + 1,
                "point": point,
                "lower": low,
                "upper": high,
            }
            for key, series_id in zip(keys, series_ids, strict=True)
            if (f := result.outcomes[key].forecast) is not None
            for step, (point, low, high) in enumerate(zip(f.points, f.lower, f.upper, strict=True))
        ]
        if lines:
            await session.execute(insert(ForecastLine), lines)
    outcomes = list(result.outcomes.values())
    run.series_total = len(outcomes)
    run.series_forecast = sum(1 for o in outcomes if o.forecast is not None)
    run.series_skipped = sum(1 for o in outcomes if o.no_forecast is not None)
    run.series_failed = sum(1 for o in outcomes if o.error is not None)
    run.models_json = json.dumps(result.models, sort_keys=True)
    run.metrics_json = json.dumps(result.metrics, sort_keys=True)
    run.status, run.finished_at = "DONE", utcnow()


async def run_forecast(
    sessions: async_sessionmaker[AsyncSession],
    *,
    as_of: date,
    job_run_id: int | None = None,
    history_months: int = HISTORY_MONTHS,
    progress: Progress | None = None,
) -> ForecastRun:
    """Compute and store one forecast run (one transaction for its rows)."""
    first_month = date(as_of.year, as_of.month, 1)
    async with sessions.begin() as session:
        repo = ForecastRepository(session)
        existing = await repo.run_for_job(job_run_id) if job_run_id is not None else None
        if existing is not None and existing.status == "DONE":
            return existing
        series = await repo.monthly_demand(add_months(first_month, -history_months), history_months)
    if progress is not None:
        await progress(0, len(series))
    result = await asyncio.to_thread(plan, series)  # CPU-bound: keep the loop free
    if progress is not None:
        await progress(len(series), len(series))
    async with sessions.begin() as session:
        repo = ForecastRepository(session)
        run = await repo.run_for_job(job_run_id) if job_run_id is not None else None
        if run is None:
            run = ForecastRun(
                job_run_id=job_run_id,
                status="RUNNING",
                first_month=first_month,
                horizon=HORIZON,
                history_months=history_months,
            )
            session.add(run)
            await session.flush()
        else:
            await repo.clear(run)
        await _store(session, run, result)
    return run


async def forecast_job(resources: Resources, run_id: int) -> None:
    """Job kind ``forecast``: params ``{"as_of": "YYYY-MM-DD", "history_months": n}``."""
    async with resources.sessions.begin() as session:
        job = await start_run(session, run_id)
    if job is None:
        return
    await publish(resources.events, job)
    params = json.loads(job.params_json or "{}")
    as_of = date.fromisoformat(params["as_of"]) if "as_of" in params else utcnow().date()
    history = int(params.get("history_months", HISTORY_MONTHS))
    written = job.progress_done

    async def progress(done: int, total: int) -> None:
        nonlocal written
        async with resources.sessions.begin() as session:
            counted = await record_progress(
                session, run_id, RunCounts(read=max(0, done - written)), total=total
            )
        written = max(written, done)
        await publish(resources.events, counted)

    run = await run_forecast(
        resources.sessions,
        as_of=as_of,
        job_run_id=run_id,
        history_months=history,
        progress=progress,
    )
    async with resources.sessions.begin() as session:
        await record_progress(session, run_id, RunCounts(inserted=run.series_forecast))
        finished = await finish_run(session, run_id)
    await publish(resources.events, finished)
    log.info(
        "job run %s: forecast run %s: %s series, %s forecast, %s without, %s failed",
        run_id,
        run.id,
        run.series_total,
        run.series_forecast,
        run.series_skipped,
        run.series_failed,
    )
