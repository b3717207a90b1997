"""Promotion subsidies accrue like rebates, on both backends: per-unit and percentage
subsidies checked by hand at the window's edges (first day, last day, a day either side
outside), limited to a region subtree and a tier, rounded once per partner and period, only
ACTIVE promotions, idempotent re-runs, a late order trued up, the REBATE fund mirrored, and a
settlement of the month holding the rebate and the promotion lines together."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from jobs.accrual import accrue
from jobs.settlements import create_settlement
from store.models import (
    Accrual,
    FundLedgerEntry,
    Partner,
    Product,
    Promotion,
    RebateAgreement,
    RebateTier,
    SettlementLine,
)
from store.repositories.settlements import SettlementRepository
from store.scope import Scope
from tests.factories import (
    create_order,
    create_partner,
    create_product,
    create_region,
    create_tier,
)

pytestmark = pytest.mark.anyio

APPROVED = OrderStatus.APPROVED


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def promotion(code: str, products: list[int], **values: Any) -> Promotion:
    values.setdefault("starts", date(2026, 5, 1))
    values.setdefault("ends", date(2026, 5, 31))
    return Promotion(
        code=code, name=code, currency="CNY", product_ids_json=json.dumps(products), **values
    )


async def seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Juice costs 3.33, cola 2.00. "UNIT": 0.45 per juice, everyone, 1-31 May.
    "PCT": 12.5 % of juice sales in East (subregions included) for Gold, 1-31 May.
    "HELD": 1.00 per juice but PENDING_APPROVAL (never accrues).

    A (Shanghai under East, Gold): juice 10 on 1 May 00:00, 7 on 31 May 23:59 (delivered);
       outside: 100 on 30 April 23:59 and 100 on 1 June 00:00; 50 SUBMITTED in May; cola 40.
    B (West, Gold): juice 3 on 20 May.   C (East, Silver): juice 9 on 20 May.
    """
    async with sessions.begin() as s:
        east, west = await create_region(s, name="East"), await create_region(s, name="West")
        shanghai = await create_region(s, name="Shanghai", parent=east)
        gold, silver = await create_tier(s, name="Gold"), await create_tier(s, name="Silver")
        a = await create_partner(s, code="A", region=shanghai, tier=gold)
        b = await create_partner(s, code="B", region=west, tier=gold)
        c = await create_partner(s, code="C", region=east, tier=silver)
        juice = await create_product(s, price=Decimal("3.33"), category="Drinks")
        cola = await create_product(s, price=Decimal("2.00"), category="Drinks")
        await create_order(
            s, partner=a, lines=[(juice, 10)], status=APPROVED, created_at=at(5, 1, 0)
        )
        await create_order(
            s,
            partner=a,
            lines=[(juice, 7)],
            status=OrderStatus.DELIVERED,
            created_at=at(5, 31, 23, 59),
        )
        await create_order(
            s, partner=a, lines=[(juice, 100)], status=APPROVED, created_at=at(4, 30, 23, 59)
        )
        await create_order(
            s, partner=a, lines=[(juice, 100)], status=APPROVED, created_at=at(6, 1, 0)
        )
        await create_order(s, partner=a, lines=[(juice, 50)], created_at=at(5, 15))
        await create_order(s, partner=a, lines=[(cola, 40)], status=APPROVED, created_at=at(5, 15))
        await create_order(s, partner=b, lines=[(juice, 3)], status=APPROVED, created_at=at(5, 20))
        await create_order(s, partner=c, lines=[(juice, 9)], status=APPROVED, created_at=at(5, 20))
        unit = promotion("UNIT", [juice.id], per_unit=Decimal("0.45"), status="ACTIVE")
        pct = promotion(
            "PCT",
            [juice.id],
            percent=Decimal("12.5"),
            region_id=east.id,
            tier_id=gold.id,
            status="ACTIVE",
        )
        held = promotion("HELD", [juice.id], per_unit=Decimal("1.00"), status="PENDING_APPROVAL")
        s.add_all([unit, pct, held])
        await s.flush()
        return {
            "a": a.id,
            "b": b.id,
            "c": c.id,
            "juice": juice.id,
            "unit": unit.id,
            "pct": pct.id,
            "held": held.id,
        }


async def promotion_accruals(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[int, int, int], Accrual]:
    async with sessions() as s:
        rows = await s.scalars(select(Accrual).where(Accrual.promotion_id.is_not(None)))
        return {(r.promotion_id or 0, r.partner_id, r.period_index): r for r in rows}


