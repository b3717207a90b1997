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
    forecast_reorder (from domain.forecast)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.forecast import forecast_reorder
from store.models import ForecastLine, ForecastRun, ForecastSeries
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
