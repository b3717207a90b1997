"""The purchase-points job: points once per delivered or closed order, in batches, through
the worker; running twice posts nothing new; the schedule is off unless configured."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from domain.enums import OrderStatus
from jobs.points import earn_purchase_points
from jobs.runs import SUCCEEDED
from jobs.schedules import wanted_schedules
from store.models import FundLedgerEntry
from store.repositories.points import PointsRepository
from store.scope import Scope
from tests.factories import create_order, create_partner, create_product
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs


async def seed(sessions: Any) -> tuple[int, int]:
    async with sessions.begin() as s:
        a, b = await create_partner(s), await create_partner(s)
        product = await create_product(s, price=Decimal("100.00"))
        for quantity in (1, 2, 3):  # 100, 200, 300 → 1 + 2 + 3 points
            await create_order(
                s, partner=a, lines=[(product, quantity)], status=OrderStatus.DELIVERED
            )
        await create_order(s, partner=b, lines=[(product, 5)], status=OrderStatus.CLOSED)
        await create_order(s, partner=b, lines=[(product, 9)], status=OrderStatus.APPROVED)
        return a.id, b.id


async def balances(sessions: Any, *ids: int) -> list[int]:
    async with sessions() as s:
        repo = PointsRepository(s, Scope.everything())
        return [await repo.balance(i) for i in ids]


async def test_points_in_batches_and_once(sessions):
    a, b = await seed(sessions)
    assert await earn_purchase_points(sessions, batch=2) == 4
    assert await balances(sessions, a, b) == [6, 5]
    assert await earn_purchase_points(sessions, batch=2) == 0
    async with sessions() as s:
        entries = await s.scalar(select(func.count()).select_from(FundLedgerEntry))
    assert entries == 4


async def test_the_job_runs_through_the_worker(sessions, settings):
    a, b = await seed(sessions)
    async with running_worker(job_settings(settings)):
        run = await queue_run(sessions, "purchase_points", trigger="manual")
        done = await wait_for_runs(sessions, [run])
    assert (done[run].status, done[run].records_updated) == (SUCCEEDED, 4)
    assert await balances(sessions, a, b) == [6, 5]


def test_the_schedule_is_off_unless_configured(settings):
    assert "purchase-points" not in {w.name for w in wanted_schedules([], settings)}
    daily = settings.model_copy(update={"purchase_points_cron": "0 5 * * *"})
    [wanted] = [w for w in wanted_schedules([], daily) if w.name == "purchase-points"]
    assert (wanted.kind, wanted.cron) == ("purchase_points", "0 5 * * *")
