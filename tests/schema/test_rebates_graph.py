"""Rebates through the graph on both backends: agreement validation errors name the field
(overlapping tiers, a negative rate, no end, an unknown partner scope), only the brand admin
manages agreements, a settlement for a period not closed is a typed error, and a dealer sees
only its own agreements, accruals, settlements and fund balances."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.enums import OrderStatus
from jobs.accrual import accrue
from schema.node import encode_id
from security.viewer import Role
from tests.factories import create_order, create_partner, create_product
from tests.schema.test_statement_count import counting

pytestmark = pytest.mark.anyio

CREATE = """
mutation($input: RebateAgreementInput!) {
  createRebateAgreement(input: $input) {
    __typename
    ... on RebateAgreementPayload { agreement { id code scopeKind tiers { lower upper rate } } }
    ... on InvalidInputError { message fields { field message } }
    ... on NotFoundError { field id }
    ... on ForbiddenError { permission }
  }
}"""

SETTLE = """
mutation($input: RebateSettlementInput!) {
  createRebateSettlement(input: $input) {
    __typename
    ... on RebateSettlementPayload { settlement { number status total lines { amount } } }
    ... on PeriodNotClosedError { field endsOn message }
    ... on InvalidInputError { fields { field message } }
  }
}"""

MINE = """
{ rebateAgreements { code } rebateAccruals(year: 2025) { partnerId amount }
  rebateSettlements { partnerId total } fundBalances { partnerId fund balance } }"""


def agreement(partner: str | None, code: str = "AG-1", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": code,
        "name": "Volume",
        "scopeKind": "PARTNER",
        "partner": partner,
        "period": "QUARTER",
        "basis": "AMOUNT",
        "method": "RETROACTIVE",
        "validFrom": "2025-01-01",
        "validTo": "2026-01-01",
        "tiers": [
            {"lower": "0", "upper": "1000", "rate": "0.01"},
            {"lower": "1000", "rate": "0.02"},
        ],
    }
    return base | changes


@pytest.fixture
async def two_dealers(sessions) -> dict[str, Any]:
    async with sessions.begin() as s:
        a = await create_partner(s, code="DA")
        b = await create_partner(s, code="DB")
        product = await create_product(s, price=Decimal("100.00"))
        for partner, units in ((a, 15), (b, 5)):
            await create_order(
                s,
                partner=partner,
                lines=[(product, units)],
                status=OrderStatus.APPROVED,
                created_at=datetime(2025, 2, 1, tzinfo=UTC),
            )
        return {"a": a.id, "b": b.id}


async def test_agreement_validation_errors_name_the_field(gql, two_dealers):
    partner = encode_id("Partner", two_dealers["a"])
    overlap = [{"lower": "0", "upper": "1000", "rate": "0.01"}, {"lower": "900", "rate": "0.02"}]
    negative = [{"lower": "0", "rate": "-0.01"}]
    cases = [
        (agreement(partner, tiers=overlap), "tiers.1.lower"),
        (agreement(partner, tiers=negative), "tiers.0.rate"),
        (agreement(partner, validTo=None), "validTo"),
        (agreement(None), "scope"),
    ]
    for data, field in cases:
        result = (await gql.data(CREATE, input=data))["createRebateAgreement"]
        assert result["__typename"] == "InvalidInputError", (field, result)
        assert [f["field"] for f in result["fields"]] == [field]
    unknown = agreement(encode_id("Partner", 999_999))
    result = (await gql.data(CREATE, input=unknown))["createRebateAgreement"]
    assert (result["__typename"], result["field"]) == ("NotFoundError", "partner")
    assert (await gql.data("{ rebateAgreements { code } }"))["rebateAgreements"] == []

    made = (await gql.data(CREATE, input=agreement(partner)))["createRebateAgreement"]
    assert made["__typename"] == "RebateAgreementPayload"
    assert [t["rate"] for t in made["agreement"]["tiers"]] == ["0.01", "0.02"]
    again = (await gql.data(CREATE, input=agreement(partner)))["createRebateAgreement"]
    assert again["__typename"] == "DuplicateError"


async def test_dealers_may_not_manage_agreements(gql_as, two_dealers):
    dealer = gql_as(Role.DEALER, partner=two_dealers["a"])
    data = agreement(encode_id("Partner", two_dealers["a"]))
    result = (await dealer.data(CREATE, input=data))["createRebateAgreement"]
    assert (result["__typename"], result["permission"]) == ("ForbiddenError", "REBATES_MANAGE")


async def test_a_dealer_sees_only_its_own_rebates(gql, gql_as, sessions, two_dealers):
    a, b = two_dealers["a"], two_dealers["b"]
    for partner, code in ((a, "AG-A"), (b, "AG-B")):
        made = await gql.data(CREATE, input=agreement(encode_id("Partner", partner), code))
        assert made["createRebateAgreement"]["__typename"] == "RebateAgreementPayload"
    await accrue(sessions, year=2025, month=3)
    # A: 15 × 100.00 = 1 500.00 ≥ 1 000 → 2 % = 30.00; B: 500.00 → 1 % = 5.00
    settle = {"partner": encode_id("Partner", a), "year": 2025, "periodIndex": 1}
    settled = (await gql.data(SETTLE, input=settle))["createRebateSettlement"]
    assert settled["settlement"]["status"] == "APPROVED"  # no approval rule: at once
    assert settled["settlement"]["lines"] == [{"amount": "30.00"}]

    everything = await gql.data(MINE)
    assert {x["code"] for x in everything["rebateAgreements"]} == {"AG-A", "AG-B"}
    assert len(everything["rebateAccruals"]) == 2

    mine = await gql_as(Role.DEALER, partner=a).data(MINE)
    own = encode_id("Partner", a)
    assert [x["code"] for x in mine["rebateAgreements"]] == ["AG-A"]
    assert mine["rebateAccruals"] == [{"partnerId": own, "amount": "30.00"}]
    assert mine["rebateSettlements"] == [{"partnerId": own, "total": "30.00"}]
    assert mine["fundBalances"] == [{"partnerId": own, "fund": "REBATE", "balance": "30.00"}]
    theirs = await gql_as(Role.DEALER, partner=b).data(MINE)
    assert [x["amount"] for x in theirs["rebateAccruals"]] == ["5.00"]
    assert theirs["rebateSettlements"] == []


async def test_a_settlement_for_a_period_not_closed_is_refused(gql, two_dealers):
    year = datetime.now(UTC).year + 1
    settle = {"partner": encode_id("Partner", two_dealers["a"]), "year": year, "periodIndex": 4}
    result = (await gql.data(SETTLE, input=settle))["createRebateSettlement"]
    assert (result["__typename"], result["field"]) == ("PeriodNotClosedError", "periodIndex")
    assert result["endsOn"] == f"{year + 1}-01-01"
    assert (await gql.data("{ rebateSettlements { id } }"))["rebateSettlements"] == []


PROMOTION = """
mutation($input: PromotionInput!) {
  createPromotion(input: $input) {
    __typename
    ... on PromotionPayload { promotion { code perUnit percent starts ends } }
    ... on InvalidInputError { fields { field } }
  }
}"""


async def test_promotions_are_validated_and_listed(gql, gql_as, sessions, two_dealers):
    async with sessions.begin() as s:
        product = encode_id("Product", (await create_product(s)).id)
    base = {"code": "PR-1", "name": "Spring", "products": [product], "starts": "2025-03-01"}
    both = base | {"ends": "2025-04-01", "perUnit": "1.00", "percent": "5"}
    no_end = base | {"perUnit": "1.00"}
    for data, field in ((both, "perUnit"), (no_end, "ends")):
        result = (await gql.data(PROMOTION, input=data))["createPromotion"]
        assert result["__typename"] == "InvalidInputError"
        assert [f["field"] for f in result["fields"]] == [field]
    made = await gql.data(PROMOTION, input=base | {"ends": "2025-04-01", "percent": "5"})
    assert made["createPromotion"]["promotion"]["percent"] == "5.00"
    dealer = gql_as(Role.DEALER, partner=two_dealers["a"])
    assert (await dealer.data("{ promotions { code } }"))["promotions"] == [{"code": "PR-1"}]


async def test_an_agreement_update_replaces_its_tiers_and_reruns_accrual(gql, two_dealers):
    partner = encode_id("Partner", two_dealers["a"])
    made = (await gql.data(CREATE, input=agreement(partner)))["createRebateAgreement"]
    update = """
    mutation($id: ID!, $input: RebateAgreementInput!) {
      updateRebateAgreement(id: $id, input: $input) {
        __typename
        ... on RebateAgreementPayload { agreement { tiers { lower rate } } }
        ... on InvalidInputError { fields { field } }
      }
    }"""
    one_tier = agreement(partner, tiers=[{"lower": "0", "rate": "0.05"}])
    changed = await gql.data(update, id=made["agreement"]["id"], input=one_tier)
    assert changed["updateRebateAgreement"]["agreement"]["tiers"] == [
        {"lower": "0.00", "rate": "0.05"}
    ]
    gap = agreement(
        partner,
        tiers=[{"lower": "0", "upper": "10", "rate": "0.01"}, {"lower": "20", "rate": "0.02"}],
    )
    refused = await gql.data(update, id=made["agreement"]["id"], input=gap)
    assert refused["updateRebateAgreement"]["fields"] == [{"field": "tiers.1.lower"}]
    run = """mutation { runRebateAccrual(year: 2025, month: 13) {
      __typename ... on InvalidInputError { fields { field } } } }"""
    assert (await gql.data(run))["runRebateAccrual"]["fields"] == [{"field": "month"}]


ALL = """{ rebateAgreements { code tiers { rate } } rebateAccruals { amount }
  rebateSettlements { number lines { amount } } fundBalances { balance } fundLedger { amount } }"""


async def test_rebate_lists_cost_the_same_statements_for_one_and_many_partners(app, gql, sessions):
    async def dealers(count: int) -> None:
        async with sessions.begin() as s:
            product = await create_product(s, price=Decimal("100.00"))
            ids = []
            for _ in range(count):
                partner = await create_partner(s)
                await create_order(
                    s,
                    partner=partner,
                    lines=[(product, 20)],
                    status=OrderStatus.APPROVED,
                    created_at=datetime(2025, 2, 1, tzinfo=UTC),
                )
                ids.append(partner.id)
        for pk in ids:
            data = agreement(encode_id("Partner", pk), f"AG-{pk}")
            made = await gql.data(CREATE, input=data)
            assert made["createRebateAgreement"]["__typename"] == "RebateAgreementPayload"
        await accrue(sessions, year=2025, month=3)
        for pk in ids:
            settle = {"partner": encode_id("Partner", pk), "year": 2025}
            settled = await gql.data(SETTLE, input=settle)
            assert settled["createRebateSettlement"]["settlement"]["status"] == "APPROVED"

    await dealers(1)
    with counting(app) as one:
        small = await gql.data(ALL)
    await dealers(6)
    with counting(app) as seven:
        large = await gql.data(ALL)
    assert len(small["rebateSettlements"]) == 1 and len(large["rebateSettlements"]) == 7
    assert len(large["fundLedger"]) == 7  # one Q1 accrual each (no finance connector: unpaid)
    assert len(seven) == len(one)
