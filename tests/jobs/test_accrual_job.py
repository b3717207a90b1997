"""The rebate accrual job over a small known dataset, on both backends: year-to-date true-up
(a retroactive tier reached in Q3 catches up), idempotent re-runs, true-down as a new ledger
entry, scope by tier and by category, and the job run of kind ``rebate_accrual``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from jobs.accrual import accrue, previous_month
from jobs.runs import SUCCEEDED
from store.models import Accrual, FundLedgerEntry, Order, RebateAgreement, RebateTier
from store.models.settlement import LedgerIsAppendOnly
from tests.factories import create_order, create_partner, create_product, create_tier
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

pytestmark = pytest.mark.anyio


def at(month: int, day: int = 15) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Tier "Gold" (A and B) under a quarterly retroactive agreement on Snacks, by amount:
    [0, 100 000) 1 %, [100 000, ∞) 2 %. A snack costs 1 000.00.

    A: Q1 40 snacks (40 000) + 5 drinks (not Snacks: ignored); Q2 50 snacks (YTD 90 000);
       Q3 40 snacks (YTD 130 000); Q4 one SUBMITTED and one CANCELLED order (no sales).
    B: Q1 10 snacks (10 000), nothing after.
    C: another tier, 200 snacks in Q1: not covered.
    """
    async with sessions.begin() as s:
        gold, silver = await create_tier(s, name="Gold"), await create_tier(s, name="Silver")
        a = await create_partner(s, code="A", tier=gold)
        b = await create_partner(s, code="B", tier=gold)
        c = await create_partner(s, code="C", tier=silver)
        snack = await create_product(s, price=Decimal("1000.00"), category="Snacks")
        drink = await create_product(s, price=Decimal("50.00"), category="Drinks")
        approved = OrderStatus.APPROVED
        await create_order(
            s, partner=a, lines=[(snack, 40), (drink, 5)], status=approved, created_at=at(2)
        )
        await create_order(
            s, partner=a, lines=[(snack, 50)], status=OrderStatus.DELIVERED, created_at=at(5)
        )
        q3 = await create_order(
            s, partner=a, lines=[(snack, 40)], status=approved, created_at=at(8)
        )
        await create_order(s, partner=a, lines=[(snack, 99)], created_at=at(11))
        await create_order(
            s, partner=a, lines=[(snack, 99)], status=OrderStatus.CANCELLED, created_at=at(11)
        )
        await create_order(s, partner=b, lines=[(snack, 10)], status=approved, created_at=at(1, 31))
        await create_order(s, partner=c, lines=[(snack, 200)], status=approved, created_at=at(3))
        agreement = RebateAgreement(
            code="GOLD-2026",
            name="Gold volume rebate",
            currency="CNY",
            scope_kind="TIER",
            tier_id=gold.id,
            period="QUARTER",
            basis="AMOUNT",
            method="RETROACTIVE",
            product_ids_json="[]",
            categories_json=json.dumps(["Snacks"]),
            valid_from=date(2026, 1, 1),
            valid_to=date(2027, 1, 1),
            active=True,
        )
        s.add(agreement)
        await s.flush()
        s.add(
            RebateTier(
                agreement_id=agreement.id,
                position=0,
                lower=Decimal(0),
                upper=Decimal(100000),
                rate=Decimal("0.01"),
            )
        )
        s.add(
            RebateTier(
                agreement_id=agreement.id,
                position=1,
                lower=Decimal(100000),
                upper=None,
                rate=Decimal("0.02"),
            )
        )
        return {"a": a.id, "b": b.id, "c": c.id, "q3": q3.id, "agreement": agreement.id}


async def accruals(sessions: async_sessionmaker[AsyncSession], partner: int) -> list[Decimal]:
    async with sessions() as s:
        rows = await s.scalars(
            select(Accrual).where(Accrual.partner_id == partner).order_by(Accrual.period_index)
        )
        return [row.amount for row in rows]


async def balance(sessions: async_sessionmaker[AsyncSession], partner: int) -> Decimal:
    async with sessions() as s:
        rows = await s.scalars(select(FundLedgerEntry).where(FundLedgerEntry.partner_id == partner))
        return sum((row.amount for row in rows), Decimal(0))


