"""The forecast job over a reduced demo channel, on both backends: every partner × product
series gets a stored outcome, and the chosen models beat the seasonal naive overall on the
3-month backtest (pooled WAPE)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from demo import seed
from demo.scales import Scale
from jobs.forecast import run_forecast
from store.models import ForecastLine, ForecastSeries

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
SCALE = Scale(
    "forecast", provinces=2, cities_per_province=3, partners=30, products=40, orders=3_000
)


async def test_chosen_models_beat_seasonal_naive_on_the_demo_channel(sessions):
    await seed(sessions, scale=SCALE, now=NOW)
    run = await run_forecast(sessions, as_of=NOW.date())
    metrics = json.loads(run.metrics_json or "{}")
    async with sessions() as s:
        stored = await s.scalar(select(func.count()).select_from(ForecastSeries))
        lines = await s.scalar(select(func.count()).select_from(ForecastLine))
    assert run.series_total == stored
    assert run.series_total > 100
    assert run.series_failed == 0
    assert lines == 3 * run.series_forecast
    assert metrics["backtested_series"] > 50
    assert metrics["chosen_wape"] < metrics["seasonal_naive_wape"]