async def test_subsidies_by_hand_at_the_window_edges_region_and_tier(sessions):
    ids = await seed(sessions)
    report = await accrue(sessions, year=2026, month=6)
    assert report.promotions == 2  # UNIT and PCT; HELD is not ACTIVE
    rows = await promotion_accruals(sessions)
    amounts = {key: row.amount for key, row in rows.items()}
    assert amounts == {
        # A: 10 (1 May 00:00) + 7 (31 May 23:59) = 17 juice × 0.45 = 7.65; the 100s of
        # 30 April and 1 June, the SUBMITTED order and the cola do not count
        (ids["unit"], ids["a"], 5): Decimal("7.65"),
        (ids["unit"], ids["b"], 5): Decimal("1.35"),  # 3 × 0.45
        (ids["unit"], ids["c"], 5): Decimal("4.05"),  # 9 × 0.45
        # PCT: only A (Shanghai is under East, and Gold): 12.5 % × 56.61 = 7.07625 → 7.08
        # once (per order it would be 4.16 + 2.91 = 7.07); B is West, C is Silver
        (ids["pct"], ids["a"], 5): Decimal("7.08"),
    }
    a_unit = rows[ids["unit"], ids["a"], 5]
    assert (a_unit.ytd_quantity, a_unit.ytd_amount) == (Decimal(17), Decimal("56.61"))
    assert a_unit.agreement_id is None and a_unit.period_kind == "MONTH"
    assert (a_unit.period_start, a_unit.period_end) == (date(2026, 5, 1), date(2026, 6, 1))
    async with sessions() as s:
        entries = list(
            await s.scalars(select(FundLedgerEntry).where(FundLedgerEntry.partner_id == ids["a"]))
        )
    assert {(e.fund, e.amount, e.source_type) for e in entries} == {
        ("REBATE", Decimal("7.65"), "accrual"),
        ("REBATE", Decimal("7.08"), "accrual"),
    }
    assert all(e.memo is not None and e.memo.startswith("PROMO ") for e in entries)


async def test_reruns_change_nothing_and_a_late_order_trues_up(sessions):
    ids = await seed(sessions)
    await accrue(sessions, year=2026, month=5)
    again = await accrue(sessions, year=2026, month=5)
    assert (again.inserted, again.updated, again.ledger_entries) == (0, 0, 0)
    assert again.unchanged == 4
    async with sessions.begin() as s:  # an order of 10 May approved late
        a = await s.get(Partner, ids["a"])
        juice = await s.get(Product, ids["juice"])
        assert a is not None and juice is not None
        await create_order(s, partner=a, lines=[(juice, 3)], status=APPROVED, created_at=at(5, 10))
    later = await accrue(sessions, year=2026, month=6)
    rows = await promotion_accruals(sessions)
    assert rows[ids["unit"], ids["a"], 5].amount == Decimal("9.00")  # 20 × 0.45
    # 12.5 % × 66.60 = 8.325 → 8.33 (half-up)
    assert rows[ids["pct"], ids["a"], 5].amount == Decimal("8.33")
    assert later.updated == 2
    async with sessions() as s:
        total = sum(
            (
                e.amount
                for e in await s.scalars(
                    select(FundLedgerEntry).where(FundLedgerEntry.partner_id == ids["a"])
                )
            ),
            Decimal(0),
        )
    assert total == Decimal("17.33")  # appended corrections: 7.65 + 7.08 + 1.35 + 1.25


async def test_a_month_settlement_holds_rebate_and_promotion_lines(sessions):
    ids = await seed(sessions)
    async with sessions.begin() as s:
        agreement = RebateAgreement(
            code="A-MONTHLY",
            name="A monthly 1 %",
            currency="CNY",
            scope_kind="PARTNER",
            partner_id=ids["a"],
            period="MONTH",
            basis="AMOUNT",
            method="RETROACTIVE",
            product_ids_json="[]",
            categories_json="[]",
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
                upper=None,
                rate=Decimal("0.01"),
            )
        )
    await accrue(sessions, year=2026, month=5)
    async with sessions.begin() as s:
        settlement = await create_settlement(
            s,
            partner_id=ids["a"],
            year=2026,
            period_kind="MONTH",
            period_index=5,
            currency="CNY",
            created_by="test",
            today=date(2026, 6, 2),
        )
        settlement_id = settlement.id
    async with sessions() as s:
        lines = list(
            await s.scalars(
                select(SettlementLine)
                .where(SettlementLine.settlement_id == settlement_id)
                .order_by(SettlementLine.id)
            )
        )
        snapshot = await SettlementRepository(s, Scope.everything()).snapshot(settlement_id)
    # May's YTD for A: 333.00 (April) + 56.61 + 80.00 = 469.61 → 4.70, minus April's 3.33
    assert [(line.agreement_id is not None, line.promotion_id, line.amount) for line in lines] == [
        (True, None, Decimal("1.37")),  # rebates first, then promotions by id
        (False, ids["unit"], Decimal("7.65")),
        (False, ids["pct"], Decimal("7.08")),
    ]
    assert settlement.total == Decimal("16.10") and settlement.status == "APPROVED"
    assert snapshot is not None
    assert [code for code, _ in snapshot.lines] == ["A-MONTHLY", "UNIT", "PCT"]
    rows = await promotion_accruals(sessions)
    assert rows[ids["unit"], ids["a"], 5].settlement_id == settlement_id
    assert rows[ids["unit"], ids["b"], 5].settlement_id is None