async def test_year_to_date_true_up_catches_up_and_reruns_change_nothing(sessions):
    ids = await seed(sessions)
    report = await accrue(sessions, year=2026, month=6)
    # Q1: YTD 40 000 → 1 % = 400.00; Q2: YTD 90 000 → 900.00 - 400.00 = 500.00
    assert await accruals(sessions, ids["a"]) == [Decimal("400.00"), Decimal("500.00")]
    # B: Q1 10 000 → 100.00; Q2 YTD still 100.00 → 0.00 (a row: something was accrued)
    assert await accruals(sessions, ids["b"]) == [Decimal("100.00"), Decimal("0.00")]
    assert await accruals(sessions, ids["c"]) == []  # Silver is not covered
    assert (report.inserted, report.updated) == (4, 0)

    await accrue(sessions, year=2026, month=9)
    # Q3: YTD 130 000 reaches 2 % on all of it = 2 600.00 - 900.00 = 1 700.00 (the catch-up)
    assert await accruals(sessions, ids["a"]) == [
        Decimal("400.00"),
        Decimal("500.00"),
        Decimal("1700.00"),
    ]
    assert await balance(sessions, ids["a"]) == Decimal("2600.00")

    again = await accrue(sessions, year=2026, month=9)
    assert (again.inserted, again.updated, again.ledger_entries) == (0, 0, 0)
    assert again.unchanged == 6
    assert await balance(sessions, ids["a"]) == Decimal("2600.00")


async def test_a_cancelled_order_trues_down_with_a_new_ledger_entry(sessions):
    ids = await seed(sessions)
    await accrue(sessions, year=2026, month=9)
    async with sessions.begin() as s:
        order = await s.get(Order, ids["q3"])
        assert order is not None
        order.status = OrderStatus.CANCELLED
    report = await accrue(sessions, year=2026, month=12)
    # Q3 recomputed: YTD 90 000 → 900.00 - 900.00 = 0.00; Q4: still 900.00 → 0.00
    assert await accruals(sessions, ids["a"]) == [
        Decimal("400.00"),
        Decimal("500.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert report.updated == 1
    async with sessions() as s:
        entries = list(
            await s.scalars(
                select(FundLedgerEntry)
                .where(FundLedgerEntry.partner_id == ids["a"])
                .order_by(FundLedgerEntry.id)
            )
        )
    assert [e.amount for e in entries] == [
        Decimal("400.00"),
        Decimal("500.00"),
        Decimal("1700.00"),
        Decimal("-1700.00"),
    ]
    assert all(e.source_type == "accrual" and e.fund == "REBATE" for e in entries)
    assert entries[-1].source_id == entries[-2].source_id  # the correction names its source
    assert await balance(sessions, ids["a"]) == Decimal("900.00")


async def test_the_ledger_refuses_updates_and_deletes(sessions):
    ids = await seed(sessions)
    await accrue(sessions, year=2026, month=3)
    with pytest.raises(LedgerIsAppendOnly):
        async with sessions.begin() as s:
            entry = (await s.scalars(select(FundLedgerEntry))).first()
            assert entry is not None
            entry.amount = Decimal("1.00")
    with pytest.raises(LedgerIsAppendOnly):
        async with sessions.begin() as s:
            entry = (await s.scalars(select(FundLedgerEntry))).first()
            await s.delete(entry)
    assert await balance(sessions, ids["a"]) == Decimal("400.00")


def test_the_schedule_accrues_the_month_before():
    assert previous_month(date(2026, 1, 1)) == (2025, 12)
    assert previous_month(date(2026, 7, 31)) == (2026, 6)


async def test_the_accrual_runs_as_a_job_with_its_progress_in_the_run(sessions, settings):
    ids = await seed(sessions)
    async with running_worker(job_settings(settings)):
        run_id = await queue_run(
            sessions, "rebate_accrual", trigger="manual", params={"year": 2026, "month": 9}
        )
        run = (await wait_for_runs(sessions, [run_id]))[run_id]
    # one agreement done of one; A's three quarters and B's three were written
    assert (run.status, run.error_class) == (SUCCEEDED, None)
    assert (run.progress_done, run.progress_total, run.records_inserted) == (1, 1, 6)
    assert await balance(sessions, ids["a"]) == Decimal("2600.00")
