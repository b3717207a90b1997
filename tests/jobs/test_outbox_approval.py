"""Approving an order writes its outbox entries in the same transaction: one per connector
operation triggered by order.approved, with the documented record, and none when the
approval fails; their delivery is enqueued only after the commit."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import jobs.outbox
from domain.enums import OrderStatus
from jobs.outbox_entries import SWEEP_GRACE_SECONDS, order_approved_key, record_order_approved
from schema.node import encode_id
from store.base import utcnow
from store.engine import create_engine, create_sessionmaker
from store.models import ExternalRef, Order
from store.repositories.outbox import OutboxRepository
from tests.jobs.outbox_erp import rest_config, soap_config
from tests.jobs.outbox_support import outbox, store_connectors, submitted_orders

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename ... on OrderPayload { order { status } } ... on UserError { message } } }"""


def approve_input(order: Order, to: str = "APPROVED") -> dict[str, Any]:
    return {"input": {"order": encode_id("Order", order.id), "to": to}}


async def test_approval_writes_one_entry_per_triggered_operation_with_the_order_record(
    app, sessions, gql
):
    crypto = app.state.hub.fields
    await store_connectors(
        crypto,
        rest_config("erp-rest", "http://127.0.0.1:9"),
        soap_config("erp-soap", "http://127.0.0.1:9"),
        rest_config("erp-untriggered", "http://127.0.0.1:9", trigger=None),
    )
    [order], [first, second] = await submitted_orders(sessions, lines=2)
    async with sessions.begin() as session:
        session.add_all(
            [
                ExternalRef(
                    connector="erp-rest",
                    entity="partner",
                    entity_id=order.partner_id,
                    external_id="C-100",
                ),
                ExternalRef(
                    connector="erp-soap",
                    entity="product",
                    entity_id=second.id,
                    external_id="ITEM-2",
                ),
            ]
        )
    before = utcnow()

    data = await gql.data(CHANGE, **approve_input(order))

    assert data["changeOrderStatus"]["order"]["status"] == "APPROVED"
    entries = await outbox(sessions)
    assert [(e.connector, e.operation) for e in entries] == [
        ("erp-rest", "create_sales_order"),
        ("erp-soap", "create_sales_order"),
    ]
    for entry in entries:
        assert (entry.entity, entry.entity_id, entry.status, entry.attempts) == (
            "order",
            order.id,
            "PENDING",
            0,
        )
        assert entry.idempotency_key == order_approved_key(
            order.id, entry.connector, entry.operation
        )
        assert len(entry.idempotency_key) <= 35
        grace = timedelta(seconds=SWEEP_GRACE_SECONDS)
        assert before + grace <= entry.next_attempt_at <= utcnow() + grace
    rest, soap = (json.loads(e.payload_json) for e in entries)
    assert rest == {
        "idempotency_key": entries[0].idempotency_key,
        "order_number": order.number,
        "partner_code": rest["partner_code"],
        "partner_external_id": "C-100",
        "ordered_at": "2026-01-01T00:00:00+00:00",
        "currency": "CNY",
        "total": str(order.total),
        "lines": [
            {"sku": first.sku, "product_external_id": None, "quantity": 1, "unit_price": "9.90"},
            {"sku": second.sku, "product_external_id": None, "quantity": 2, "unit_price": "9.90"},
        ],
    }
    assert rest["partner_code"].startswith("P") and order.total == first.list_price * 3
    assert soap["partner_external_id"] is None
    assert [line["product_external_id"] for line in soap["lines"]] == [None, "ITEM-2"]
    assert soap["idempotency_key"] == entries[1].idempotency_key != rest["idempotency_key"]


async def test_other_transitions_and_refused_approvals_write_no_entry(app, sessions, gql):
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    [draft, submitted], _ = await submitted_orders(sessions, 2, lines=1)
    async with sessions.begin() as session:
        (await session.get(Order, draft.id)).status = OrderStatus.DRAFT

    refused = await gql.data(CHANGE, **approve_input(draft))
    assert refused["changeOrderStatus"]["__typename"] == "TransitionNotAllowedError"
    cancelled = await gql.data(CHANGE, **approve_input(submitted, "CANCELLED"))
    assert cancelled["changeOrderStatus"]["order"]["status"] == "CANCELLED"
    assert await outbox(sessions) == []


async def test_an_approval_that_fails_after_its_entries_were_written_leaves_nothing(
    app, sessions, gql, monkeypatch: pytest.MonkeyPatch
):
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    [order], _ = await submitted_orders(sessions, lines=1)
    add = OutboxRepository.add

    async def add_then_fail(self: OutboxRepository, entries: Any) -> Any:
        await add(self, entries)  # flushed into the approval's transaction...
        raise RuntimeError("the database went away")  # ...which then fails

    monkeypatch.setattr(OutboxRepository, "add", add_then_fail)
    body = await gql(CHANGE, **approve_input(order))

    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    async with sessions() as session:
        assert await session.scalar(select(Order.status).where(Order.id == order.id)) == (
            OrderStatus.SUBMITTED
        )
    assert await outbox(sessions) == []


async def test_a_repeated_approval_record_adds_no_second_entry(app, sessions):
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    [order], _ = await submitted_orders(sessions, lines=1)
    async with sessions.begin() as session:
        first = await record_order_approved(session, order.id)
    async with sessions.begin() as session:
        again = await record_order_approved(session, order.id)
    assert len(first) == 1 and again == []
    assert [e.id for e in await outbox(sessions)] == first


async def test_delivery_is_enqueued_after_the_commit(
    app, sessions, gql, monkeypatch: pytest.MonkeyPatch
):
    await store_connectors(
        app.state.hub.fields,
        rest_config("erp-a", "http://127.0.0.1:9"),
        rest_config("erp-b", "http://127.0.0.1:9"),
    )
    [order], _ = await submitted_orders(sessions, lines=1)
    enqueued: list[int] = []
    committed_then: list[list[int]] = []

    def enqueue(entry_id: int) -> str:
        # another connection (own engine, own loop) sees only committed rows
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            rows = pool.submit(asyncio.run, committed_ids(app.state.hub.settings)).result()
        committed_then.append(rows)
        enqueued.append(entry_id)
        return f"message-{entry_id}"

    monkeypatch.setattr(jobs.outbox, "enqueue_outbox", enqueue)
    await gql.data(CHANGE, **approve_input(order))

    ids = [e.id for e in await outbox(sessions)]
    assert len(ids) == 2 and enqueued == ids
    assert committed_then == [ids, ids]


async def committed_ids(settings: Any) -> list[int]:
    engine = create_engine(settings)
    try:
        return [e.id for e in await outbox(create_sessionmaker(engine))]
    finally:
        await engine.dispose()


async def test_a_broker_that_fails_loses_no_entry(app, sessions, gql, monkeypatch):
    await store_connectors(app.state.hub.fields, rest_config("erp", "http://127.0.0.1:9"))
    [order], _ = await submitted_orders(sessions, lines=1)

    def broken(entry_id: int) -> str:
        raise ConnectionError("broker down")

    monkeypatch.setattr(jobs.outbox, "enqueue_outbox", broken)
    data = await gql.data(CHANGE, **approve_input(order))
    assert data["changeOrderStatus"]["order"]["status"] == "APPROVED"
    [entry] = await outbox(sessions)
    assert entry.status == "PENDING"  # the sweep delivers it once its grace has passed
