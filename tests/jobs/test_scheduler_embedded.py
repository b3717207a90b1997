"""The scheduler embedded in ``serve``: the app's lifespan starts it (``embedded_scheduler``,
on by default) and stops it cleanly at shutdown; turned off, no run starts."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio

from app import create_app
from jobs.schedules import sync_schedules
from settings import Settings
from tests.jobs.scheduling import runs, store_connector

PAST = datetime(2025, 1, 1, tzinfo=UTC)


def test_the_scheduler_is_embedded_by_default() -> None:
    defaults = Settings.model_construct()
    assert defaults.embedded_scheduler is True
    assert defaults.scheduler_interval_seconds == 15.0


async def _serve_briefly(settings: Settings, *, wait_for_run: bool) -> list[str]:
    """Run the app's lifespan with a due schedule; the triggers of the runs it started."""
    app = create_app(settings)
    try:
        await store_connector(app, "erp", {"partners": "* * * * *"})
        await sync_schedules(app.state.hub.sessions, settings, PAST)  # due since long ago
        async with app.router.lifespan_context(app):
            for _ in range(200 if wait_for_run else 10):  # up to 10 s, or 0.5 s
                if wait_for_run and await runs(app):
                    break
                await anyio.sleep(0.05)
        return [run.trigger for run in await runs(app)]
    finally:
        await app.state.hub.engine.dispose()


async def test_serve_runs_the_scheduler_and_stops_it_at_shutdown(settings: Settings) -> None:
    fast = settings.model_copy(
        update={
            "scheduler_interval_seconds": 0.05,
            "outbox_sweep_cron": "",
            "rebate_accrual_cron": "",
            "forecast_cron": "",
        }
    )
    with anyio.fail_after(20):  # the lifespan ends: the scheduler task stopped
        triggers = await _serve_briefly(fast, wait_for_run=True)
    assert triggers == ["schedule"]


async def test_no_embedded_scheduler_when_turned_off(settings: Settings) -> None:
    off = settings.model_copy(
        update={
            "embedded_scheduler": False,
            "scheduler_interval_seconds": 0.05,
            "outbox_sweep_cron": "",
            "rebate_accrual_cron": "",
            "forecast_cron": "",
        }
    )
    assert await _serve_briefly(off, wait_for_run=False) == []
