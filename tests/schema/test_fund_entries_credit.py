"""A partner's PREPAYMENT fund raises its available credit (money paid in advance), on both
backends: ``Partner.credit`` shows it, placing an order uses it (to the cent), a correction
takes it back, and DEPOSIT or POINTS entries and other partners' prepayments do not count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.credit import CreditRuleError, available_credit
from schema.node import encode_id
from security.viewer import Role
from store.models import Partner
from tests.factories import create_product
from tests.schema.test_credit_graph import CREDIT, PLACE, channel, place

pytestmark = pytest.mark.anyio

POST = """mutation($input: PostFundEntryInput!) { postFundEntry(input: $input) {
  __typename } }"""
SHOWN = """query($id: ID!) { node(id: $id) { ... on Partner {
  credit { openBalance prepaid available } } } }"""


async def post(gql: Any, partner: Partner, fund: str, amount: str) -> None:
    given = {"partner": encode_id("Partner", partner.id), "fund": fund, "amount": amount}
    result = await gql.data(POST, input=given | {"reference": "TT-1"})
    assert result["postFundEntry"]["__typename"] == "FundEntryPayload"


async def credit(gql: Any, partner: Partner) -> dict[str, str]:
    shown: dict[str, str] = (await gql.data(SHOWN, id=encode_id("Partner", partner.id)))["node"][
        "credit"
    ]
    return shown


async def test_a_prepayment_raises_the_available_credit_and_a_correction_takes_it_back(
    sessions, gql
):
    partner, _ = await channel(sessions)  # limit 1000.00, open balance 550.00
    other, _ = await channel(sessions)
    assert await credit(gql, partner) == {
        "openBalance": "550.00",
        "prepaid": "0.00",
        "available": "450.00",
    }
    await post(gql, partner, "PREPAYMENT", "300.00")
    await post(gql, partner, "DEPOSIT", "5000.00")
    await post(gql, partner, "POINTS", "800")
    await post(gql, other, "PREPAYMENT", "9000.00")
    assert await credit(gql, partner) == {
        "openBalance": "550.00",
        "prepaid": "300.00",
        "available": "750.00",
    }
    await post(gql, partner, "PREPAYMENT", "-300.00")
    assert await credit(gql, partner) == {
        "openBalance": "550.00",
        "prepaid": "0.00",
        "available": "450.00",
    }
    await post(gql, partner, "PREPAYMENT", "-50.00")  # overdrawn: counts as nothing prepaid
    assert (await credit(gql, partner))["available"] == "450.00"
    assert (await gql.data(CREDIT, id=encode_id("Partner", partner.id)))["node"]["credit"][
        "limit"
    ] == "1000.00"


async def test_an_order_may_use_the_prepayment_to_the_cent(sessions, gql, gql_as):
    partner, _ = await channel(sessions)
    await post(gql, partner, "PREPAYMENT", "250.00")  # available 700.00
    async with sessions.begin() as s:
        cent_over = await create_product(s, price=Decimal("700.01"))
        exact = await create_product(s, price=Decimal("700.00"))
    dealer = gql_as(Role.DEALER, partner=partner)
    refused = (await dealer.data(PLACE, **place(partner, cent_over, 1)))["placeOrder"]
    assert refused["__typename"] == "CreditLimitExceededError"
    assert (refused["available"], refused["requested"]) == ("700.00", "700.01")
    placed = (await dealer.data(PLACE, **place(partner, exact, 1)))["placeOrder"]
    assert placed["__typename"] == "OrderPayload" and placed["order"]["total"] == "700.00"


def test_the_rule_adds_the_prepayment_and_refuses_a_negative_one():
    D = Decimal
    assert available_credit(D("1000"), D("300"), D("250"), D("300")) == D("750")
    assert available_credit(D("1000"), D("300"), D("250")) == D("450")
    with pytest.raises(CreditRuleError) as refused:
        available_credit(D("1000"), D(0), D(0), D("-0.01"))
    assert refused.value.field == "prepaid"
