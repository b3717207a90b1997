"""The demo channel's policies: rebate agreements, approval rules, reorder rules and open
low-stock alerts are generated deterministically, pass the domain's own checks and agree
with the stock; seeded, a dealer's rebates query from the banner answers (both backends)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from demo import seed
from demo.banner import DEALER_QUERY, DemoTokens, demo_banner
from demo.data import generate
from demo.policies import AGREEMENT_CODES
from demo.scales import Scale
from domain.approvals import DocumentFacts, RuleSpec, StepSpec, rule_applies
from domain.rebates import Growth, RebateBasis, RebateMethod, RebateTerms, Tier, validate_terms
from domain.stock_rules import is_below_minimum, reorder_suggestion
from jobs.accrual import accrue
from schema.node import encode_id
from security.viewer import Role

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
SCALE = Scale("rebates", provinces=2, cities_per_province=2, partners=30, products=40, orders=1_500)


def tables(scale: Scale | str = SCALE) -> dict[str, list[dict[str, Any]]]:
    return dict(generate(scale, NOW).reference)


def terms(agreement: dict[str, Any], bands: list[dict[str, Any]]) -> RebateTerms:
    growth = None
    if agreement["growth_rate"] is not None:
        growth = Growth(
            agreement["growth_baseline"],
            agreement["growth_threshold"],
            agreement["growth_rate"],
            agreement["growth_on"],
        )
    return RebateTerms(
        RebateMethod(agreement["method"]),
        RebateBasis(agreement["basis"]),
        tuple(Tier(b["lower"], b["upper"], b["rate"], b["per_unit"]) for b in bands),
        growth,
        agreement["cap"],
    )


def test_the_policies_are_deterministic():
    first, again = tables(), tables()
    for name in ("rebate_agreements", "rebate_tiers", "approval_rules", "reorder_rules"):
        assert first[name] == again[name], name
    assert first["stock_alerts"] == again["stock_alerts"]


def test_every_agreement_passes_the_domain_checks_and_covers_partners():
    rows = tables("small")
    bands: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for band in sorted(rows["rebate_tiers"], key=lambda b: (b["agreement_id"], b["position"])):
        bands[band["agreement_id"]].append(band)
    agreements = rows["rebate_agreements"]
    assert [a["code"] for a in agreements] == list(AGREEMENT_CODES)
    assert {a["method"] for a in agreements} == {"RETROACTIVE", "MARGINAL"}
    assert {a["period"] for a in agreements} == {"QUARTER", "YEAR"}
    assert {a["scope_kind"] for a in agreements} == {"TIER", "REGION", "PARTNER"}
    assert any(a["cap"] for a in agreements) and any(a["growth_rate"] for a in agreements)
    regions = {r["id"]: r["path"] for r in rows["regions"]}
    for agreement in agreements:
        validate_terms(terms(agreement, bands[agreement["id"]]))  # raises on a bad one
        assert (agreement["valid_from"], agreement["valid_to"]) == (
            datetime(2025, 1, 1).date(),
            datetime(2027, 1, 1).date(),
        )
        covered = [
            p
            for p in rows["partners"]
            if p["tier_id"] == agreement["tier_id"]
            or p["id"] == agreement["partner_id"]
            or f"/{agreement['region_id']}/" in regions[p["region_id"]]
        ]
        assert covered, agreement["code"]


def test_approval_rules_route_large_orders_and_settlements():
    rows = tables()
    steps: dict[int, list[StepSpec]] = defaultdict(list)
    for step in sorted(rows["approval_steps"], key=lambda s: (s["rule_id"], s["position"])):
        steps[step["rule_id"]].append(StepSpec(step["role"]))
    rules = [
        RuleSpec(r["id"], r["document_type"], tuple(steps[r["id"]]), min_amount=r["min_amount"])
        for r in rows["approval_rules"]
    ]

    def route(document_type: str, amount: str) -> list[str]:
        facts = DocumentFacts(document_type, Decimal(amount))
        return [s.role for r in rules if rule_applies(r, facts) for s in r.steps]

    assert route("order", "200000.00") == ["region_manager", "brand_admin"]
    assert route("order", "199999.99") == []
    assert route("rebate_settlement", "50000.00") == ["brand_admin"]
    assert route("rebate_settlement", "49999.99") == []


def test_reorder_rules_and_open_alerts_agree_with_the_stock():
    rows = tables("small")
    partner_sites = {loc["id"] for loc in rows["locations"] if loc["partner_id"] is not None}
    levels = {(lv["location_id"], lv["product_id"]): lv for lv in rows["stock_levels"]}
    rules = rows["reorder_rules"]
    assert len(rules) > 1_000
    suggested = 0
    for rule in rules:
        level = levels[(rule["location_id"], rule["product_id"])]
        assert rule["location_id"] in partner_sites
        assert 0 < rule["minimum"] == level["min_quantity"] < rule["maximum"]
        assert rule["multiple"] in (1, 6, 12)
        quantity = reorder_suggestion(
            level["on_hand"],
            level["reserved"],
            level["in_transit"],
            rule["minimum"],
            rule["maximum"],
            rule["multiple"],
        )
        suggested += quantity > 0
    assert suggested > 50
    under = {k for k, lv in levels.items() if is_below_minimum(lv["on_hand"], lv["min_quantity"])}
    alerts = rows["stock_alerts"]
    assert {(a["location_id"], a["product_id"]) for a in alerts} == under
    assert len(alerts) > 500
    assert all(a["resolved_at"] is None and a["on_hand"] < a["minimum"] for a in alerts)
    assert all(a["raised_at"] <= NOW for a in alerts)


def test_the_banner_shows_the_dealers_rebates_query():
    banner = demo_banner("127.0.0.1", 8000, DemoTokens("A", "D", "Shop (D-1)"))
    assert DEALER_QUERY in banner and "rebate agreements, approval rules" in banner
    assert DEALER_QUERY not in demo_banner("127.0.0.1", 8000, DemoTokens("A"))


@pytest.mark.anyio
async def test_a_dealer_asks_the_banners_rebates_query(sessions, gql_as):
    await seed(sessions, scale=SCALE, now=NOW)
    await accrue(sessions, year=2025, month=12)
    rows = tables()
    parents = {p["parent_id"] for p in rows["partners"]}
    bronze_leaves = {p["id"] for p in rows["partners"] if p["tier_id"] == 4} - parents
    admin = await gql_as(Role.BRAND_ADMIN).data(
        "{ rebateAccruals(year: 2025) { partnerId amount } }"
    )
    earned: dict[str, Decimal] = defaultdict(Decimal)
    for accrual in admin["rebateAccruals"]:
        earned[accrual["partnerId"]] += Decimal(accrual["amount"])
    dealer = max(bronze_leaves, key=lambda p: earned[encode_id("Partner", p)])
    assert earned[encode_id("Partner", dealer)] > 0

    data = await gql_as(Role.DEALER, partner=dealer).data(DEALER_QUERY)
    codes = {a["code"] for a in data["rebateAgreements"]}
    assert "RB-BRONZE-Q" in codes and not codes & {"RB-PLATINUM-Q", "RB-GOLD-Y", "RB-SILVER-Q"}
    accrued = sum((Decimal(a["amount"]) for a in data["rebateAccruals"]), Decimal(0))
    assert accrued == earned[encode_id("Partner", dealer)]
    assert data["fundBalances"] == [{"fund": "REBATE", "currency": "CNY", "balance": str(accrued)}]
    everyone = await gql_as(Role.BRAND_ADMIN).data(DEALER_QUERY)
    assert len(everyone["rebateAgreements"]) == len(AGREEMENT_CODES)
