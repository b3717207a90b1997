"""changeOrderStatus: the transition table, history rows, and compare-and-set under races."""

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import OrderStatus
from schema.node import encode_id
from store.models import Order, OrderStatusChange
from store.repositories.order_writes import OrderWrites
from tests.factories import create_order, create_partner, create_product

Sessions = async_sessionmaker[AsyncSession]

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename
  ... on OrderPayload { order { status updatedAt history { fromStatus toStatus changedBy note } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on TransitionNotAllowedError { from to allowed } } }"""


async def an_order(sessions: Sessions, status: OrderStatus = OrderStatus.SUBMITTED) -> Order:
    async with sessions.begin() as s:
        partner = await create_partner(s)
        product = await create_product(s)
        return await create_order(s, partner=partner, lines=[(product, 1)], status=status)


async def state(sessions: Sessions, order: Order) -> tuple[OrderStatus | None, list[OrderStatus]]:
    async with sessions() as s:
        status = await s.scalar(select(Order.status).where(Order.id == order.id))
        changes = (
            await s.scalars(
                select(OrderStatusChange.to_status)
                .where(OrderStatusChange.order_id == order.id)
                .order_by(OrderStatusChange.id)
            )
        ).all()
    return status, list(changes)


def change(order: Order, to: str, **extra: str) -> dict[str, Any]:
    return {"input": {"order": encode_id("Order", order.id), "to": to} | extra}


async def test_an_order_walks_its_whole_lifecycle_with_a_history_row_per_step(sessions, gql):
    order = await an_order(sessions, OrderStatus.DRAFT)
    steps = ["SUBMITTED", "APPROVED", "SHIPPED", "DELIVERED", "CLOSED"]
    for to in steps:
        data = await gql.data(CHANGE, **change(order, to, note=f"to {to}"))
        assert data["changeOrderStatus"]["order"]["status"] == to
    history = data["changeOrderStatus"]["order"]["history"]
    assert [h["toStatus"] for h in history] == ["DRAFT", *steps]
    assert history[-1] == {
        "fromStatus": "DELIVERED",
        "toStatus": "CLOSED",
        "changedBy": "test-admin",
        "note": "to CLOSED",
    }
    assert data["changeOrderStatus"]["order"]["updatedAt"] > order.updated_at.isoformat()
    assert await state(sessions, order) == (OrderStatus.CLOSED, [OrderStatus.DRAFT, *steps])


async def test_an_approved_order_may_be_cancelled(sessions, gql):
    order = await an_order(sessions, OrderStatus.APPROVED)
    data = await gql.data(CHANGE, **change(order, "CANCELLED"))
    assert data["changeOrderStatus"]["order"]["status"] == "CANCELLED"


async def test_a_transition_outside_the_table_is_refused_with_the_allowed_targets(sessions, gql):
    order = await an_order(sessions, OrderStatus.SUBMITTED)
    data = await gql.data(CHANGE, **change(order, "SHIPPED"))
    result = data["changeOrderStatus"]
    assert result["__typename"] == "TransitionNotAllowedError"
    assert (result["from"], result["to"], result["allowed"]) == (
        "SUBMITTED",
        "SHIPPED",
        ["APPROVED", "CANCELLED"],
    )
    assert await state(sessions, order) == (OrderStatus.SUBMITTED, [OrderStatus.SUBMITTED])


async def test_a_shipped_order_cannot_be_cancelled_and_a_closed_one_goes_nowhere(sessions, gql):
    shipped = await an_order(sessions, OrderStatus.SHIPPED)
    data = await gql.data(CHANGE, **change(shipped, "CANCELLED"))
    assert data["changeOrderStatus"]["allowed"] == ["DELIVERED"]
    closed = await an_order(sessions, OrderStatus.CLOSED)
    data = await gql.data(CHANGE, **change(closed, "CLOSED"))
    assert data["changeOrderStatus"]["allowed"] == []
    assert await state(sessions, closed) == (OrderStatus.CLOSED, [OrderStatus.CLOSED])


async def test_unknown_or_mistyped_order_ids_are_typed_errors(sessions, gql):
    order = await an_order(sessions)
    missing = encode_id("Order", 999)
    data = await gql.data(CHANGE, input={"order": missing, "to": "APPROVED"})
    assert (data["changeOrderStatus"]["__typename"], data["changeOrderStatus"]["id"]) == (
        "NotFoundError",
        missing,
    )
    data = await gql.data(CHANGE, input={"order": encode_id("Partner", order.id), "to": "APPROVED"})
    assert data["changeOrderStatus"]["fields"][0]["field"] == "order"
    assert await state(sessions, order) == (OrderStatus.SUBMITTED, [OrderStatus.SUBMITTED])


async def test_of_two_racing_changes_that_both_read_the_old_status_exactly_one_wins(
    sessions, gql, monkeypatch
):
    order = await an_order(sessions, OrderStatus.SUBMITTED)
    both_read = asyncio.Barrier(2)
    read = OrderWrites.current

    async def read_then_wait(self, order_id):
        found = await read(self, order_id)
        await both_read.wait()
        return found

    monkeypatch.setattr(OrderWrites, "current", read_then_wait)
    results = await asyncio.gather(
        gql.data(CHANGE, **change(order, "APPROVED")),
        gql.data(CHANGE, **change(order, "CANCELLED")),
    )
    kinds = sorted(r["changeOrderStatus"]["__typename"] for r in results)
    assert kinds == ["ConflictError", "OrderPayload"]
    [winner] = [r for r in results if r["changeOrderStatus"]["__typename"] == "OrderPayload"]
    won = OrderStatus(winner["changeOrderStatus"]["order"]["status"])
    assert await state(sessions, order) == (won, [OrderStatus.SUBMITTED, won])


async def test_two_concurrent_identical_changes_apply_once(sessions, gql):
    order = await an_order(sessions, OrderStatus.SUBMITTED)
    results = await asyncio.gather(
        gql.data(CHANGE, **change(order, "APPROVED")),
        gql.data(CHANGE, **change(order, "APPROVED")),
    )
    kinds = [r["changeOrderStatus"]["__typename"] for r in results]
    assert kinds.count("OrderPayload") == 1
    [loser] = [k for k in kinds if k != "OrderPayload"]
    assert loser in {"ConflictError", "TransitionNotAllowedError"}
    assert await state(sessions, order) == (
        OrderStatus.APPROVED,
        [OrderStatus.SUBMITTED, OrderStatus.APPROVED],
    )
