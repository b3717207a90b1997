"""The month-end accrual job over the demo channel, on both backends.

A reduced demo channel (the real generator and seed, fewer partners and orders) is seeded
with its rebate agreements; the job runs at every month end of last year, as the schedule
would. Its result is checked against a computation of its own: each agreement's covered
partners and their sales taken from the generated order lines (not from the database),
the entitlement from ``domain.rebates`` rounded once. Every accrual is mirrored by ledger
entries referencing it, a re-run changes nothing, and a dealer sees only its own accruals,
ledger and balances through the graph.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from demo import seed
from demo.data import generate
from demo.policies import AGREEMENT_CODES
from demo.scales import Scale
from domain.enums import OrderStatus
from domain.money import round_money
from domain.rebates import Growth, RebateBasis, RebateMethod, RebateTerms, Sales, Tier, entitlement
from jobs.accrual import accrue
from schema.node import encode_id
from security.viewer import Role
from store.models import Accrual, FundLedgerEntry, RebateAgreement
from store.models import RebateTier as StoredTier

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
YEAR = 2025
SCALE = Scale("accrual", provinces=2, cities_per_province=3, partners=40, products=60, orders=3_000)
SOLD = {OrderStatus.APPROVED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED}
Key = tuple[str, int]  # (agreement code, partner id)


def expected_entitlements() -> dict[Key, Decimal]:
    """Each (agreement, partner)'s rounded entitlement for YEAR, from the generated rows."""
    channel = generate(SCALE, NOW)
    tables = dict(channel.reference)
    regions = {row["id"]: row for row in tables["regions"]}
    partners = tables["partners"]
    tiers_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for tier in tables["rebate_tiers"]:
        tiers_of[tier["agreement_id"]].append(tier)
    sold: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for batch in channel.order_batches():
        counted = {
            o["id"]: o["partner_id"]
            for o in batch.orders
            if o["status"] in SOLD and o["created_at"].year == YEAR and o["currency"] == "CNY"
        }
        for line in batch.lines:
            if line["order_id"] in counted:
                totals = sold[counted[line["order_id"]]]
                totals[0] += line["quantity"]
                totals[1] += line["line_total"]
    expected: dict[Key, Decimal] = {}
    for agreement in tables["rebate_agreements"]:
        terms = RebateTerms(
            method=RebateMethod(agreement["method"]),
            basis=RebateBasis(agreement["basis"]),
            tiers=tuple(
                Tier(t["lower"], t["upper"], t["rate"], t["per_unit"])
                for t in sorted(tiers_of[agreement["id"]], key=lambda t: t["position"])
            ),
            growth=None
            if agreement["growth_rate"] is None
            else Growth(
                agreement["growth_baseline"],
                agreement["growth_threshold"],
                agreement["growth_rate"],
                agreement["growth_on"],
            ),
            cap=agreement["cap"],
        )
        for partner in partners:
            region_path = regions[partner["region_id"]]["path"]
            covered = (
                partner["tier_id"] == agreement["tier_id"]
                if agreement["scope_kind"] == "TIER"
                else f"/{agreement['region_id']}/" in region_path
                if agreement["scope_kind"] == "REGION"
                else partner["id"] == agreement["partner_id"]
            )
            if covered:
                quantity, amount = sold.get(partner["id"], (Decimal(0), Decimal(0)))
                raw = entitlement(terms, Sales(Decimal(quantity), amount))
                expected[(agreement["code"], partner["id"])] = round_money(raw, "CNY")
    return expected


def subtree(root: int) -> set[int]:
    """``root`` and every partner under it (a dealer's scope), from the generated rows."""
    partners = dict(generate(SCALE, NOW).reference)["partners"]
    family = {root}
    while grown := {p["id"] for p in partners if p["parent_id"] in family} - family:
        family |= grown
    return family


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> tuple[list[Any], list[Any]]:
    async with sessions() as s:
        accruals = (await s.execute(select(Accrual).order_by(Accrual.id))).scalars().all()
        entries = (await s.scalars(select(FundLedgerEntry).order_by(FundLedgerEntry.id))).all()
        return (
            [
                (a.id, a.agreement_id, a.partner_id, a.period_index, a.amount, a.updated_at)
                for a in accruals
            ],
            [(e.id, e.partner_id, e.amount, e.source_id) for e in entries],
        )


async def test_month_end_accruals_over_the_demo_channel(sessions, gql_as):
    await seed(sessions, scale=SCALE, now=NOW)
    async with sessions() as s:
        codes = {a.id: a.code for a in (await s.scalars(select(RebateAgreement))).all()}
        assert sorted(codes.values()) == sorted(AGREEMENT_CODES)
        assert await s.scalar(select(func.count()).select_from(StoredTier)) > 0

    for month in range(1, 13):  # the month-end schedule, January to December
        report = await accrue(sessions, year=YEAR, month=month)
        assert report.agreements == len(AGREEMENT_CODES)

    expected = expected_entitlements()
    async with sessions() as s:
        accruals = (await s.scalars(select(Accrual).where(Accrual.year == YEAR))).all()
        entries = (await s.scalars(select(FundLedgerEntry))).all()
    accrued: dict[Key, Decimal] = defaultdict(Decimal)
    for row in accruals:
        accrued[(codes[row.agreement_id], row.partner_id)] += row.amount
    earning = {key: value for key, value in expected.items() if value != 0}
    assert len(earning) >= 10, "the demo agreements should pay a fair number of partners"
    assert {code for code, _ in earning} == set(AGREEMENT_CODES)
    assert {k: v for k, v in accrued.items() if v != 0} == earning
    assert set(accrued) <= set(expected)  # no accrual for a partner the agreement skips

    posted: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        assert (entry.fund, entry.source_type) == ("REBATE", "accrual")
        posted[entry.source_id] += entry.amount
    by_id = {row.id: row for row in accruals}
    assert set(posted) <= set(by_id)  # every entry references an accrual
    for row in accruals:
        assert posted.get(row.id, Decimal(0)) == row.amount, row.id
        if row.amount != 0:
            assert row.id in posted

    before = await snapshot(sessions)
    again = await accrue(sessions, year=YEAR, month=12)
    assert (again.inserted, again.updated, again.ledger_entries) == (0, 0, 0)
    assert again.unchanged == len(accruals)
    assert await snapshot(sessions) == before

    # a dealer with accruals sees its own (and its sub-partners') accruals, ledger and
    # balances, and nobody else's
    dealer = max(earning, key=lambda key: earning[key])[1]
    family = subtree(dealer)
    visible = {encode_id("Partner", p) for (_, p) in earning if p in family}
    as_dealer = gql_as(Role.DEALER, partner=dealer)
    data = await as_dealer.data(
        """{ rebateAccruals(year: 2025) { partnerId amount }
             fundLedger { partnerId fund amount sourceType }
             fundBalances { partnerId fund balance } }"""
    )
    assert len(visible) < len({p for _, p in earning})
    assert {r["partnerId"] for r in data["rebateAccruals"]} == visible
    assert {r["partnerId"] for r in data["fundLedger"]} == visible
    assert {r["partnerId"] for r in data["fundBalances"]} == visible
    mine = sum((v for (_, p), v in earning.items() if p in family), Decimal(0))
    assert sum(Decimal(r["amount"]) for r in data["rebateAccruals"]) == mine
    assert sum(Decimal(r["amount"]) for r in data["fundLedger"]) == mine
    assert sum(Decimal(r["balance"]) for r in data["fundBalances"]) == mine
