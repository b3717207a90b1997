"""Credit control through the graph: Partner.credit (limit, open orders + open invoices,
available), refusal of orders beyond it when placing and approving, and the audited override."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from schema.node import encode_id
from security.viewer import Role
from store.models import AuditEntry, Invoice, InvoiceStatus, Order, Partner, Product
from tests.factories import create_order, create_partner, create_product
from tests.schema.test_statement_count import counting

Sessions = async_sessionmaker[AsyncSession]

CREDIT = """query($id: ID!) { node(id: $id) { ... on Partner {
  credit { limit openOrders openInvoices openBalance available currency } } } }"""

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  __typename
  ... on OrderPayload { order { id status total } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on ForbiddenError { permission }
  ... on CreditLimitExceededError { partnerCode available requested } } }"""

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename
  ... on OrderPayload { order { status } }
  ... on UserError { message }
  ... on CreditLimitExceededError { partnerCode available requested } } }"""


async def channel(sessions: Sessions, limit: str = "1000.00") -> tuple[Partner, Product]:
    """A partner with ``limit``: an approved order of 300.00 not invoiced, an approved order of
    400.00 invoiced (its invoice has 250.00 open), a cancelled order, a PAID invoice; and a
    product at 100.00."""
    async with sessions.begin() as s:
        partner = await create_partner(s, credit_limit=Decimal(limit))
        product = await create_product(s, price=Decimal("100.00"))
        await create_order(s, partner=partner, lines=[(product, 3)], status=OrderStatus.APPROVED)
        invoiced = await create_order(
            s, partner=partner, lines=[(product, 4)], status=OrderStatus.APPROVED
        )
        await create_order(s, partner=partner, lines=[(product, 9)], status=OrderStatus.CANCELLED)
        s.add_all(
            [
                Invoice(
                    number=f"INV-{partner.id}-1",
                    partner_id=partner.id,
                    order_number=invoiced.number,
                    amount=Decimal("400.00"),
                    open_amount=Decimal("250.00"),
                    status=InvoiceStatus.PARTIALLY_PAID,
                    issued_on=date(2026, 1, 2),
                    due_on=date(2026, 2, 2),
                ),
                Invoice(
                    number=f"INV-{partner.id}-2",
                    partner_id=partner.id,
                    amount=Decimal("800.00"),
                    open_amount=Decimal("0.00"),
                    status=InvoiceStatus.PAID,
                ),
            ]
        )
    return partner, product


def place(partner: Partner, product: Product, quantity: int, **extra: Any) -> dict[str, Any]:
    line = {"product": encode_id("Product", product.id), "quantity": quantity}
    return {"input": {"partner": encode_id("Partner", partner.id), "lines": [line]} | extra}


async def overrides(sessions: Sessions) -> list[AuditEntry]:
    async with sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == "credit.override")
        return list(await s.scalars(stmt))


async def test_open_balance_counts_uninvoiced_approved_orders_and_open_invoices(sessions, gql):
    partner, _ = await channel(sessions)
    data = await gql.data(CREDIT, id=encode_id("Partner", partner.id))
    assert data["node"]["credit"] == {
        "limit": "1000.00",
        "openOrders": "300.00",
        "openInvoices": "250.00",
        "openBalance": "550.00",
        "available": "450.00",
        "currency": "CNY",
    }


async def test_credit_is_scoped_like_its_partner(sessions, gql_as):
    partner, _ = await channel(sessions)
    async with sessions.begin() as s:
        other = await create_partner(s)
    mine = await gql_as(Role.DEALER, partner=partner).data(
        CREDIT, id=encode_id("Partner", partner.id)
    )
    assert mine["node"]["credit"]["available"] == "450.00"
    theirs = await gql_as(Role.DEALER, partner=other).data(
        CREDIT, id=encode_id("Partner", partner.id)
    )
    assert theirs["node"] is None


async def test_an_order_exactly_at_the_available_credit_is_placed(sessions, gql_as):
    partner, _ = await channel(sessions)
    async with sessions.begin() as s:
        product = await create_product(s, price=Decimal("450.00"))
    dealer = gql_as(Role.DEALER, partner=partner)
    data = await dealer.data(PLACE, **place(partner, product, 1))
    assert data["placeOrder"]["order"]["total"] == "450.00"


async def test_placing_beyond_the_available_credit_is_refused_and_writes_nothing(sessions, gql_as):
    partner, product = await channel(sessions)
    async with sessions.begin() as s:
        cent_over = await create_product(s, price=Decimal("450.01"))
    dealer = gql_as(Role.DEALER, partner=partner)
    for item in (product, cent_over):
        quantity = 5 if item is product else 1
        result = (await dealer.data(PLACE, **place(partner, item, quantity)))["placeOrder"]
        assert result["__typename"] == "CreditLimitExceededError"
        assert result["partnerCode"] == partner.code
        assert result["available"] == "450.00"
    assert result["requested"] == "450.01"
    async with sessions() as s:
        count = len((await s.scalars(select(Order).where(Order.partner_id == partner.id))).all())
    assert count == 3


async def test_a_draft_is_not_credit_checked(sessions, gql_as):
    partner, product = await channel(sessions)
    dealer = gql_as(Role.DEALER, partner=partner)
    data = await dealer.data(PLACE, **place(partner, product, 50, submit=False))
    assert data["placeOrder"]["order"]["status"] == "DRAFT"


async def test_a_dealer_may_not_override_and_the_refusal_is_audited(sessions, gql_as):
    partner, product = await channel(sessions)
    dealer = gql_as(Role.DEALER, partner=partner)
    extra = {"creditOverride": {"reason": "big customer"}}
    result = (await dealer.data(PLACE, **place(partner, product, 5, **extra)))["placeOrder"]
    assert result["__typename"] == "ForbiddenError"
    assert result["permission"] == "CREDIT_OVERRIDE"
    assert await overrides(sessions) == []
    async with sessions() as s:
        denied = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "authz.denied"))
        ).all()
    assert len(denied) == 1


async def test_a_brand_admin_overrides_with_a_reason_and_the_override_is_audited(sessions, gql):
    partner, product = await channel(sessions)
    extra = {"creditOverride": {"reason": "  seasonal stock-up, agreed with finance "}}
    result = (await gql.data(PLACE, **place(partner, product, 5, **extra)))["placeOrder"]
    assert result["order"]["status"] == "SUBMITTED"
    [entry] = await overrides(sessions)
    assert entry.reason == "seasonal stock-up, agreed with finance"
    assert entry.actor == "test-admin"
    assert (entry.table_name, entry.outcome) == ("orders", "allowed")
    assert entry.row_hash is not None
    detail = json.loads(entry.detail)
    assert detail["partner"] == partner.id
    assert (detail["available"], detail["requested"]) == ("450.00", "500.00")
    assert detail["doing"] == "place order"


async def test_an_empty_override_reason_is_invalid(sessions, gql):
    partner, product = await channel(sessions)
    extra = {"creditOverride": {"reason": "   "}}
    result = (await gql.data(PLACE, **place(partner, product, 5, **extra)))["placeOrder"]
    assert result["__typename"] == "InvalidInputError"
    assert result["fields"] == [
        {"field": "creditOverride.reason", "message": "give the reason for the override"}
    ]


async def test_an_override_that_is_not_needed_is_not_audited(sessions, gql):
    partner, product = await channel(sessions)
    extra = {"creditOverride": {"reason": "just in case"}}
    result = (await gql.data(PLACE, **place(partner, product, 1, **extra)))["placeOrder"]
    assert result["order"]["status"] == "SUBMITTED"
    assert await overrides(sessions) == []


async def test_approving_beyond_the_available_credit_is_refused_unless_overridden(sessions, gql):
    partner, product = await channel(sessions)
    async with sessions.begin() as s:
        order = await create_order(s, partner=partner, lines=[(product, 5)])
    target = {"order": encode_id("Order", order.id), "to": "APPROVED"}
    refused = (await gql.data(CHANGE, input=target))["changeOrderStatus"]
    assert refused["__typename"] == "CreditLimitExceededError"
    assert (refused["available"], refused["requested"]) == ("450.00", "500.00")
    override = target | {"creditOverride": {"reason": "paid in advance"}}
    approved = (await gql.data(CHANGE, input=override))["changeOrderStatus"]
    assert approved["order"]["status"] == "APPROVED"
    [entry] = await overrides(sessions)
    assert entry.reason == "paid in advance"
    assert json.loads(entry.detail)["doing"] == "approve order"
    data = await gql.data(CREDIT, id=encode_id("Partner", partner.id))
    assert data["node"]["credit"]["openBalance"] == "1050.00"
    assert data["node"]["credit"]["available"] == "-50.00"


PAGE = """query($n: Int!) { partners(first: $n) { nodes { code
  credit { limit openBalance available } } } }"""


async def test_credit_of_a_page_of_partners_takes_the_same_statements_for_2_and_20(
    app, sessions, gql
):
    for _ in range(20):
        await channel(sessions)
    with counting(app) as two:
        small = await gql.data(PAGE, n=2)
    with counting(app) as twenty:
        large = await gql.data(PAGE, n=20)
    assert len(small["partners"]["nodes"]) == 2 and len(large["partners"]["nodes"]) == 20
    assert all(p["credit"]["available"] == "450.00" for p in large["partners"]["nodes"])
    assert len(two) == len(twenty)
