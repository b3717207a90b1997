"""Forecast read services for the graph: runs, one series of a run with its lines, totals
by product or region, and the forecast demand behind reorder suggestions. Every read is
limited to the partners in the caller's scope (``store.repositories.forecasts``) and opens
its own read session.

Interface::

    async list_runs(sessions, scope, limit) -> Sequence[ForecastRun]        # 1..100
    async find_series(sessions, scope, run_pk, partner_pk, product_pk)
        -> tuple[ForecastSeries, Sequence[ForecastLine]] | None          # run_pk None: latest
    async run_totals(sessions, scope, run_pk, by: "product" | "region") -> list[GroupTotal]
    async reorder_demand(session, scope, pairs) -> dict[(location, product), float]
    async start_forecast(hub, caller, as_of: date | None, history_months: int) -> JobRun
    forecast_reorder (from domain.forecast)

``start_forecast`` (``runForecast``) needs ``jobs:manage``; it queues a ``forecast`` job run
(``jobs.forecast``) and returns it; a broker that refuses the message fails the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.forecast import forecast_reorder
from jobs import runs
from jobs.forecast import FORECAST_KIND
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import InvalidInput
from security.viewer import Permission
from store.models import ForecastLine, ForecastRun, ForecastSeries, JobRun
from store.repositories.forecasts import ForecastReader, GroupTotal
from store.scope import Scope

__all__ = [
    "ForecastRun",
    "GroupTotal",
    "find_series",
    "forecast_reorder",
    "list_runs",
    "reorder_demand",
    "run_totals",
    "start_forecast",
]

Sessions = async_sessionmaker[AsyncSession]


async def list_runs(sessions: Sessions, scope: Scope, limit: int) -> Sequence[ForecastRun]:
    async with sessions() as session:
        return await ForecastReader(session, scope).runs(max(1, min(limit, 100)))


async def find_series(
    sessions: Sessions, scope: Scope, run_pk: int | None, partner_pk: int, product_pk: int
) -> tuple[ForecastSeries, Sequence[ForecastLine]] | None:
    async with sessions() as session:
        reader = ForecastReader(session, scope)
        found = await reader.run(run_pk)
        return None if found is None else await reader.series(found.id, partner_pk, product_pk)


async def run_totals(
    sessions: Sessions, scope: Scope, run_pk: int | None, by: Literal["product", "region"]
) -> list[GroupTotal]:
    async with sessions() as session:
        reader = ForecastReader(session, scope)
        found = await reader.run(run_pk)
        return [] if found is None else await reader.totals(found.id, by)


async def reorder_demand(
    session: AsyncSession, scope: Scope, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], float]:
    """Latest forecast units over the horizon per (location, product), in ``session``."""
    return await ForecastReader(session, scope).demand_at_locations(pairs)


async def start_forecast(
    hub: Any, caller: Caller, as_of: date | None, history_months: int
) -> JobRun:
    """Queue a ``forecast`` run (``as_of`` default: today, UTC, when the job runs)."""
    caller.require(Permission.JOBS_MANAGE, "run the demand forecast")
    if not 4 <= history_months <= 120:
        raise InvalidInput.one("historyMonths", "must be from 4 to 120 months")
    params: dict[str, Any] = {"history_months": history_months}
    if as_of is not None:
        params["as_of"] = as_of.isoformat()
    async with hub.sessions.begin() as session:
        run = await runs.create_run(
            session,
            kind=FORECAST_KIND,
            trigger="manual",
            requested_by=caller.subject,
            params=params,
        )
    from jobs.dispatch import enqueue_run

    try:
        await asyncio.to_thread(enqueue_run, run.id, run.kind)
    except Exception as error:
        async with hub.sessions.begin() as session:
            failed = await runs.fail_run(session, run.id, error)
        return failed or run
    await runs.publish(getattr(hub, "events", None), run)
    return run
