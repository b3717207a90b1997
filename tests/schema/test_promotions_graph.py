"""Promotions through the graph on both backends: with an approval rule for promotions a new
promotion waits (PENDING_APPROVAL, no accrual) until approved, then ACTIVE and accruing; a
rejected one never accrues; updatePromotion replaces terms (and is checked like create); a
dealer sees only its own promotion accruals; statuses and period kinds are enums."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from domain.enums import OrderStatus
from jobs.accrual import accrue
from schema.node import decode_typed_id, encode_id
from security.viewer import Role
from store.models import Accrual
from tests.factories import create_order, create_partner, create_product

pytestmark = pytest.mark.anyio

PROMOTION = """promotion { id code status approvalRequestId perUnit percent starts ends }"""

CREATE = f"""mutation($input: PromotionInput!) {{ createPromotion(input: $input) {{
  __typename ... on PromotionPayload {{ {PROMOTION} }}
  ... on InvalidInputError {{ fields {{ field }} }} }} }}"""

UPDATE = f"""mutation($id: ID!, $input: PromotionInput!) {{
  updatePromotion(id: $id, input: $input) {{
  __typename ... on PromotionPayload {{ {PROMOTION} }}
  ... on InvalidInputError {{ fields {{ field }} }} ... on NotFoundError {{ field }}
  ... on DuplicateError {{ field }} ... on ForbiddenError {{ permission }} }} }}"""

RULE = """mutation($input: ApprovalRuleInput!) { createApprovalRule(input: $input) {
  __typename } }"""

APPROVE = """mutation($id: ID!) { approve(requestId: $id) { __typename
  ... on ApprovalDecisionPayload { request { status documentType } } } }"""

REJECT = """mutation($id: ID!) { reject(requestId: $id, comment: "not now") { __typename
  ... on ApprovalDecisionPayload { request { status } } } }"""

ACCRUALS = """{ rebateAccruals(year: 2025) { partnerId agreementId promotionId periodKind
  periodIndex amount } }"""


@pytest.fixture
async def channel(sessions) -> dict[str, Any]:
    """Dealers A and B each bought juice (2.50) in May 2025: A 40, B 8 (approved)."""
    async with sessions.begin() as s:
        a = await create_partner(s, code="DA")
        b = await create_partner(s, code="DB")
        juice = await create_product(s, price=Decimal("2.50"))
        for partner, units in ((a, 40), (b, 8)):
            await create_order(
                s,
                partner=partner,
                lines=[(juice, units)],
                status=OrderStatus.APPROVED,
                created_at=datetime(2025, 5, 20, tzinfo=UTC),
            )
        return {"a": a.id, "b": b.id, "juice": encode_id("Product", juice.id)}


def promo(channel: dict[str, Any], code: str = "MAY", **changes: Any) -> dict[str, Any]:
    base = {
        "code": code,
        "name": "May juice",
        "products": [channel["juice"]],
        "starts": "2025-05-01",
        "ends": "2025-05-31",
        "perUnit": "0.10",
    }
    return base | changes


async def promotion_rows(sessions, promotion: str | None = None) -> list[tuple[int, Decimal]]:
    """(partner, amount) of the promotion accruals (of one promotion, given its id)."""
    stmt = select(Accrual).where(Accrual.promotion_id.is_not(None)).order_by(Accrual.partner_id)
    if promotion is not None:
        stmt = stmt.where(Accrual.promotion_id == decode_typed_id(promotion, "Promotion"))
    async with sessions() as s:
        rows = await s.scalars(stmt)
        return [(row.partner_id, row.amount) for row in rows]


async def test_a_promotion_waits_for_approval_then_accrues(gql, gql_as, sessions, channel):
    rule = {"name": "Promotions", "documentType": "PROMOTION", "steps": [{"role": "BRAND_ADMIN"}]}
    assert (await gql.data(RULE, input=rule))["createApprovalRule"]["__typename"] == (
        "ApprovalRulePayload"
    )
    made = (await gql.data(CREATE, input=promo(channel)))["createPromotion"]["promotion"]
    assert made["status"] == "PENDING_APPROVAL" and made["approvalRequestId"] is not None
    pending = await gql.data("{ pendingApprovals(first: 5) { nodes { documentId } } }")
    assert pending["pendingApprovals"]["nodes"] == [{"documentId": made["id"]}]
    await accrue(sessions, year=2025, month=6)
    assert await promotion_rows(sessions) == []  # not ACTIVE: nothing accrues
    dealer = gql_as(Role.DEALER, partner=channel["a"])
    assert (await dealer.data("{ promotions { code } }"))["promotions"] == []  # not announced

    other = (await gql.data(CREATE, input=promo(channel, "MAY-2")))["createPromotion"]
    rejected = await gql.data(REJECT, id=other["promotion"]["approvalRequestId"])
    assert rejected["reject"]["request"]["status"] == "REJECTED"

    approved = (await gql.data(APPROVE, id=made["approvalRequestId"]))["approve"]["request"]
    assert approved == {"status": "APPROVED", "documentType": "PROMOTION"}
    statuses = await gql.data("{ promotions { code status } }")
    assert statuses["promotions"] == [
        {"code": "MAY", "status": "ACTIVE"},
        {"code": "MAY-2", "status": "REJECTED"},
    ]
    dealer_sees = await dealer.data("{ promotions { code status } }")
    assert dealer_sees["promotions"] == [{"code": "MAY", "status": "ACTIVE"}]
    await accrue(sessions, year=2025, month=6)
    # A: 40 × 0.10 = 4.00; B: 8 × 0.10 = 0.80 — MAY only, MAY-2 was rejected
    assert await promotion_rows(sessions) == [
        (channel["a"], Decimal("4.00")),
        (channel["b"], Decimal("0.80")),
    ]


async def test_update_replaces_terms_and_is_checked(gql, gql_as, sessions, channel):
    made = (await gql.data(CREATE, input=promo(channel)))["createPromotion"]["promotion"]
    assert made["status"] == "ACTIVE"  # no rule: at once
    one_day = promo(channel, perUnit=None, percent="12.5", starts="2025-05-20", ends="2025-05-20")
    changed = (await gql.data(UPDATE, id=made["id"], input=one_day))["updatePromotion"]
    promotion = changed["promotion"]
    assert (promotion["percent"], promotion["perUnit"], promotion["status"]) == (
        "12.50",
        None,
        "ACTIVE",
    )
    bad = promo(channel, ends="2025-04-30")
    refused = (await gql.data(UPDATE, id=made["id"], input=bad))["updatePromotion"]
    assert refused["fields"] == [{"field": "ends"}]
    await gql.data(CREATE, input=promo(channel, "TAKEN"))
    taken = await gql.data(UPDATE, id=made["id"], input=promo(channel, "TAKEN"))
    assert taken["updatePromotion"] == {"__typename": "DuplicateError", "field": "code"}
    missing = encode_id("Promotion", 999_999)
    unknown = (await gql.data(UPDATE, id=missing, input=promo(channel)))["updatePromotion"]
    assert unknown == {"__typename": "NotFoundError", "field": "id"}
    dealer = gql_as(Role.DEALER, partner=channel["a"])
    forbidden = await dealer.data(UPDATE, id=made["id"], input=promo(channel))
    assert forbidden["updatePromotion"]["permission"] == "REBATES_MANAGE"
    await accrue(sessions, year=2025, month=5)
    # the stored terms: 12.5 % of A's 100.00 on 20 May = 12.50; B's 20.00 → 2.50
    assert await promotion_rows(sessions, made["id"]) == [
        (channel["a"], Decimal("12.50")),
        (channel["b"], Decimal("2.50")),
    ]


async def test_a_dealer_sees_only_its_own_promotion_accruals(gql, gql_as, sessions, channel):
    made = (await gql.data(CREATE, input=promo(channel)))["createPromotion"]["promotion"]
    await accrue(sessions, year=2025, month=5)
    everything = (await gql.data(ACCRUALS))["rebateAccruals"]
    assert len(everything) == 2
    mine = (await gql_as(Role.DEALER, partner=channel["a"]).data(ACCRUALS))["rebateAccruals"]
    assert mine == [
        {
            "partnerId": encode_id("Partner", channel["a"]),
            "agreementId": None,
            "promotionId": made["id"],
            "periodKind": "MONTH",
            "periodIndex": 5,
            "amount": "4.00",
        }
    ]
    theirs = (await gql_as(Role.DEALER, partner=channel["b"]).data(ACCRUALS))["rebateAccruals"]
    assert [(x["partnerId"], x["amount"]) for x in theirs] == [
        (encode_id("Partner", channel["b"]), "0.80")
    ]
    balances = await gql_as(Role.DEALER, partner=channel["a"]).data(
        "{ fundBalances { fund balance } }"
    )
    assert balances["fundBalances"] == [{"fund": "REBATE", "balance": "4.00"}]
    settle = """mutation($input: RebateSettlementInput!) { createRebateSettlement(input: $input) {
      __typename ... on RebateSettlementPayload { settlement { status periodKind total
        lines { agreementId promotionId amount } } } } }"""
    data = {"partner": encode_id("Partner", channel["a"]), "year": 2025, "periodKind": "MONTH"}
    settled = await gql.data(settle, input=data | {"periodIndex": 5})
    assert settled["createRebateSettlement"]["settlement"] == {
        "status": "APPROVED",
        "periodKind": "MONTH",
        "total": "4.00",
        "lines": [{"agreementId": None, "promotionId": made["id"], "amount": "4.00"}],
    }
    approved = "{ rebateSettlements(status: APPROVED) { total } }"
    assert (await gql.data(approved))["rebateSettlements"] == [{"total": "4.00"}]
    assert (await gql.data("{ rebateSettlements(status: PAID) { total } }"))[
        "rebateSettlements"
    ] == []
