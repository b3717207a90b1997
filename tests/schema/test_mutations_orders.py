"""placeOrder: exact totals, one transaction, typed refusals that write nothing."""

import asyncio
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus, PartnerStatus, ProductLifecycle
from resolvers.mutations import orders as order_service
from schema.node import encode_id
from store.models import Order, OrderLine, OrderStatusChange, Partner, Product
from store.repositories.order_writes import OrderWrites
from tests.factories import create_order, create_partner, create_product

Sessions = async_sessionmaker[AsyncSession]

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  __typename
  ... on OrderPayload { order { id number status total note
      partner { code }
      lines { lineNo quantity unitPrice lineTotal product { sku } }
      history { fromStatus toStatus changedBy } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on PartnerNotActiveError { status }
  ... on ProductNotOrderableError { sku lifecycle } } }"""


async def counts(sessions: Sessions) -> tuple[int, ...]:
    async with sessions() as s:
        return tuple(
            [
                int(await s.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Order, OrderLine, OrderStatusChange)
            ]
        )


def pid(partner: Partner) -> str:
    return encode_id("Partner", partner.id)


def line(product: Product, quantity: int, **extra: str) -> dict[str, Any]:
    return {"product": encode_id("Product", product.id), "quantity": quantity} | extra


async def test_place_order_computes_exact_totals_and_writes_lines_and_history(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s, code="P1")
        crisps = await create_product(s, sku="CRISPS", price=Decimal("12.50"))
        cola = await create_product(s, sku="COLA", price=Decimal("3.00"))
    data = await gql.data(
        PLACE,
        input={
            "partner": pid(partner),
            "lines": [line(crisps, 3), {"sku": "COLA", "quantity": 3, "unitPrice": "0.1"}],
            "note": "rush",
        },
    )
    order = data["placeOrder"]["order"]
    assert order["status"] == "SUBMITTED"
    assert order["total"] == "37.80"
    assert re.fullmatch(r"SO-\d{8}-[2-9A-HJ-NP-Z]{6}", order["number"])
    assert order["lines"] == [
        {
            "lineNo": 1,
            "quantity": 3,
            "unitPrice": "12.50",
            "lineTotal": "37.50",
            "product": {"sku": "CRISPS"},
        },
        {
            "lineNo": 2,
            "quantity": 3,
            "unitPrice": "0.10",
            "lineTotal": "0.30",
            "product": {"sku": "COLA"},
        },
    ]
    assert order["history"] == [
        {"fromStatus": None, "toStatus": "SUBMITTED", "changedBy": "test-admin"}
    ]
    assert (order["partner"], order["note"]) == ({"code": "P1"}, "rush")
    assert await counts(sessions) == (1, 2, 1)
    async with sessions() as s:
        row = (await s.scalars(select(Order))).one()
    assert (row.total, row.status) == (Decimal("37.80"), OrderStatus.SUBMITTED)
    assert cola.list_price == Decimal("3.00")


async def test_place_order_without_submit_starts_as_draft(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
    data = await gql.data(
        PLACE, input={"partner": pid(partner), "lines": [line(product, 1)], "submit": False}
    )
    assert data["placeOrder"]["order"]["status"] == "DRAFT"
    assert data["placeOrder"]["order"]["history"][0]["toStatus"] == "DRAFT"


@pytest.mark.parametrize(
    "status", [PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED, PartnerStatus.PROSPECT]
)
async def test_place_order_refuses_a_partner_that_is_not_active_and_writes_nothing(
    sessions, gql, status
):
    async with sessions.begin() as s:
        partner = await create_partner(s, code="P1", status=status)
        product = await create_product(s)
    data = await gql.data(PLACE, input={"partner": pid(partner), "lines": [line(product, 1)]})
    result = data["placeOrder"]
    assert (result["__typename"], result["status"]) == ("PartnerNotActiveError", status.value)
    assert status.value in result["message"]
    assert await counts(sessions) == (0, 0, 0)


@pytest.mark.parametrize("lifecycle", [ProductLifecycle.DISCONTINUED, ProductLifecycle.DRAFT])
async def test_place_order_refuses_a_product_that_is_not_orderable_and_writes_nothing(
    sessions, gql, lifecycle
):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        good = await create_product(s)
        bad = await create_product(s, sku="OLD", lifecycle=lifecycle)
    data = await gql.data(
        PLACE, input={"partner": pid(partner), "lines": [line(good, 1), line(bad, 2)]}
    )
    result = data["placeOrder"]
    assert (result["__typename"], result["sku"], result["lifecycle"]) == (
        "ProductNotOrderableError",
        "OLD",
        lifecycle.value,
    )
    assert await counts(sessions) == (0, 0, 0)


async def test_place_order_lists_every_bad_line_and_writes_nothing(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
    data = await gql.data(
        PLACE,
        input={
            "partner": pid(partner),
            "lines": [
                line(product, 0),
                line(product, 2, unitPrice="-1"),
                {"quantity": 1},
                line(product, -5, sku="ALSO"),
                line(product, 1, unitPrice="0.00001"),
            ],
        },
    )
    result = data["placeOrder"]
    assert result["__typename"] == "InvalidInputError"
    assert [f["field"] for f in result["fields"]] == [
        "lines.0.quantity",
        "lines.1.unitPrice",
        "lines.2.product",
        "lines.3.product",
        "lines.3.quantity",
        "lines.4.unitPrice",
    ]
    assert await counts(sessions) == (0, 0, 0)


async def test_place_order_refuses_an_empty_order_and_bad_ids(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
    data = await gql.data(PLACE, input={"partner": pid(partner), "lines": []})
    assert [f["field"] for f in data["placeOrder"]["fields"]] == ["lines"]
    data = await gql.data(
        PLACE,
        input={"partner": "garbage", "lines": [{"product": pid(partner), "quantity": 1}]},
    )
    assert [f["field"] for f in data["placeOrder"]["fields"]] == ["partner", "lines.0.product"]
    assert await counts(sessions) == (0, 0, 0)


async def test_place_order_with_unknown_partner_or_sku_is_not_found(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
    missing = encode_id("Partner", 999)
    data = await gql.data(PLACE, input={"partner": missing, "lines": [line(product, 1)]})
    assert (data["placeOrder"]["field"], data["placeOrder"]["id"]) == ("partner", missing)
    data = await gql.data(
        PLACE,
        input={
            "partner": pid(partner),
            "lines": [line(product, 1), {"sku": "NOPE", "quantity": 1}],
        },
    )
    assert (
        data["placeOrder"]["__typename"],
        data["placeOrder"]["field"],
        data["placeOrder"]["id"],
    ) == (
        "NotFoundError",
        "lines.1.sku",
        "NOPE",
    )
    assert await counts(sessions) == (0, 0, 0)


async def test_a_failure_after_the_order_row_is_written_rolls_the_whole_order_back(
    sessions, gql, monkeypatch
):
    async def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
    monkeypatch.setattr(OrderWrites, "record_change", broken)
    body = await gql(PLACE, input={"partner": pid(partner), "lines": [line(product, 2)]})
    assert body["errors"][0]["message"] == "Unexpected error."
    assert await counts(sessions) == (0, 0, 0)


async def test_an_order_number_collision_is_retried_with_a_fresh_number(sessions, gql, monkeypatch):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
        existing = await create_order(s, partner=partner, lines=[(product, 1)])
    suffixes = iter(["TAKEN", "FRESH"])
    monkeypatch.setattr(order_service, "number_suffix", lambda: next(suffixes))
    monkeypatch.setattr(
        order_service,
        "order_number",
        lambda day, suffix: existing.number if suffix == "TAKEN" else f"SO-TEST-{suffix}",
    )
    data = await gql.data(PLACE, input={"partner": pid(partner), "lines": [line(product, 1)]})
    assert data["placeOrder"]["order"]["number"] == "SO-TEST-FRESH"
    assert await counts(sessions) == (2, 2, 2)


async def test_concurrent_orders_get_distinct_numbers(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
    results = await asyncio.gather(
        *(
            gql.data(PLACE, input={"partner": pid(partner), "lines": [line(product, n)]})
            for n in range(1, 11)
        )
    )
    numbers = {r["placeOrder"]["order"]["number"] for r in results}
    assert len(numbers) == 10
    assert await counts(sessions) == (10, 10, 10)
