"""The purchase-points job: posts purchase-volume points for delivered and closed orders.

Interface::

    async earn_purchase_points(sessions, rules=PointsRules(), batch=1000) -> int
    async points_job(resources, run_id)          # job kind "purchase_points"

Each batch of orders is one unit of work (``store.repositories.points``): an order earns once
(``source_type="purchase"``, ``source_id`` the order), so running twice posts nothing new, and
a run killed between batches resumes where it stopped. Rules are ``domain.points`` defaults
(1 point per full 100.00 of the order total).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.points import PointsRules
from jobs.runs import RunCounts, finish_run, publish, record_progress, start_run
from jobs.runtime import Resources
from store.repositories.points import PointsRepository
from store.scope import Scope

__all__ = ["PURCHASE_POINTS_KIND", "earn_purchase_points", "points_job"]

log = logging.getLogger("channelhub.jobs.points")

PURCHASE_POINTS_KIND = "purchase_points"


async def earn_purchase_points(
    sessions: async_sessionmaker[AsyncSession], rules: PointsRules | None = None, batch: int = 1000
) -> int:
    """Post points for every order not yet rewarded, batch by batch; returns how many."""
    total = 0
    while True:
        async with sessions.begin() as session:
            done = await PointsRepository(session, Scope.everything()).earn_purchase_points(
                rules or PointsRules(), created_by="job:purchase_points", batch=batch
            )
        total += done
        if done < batch:
            return total


async def points_job(resources: Resources, run_id: int) -> None:
    """Job kind ``purchase_points`` (see the module docstring)."""
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return
    await publish(resources.events, run)
    posted = await earn_purchase_points(resources.sessions)
    async with resources.sessions.begin() as session:
        await record_progress(session, run_id, RunCounts(updated=posted), total=posted)
        run = await finish_run(session, run_id)
    await publish(resources.events, run)
    log.info("job run %s: purchase points for %s orders", run_id, posted)
