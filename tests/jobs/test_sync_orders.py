"""Orders with lines and partner refs: inserted with exact totals and a history entry,
updated in place along the status machine, refused (quarantined) off it; order status
streams; stock levels by location code and SKU."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.enums import OrderStatus
from jobs.runs import SUCCEEDED
from store.models import Order, OrderLine, OrderStatusChange, QuarantinedRecord, StockLevel
from tests.factories import create_location, create_product
from tests.jobs.sync_harness import (
    PARTNER_MAPPING,
    PRODUCT_MAPPING,
    ErpStub,
    SyncEnv,
    at,
    connector_config,
    product,
    stream_config,
    sync_env,
)

STATUS_CODES = {
    "10": "SUBMITTED",
    "20": "APPROVED",
    "30": "SHIPPED",
    "40": "DELIVERED",
    "90": "CLOSED",
}
ORDER_MAPPING: dict[str, Any] = {
    "entity": "order",
    "external_id": "doc",
    "fields": {
        "number": {"template": "ERP-{doc}"},
        "partner_id": {"source": "customer", "ref": "partner", "required": True},
        "status": {"source": "state", "value_map": STATUS_CODES},
        "currency": {"default": "EUR"},
        "created_at": {"source": "placed", "cast": "datetime", "timezone": "Europe/Berlin"},
    },
    "lines": {
        "source": "items",
        "fields": {
            "product_id": {"source": "item", "ref": "product", "required": True},
            "quantity": {"source": "qty", "cast": "int", "required": True},
            "unit_price": {"source": "price", "cast": "decimal"},
        },
    },
}
STATUS_MAPPING: dict[str, Any] = {
    "entity": "order_status",
    "external_id": "doc",
    "fields": {
        "status": {"source": "state", "value_map": STATUS_CODES, "required": True},
        "note": "comment",
        "changed_at": {"source": "at", "cast": "datetime"},
    },
}


def order(doc: int, state: str = "10", minute: int = 0, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"D{doc}",
        "doc": doc,
        "customer": "C1",
        "state": state,
        "placed": "2025-03-01T09:30:00",
        "items": [
            {"item": "P0001", "qty": 3, "price": "19.99"},
            {"item": "P0002", "qty": "2"},  # no price: the product's list price (2.50)
        ],
        "updated_at": at(minute),
    }
    record.update(changes)
    return record


def channel() -> ErpStub:
    erp = ErpStub()
    erp.put(
        "partners",
        {"id": "C1", "code": "ACME", "name": "Acme", "kind": "D", "updated_at": at(0)},
        {"id": "C2", "code": "BOLT", "name": "Bolt", "kind": "S", "updated_at": at(1)},
    )
    erp.put("products", product(1), product(2))
    erp.put("orders", order(1001), order(1002, customer="C2", minute=1))
    return erp


def streams() -> list[dict[str, Any]]:
    return [
        stream_config("partners", PARTNER_MAPPING),
        stream_config("products", PRODUCT_MAPPING),
        stream_config("orders", ORDER_MAPPING),
        stream_config("statuses", STATUS_MAPPING),
    ]


async def history(env: SyncEnv, number: str) -> list[tuple[Any, Any, str]]:
    async with env.sessions() as session:
        rows = await session.execute(
            select(
                OrderStatusChange.from_status,
                OrderStatusChange.to_status,
                OrderStatusChange.changed_by,
            )
            .join(Order, Order.id == OrderStatusChange.order_id)
            .where(Order.number == number)
            .order_by(OrderStatusChange.id)
        )
        return [tuple(row) for row in rows]


async def sync_all(env: SyncEnv, *names: str) -> None:
    for name in names:
        run = await env.run(name)
        assert run.status == SUCCEEDED, (name, run.error_message)


async def test_orders_with_lines_and_partner_refs_are_stored_exactly(settings):
    async with sync_env(settings, channel()) as env:
        await env.apply(connector_config(streams()))
        await sync_all(env, "partners", "products", "orders")
        orders = {o.number: o for o in await env.rows(Order)}
        assert set(orders) == {"ERP-1001", "ERP-1002"}
        first = orders["ERP-1001"]
        partners = dict((await env.refs("partner")).items())
        assert first.partner_id == partners["C1"].entity_id
        assert orders["ERP-1002"].partner_id == partners["C2"].entity_id
        assert first.status == OrderStatus.SUBMITTED and first.currency == "EUR"
        assert first.created_at.isoformat() == "2025-03-01T08:30:00+00:00"
        assert first.total == Decimal("64.97")  # 3 × 19.99 + 2 × 2.50, exact
        lines = [
            (line.line_no, line.quantity, line.unit_price, line.line_total)
            for line in await env.rows(OrderLine)
            if line.order_id == first.id
        ]
        assert lines == [
            (1, 3, Decimal("19.99"), Decimal("59.97")),
            (2, 2, Decimal("2.50"), Decimal("5.00")),
        ]
        assert await history(env, "ERP-1001") == [(None, OrderStatus.SUBMITTED, "sync:erp")]


async def test_an_order_in_the_hub_is_updated_in_place_along_the_status_machine(settings):
    erp = channel()
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config(streams()))
        await sync_all(env, "partners", "products", "orders")
        before = {o.number: o.id for o in await env.rows(Order)}

        changed = order(1001, state="30", minute=5)  # SUBMITTED → SHIPPED (via APPROVED)
        changed["items"] = [{"item": "P0002", "qty": 4, "price": "2.25"}]
        erp.put("orders", changed)
        run = await env.run("orders")
        assert (run.records_updated, run.records_inserted) == (1, 0)
        after = {o.number: o for o in await env.rows(Order)}
        assert {n: o.id for n, o in after.items()} == before  # same rows
        assert after["ERP-1001"].status == OrderStatus.SHIPPED
        assert after["ERP-1001"].total == Decimal("9.00")
        lines = [line for line in await env.rows(OrderLine) if line.order_id == before["ERP-1001"]]
        assert [(line.quantity, line.unit_price) for line in lines] == [(4, Decimal("2.25"))]
        assert await history(env, "ERP-1001") == [
            (None, OrderStatus.SUBMITTED, "sync:erp"),
            (OrderStatus.SUBMITTED, OrderStatus.APPROVED, "sync:erp"),
            (OrderStatus.APPROVED, OrderStatus.SHIPPED, "sync:erp"),
        ]

        erp.put("orders", order(1001, state="10", minute=6))  # back to SUBMITTED: refused
        refused = await env.run("orders")
        assert refused.records_quarantined == 1
        (row,) = await env.rows(QuarantinedRecord)
        assert row.reason == "status: an order cannot go from SHIPPED to SUBMITTED"
        assert (await env.rows(Order, Order.status))[0] == (OrderStatus.SHIPPED,)


async def test_an_order_of_an_unknown_partner_is_quarantined_with_the_reason(settings):
    erp = channel()
    erp.put("orders", order(1003, customer="C9", minute=3), order(1004, minute=4, items=[]))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config(streams()))
        await sync_all(env, "partners", "products")
        run = await env.run("orders")
        assert (run.records_inserted, run.records_quarantined) == (3, 1)
        (row,) = await env.rows(QuarantinedRecord)
        assert row.external_id == "1003"
        assert row.reason == "partner_id: no partner with external id 'C9' from this connector"
        numbers = [n for (n,) in await env.rows(Order, Order.number)]
        assert "ERP-1004" in numbers  # an order without lines: total 0
        totals = dict(await env.rows(Order, Order.number, Order.total))
        assert totals["ERP-1004"] == Decimal("0.00")


async def test_an_order_status_stream_moves_orders_it_finds_and_quarantines_the_rest(settings):
    erp = channel()
    erp.put(
        "statuses",
        {
            "id": "S1",
            "doc": 1001,
            "state": "20",
            "comment": "credit ok",
            "at": "2025-03-02T10:00:00Z",
            "updated_at": at(0),
        },
        {"id": "S2", "doc": 1002, "state": "20", "updated_at": at(1)},
        {"id": "S3", "doc": 7777, "state": "20", "updated_at": at(2)},
    )
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config(streams()))
        await sync_all(env, "partners", "products", "orders")
        run = await env.run("statuses")
        assert (run.records_updated, run.records_quarantined) == (2, 1)
        statuses = dict(await env.rows(Order, Order.number, Order.status))
        assert statuses == {"ERP-1001": OrderStatus.APPROVED, "ERP-1002": OrderStatus.APPROVED}
        async with env.sessions() as session:
            change = (
                await session.scalars(
                    select(OrderStatusChange).where(OrderStatusChange.note == "credit ok")
                )
            ).one()
        assert change.changed_at.isoformat() == "2025-03-02T10:00:00+00:00"
        (row,) = await env.rows(QuarantinedRecord)
        assert "no order with external id '7777'" in row.reason

        again = await env.run("statuses")  # reads the record at the cursor again: still bad
        assert (again.records_read, again.records_quarantined) == (1, 1)
        (same,) = await env.rows(QuarantinedRecord)  # not quarantined twice
        assert same.id == row.id

        erp.put("orders", order(7777, minute=9))  # the order reaches the hub
        await sync_all(env, "orders")
        erp.put("statuses", {"id": "S3", "doc": 7777, "state": "20", "updated_at": at(3)})
        moved = await env.run("statuses")
        assert (moved.records_updated, moved.records_quarantined) == (1, 0)
        assert (await env.rows(QuarantinedRecord))[0].resolved_at is not None  # superseded
        assert dict(await env.rows(Order, Order.number, Order.status))["ERP-7777"] == (
            OrderStatus.APPROVED
        )


async def test_stock_levels_resolve_locations_by_code_and_link_existing_levels(settings):
    mapping = {
        "entity": "stock_level",
        "external_id": "id",
        "fields": {
            "location_id": {"source": "warehouse", "ref": "location", "required": True},
            "product_id": {"source": "sku", "ref": "product", "required": True},
            "on_hand": {"source": "qty", "cast": "int"},
        },
    }
    erp = ErpStub()
    erp.put(
        "stock",
        {"id": "S1", "warehouse": "WH-1", "sku": "SKU-A", "qty": 5, "updated_at": at(0)},
        {"id": "S2", "warehouse": "WH-1", "sku": "SKU-B", "qty": "7", "updated_at": at(1)},
        {"id": "S3", "warehouse": "WH-9", "sku": "SKU-A", "qty": 1, "updated_at": at(2)},
        {"id": "S4", "warehouse": "WH-1", "sku": "SKU-B", "qty": -1, "updated_at": at(3)},
    )
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("stock", mapping)]))
        async with env.sessions.begin() as session:
            location = await create_location(session, code="WH-1")
            first = await create_product(session, sku="SKU-A")
            second = await create_product(session, sku="SKU-B")
            session.add(StockLevel(location_id=location.id, product_id=first.id, on_hand=1))
        run = await env.run("stock")
        assert (run.records_inserted, run.records_updated, run.records_quarantined) == (1, 1, 2)
        levels = {(lv.location_id, lv.product_id): lv.on_hand for lv in await env.rows(StockLevel)}
        assert levels == {(location.id, first.id): 5, (location.id, second.id): 7}
        reasons = {row.external_id: row.reason for row in await env.rows(QuarantinedRecord)}
        assert (
            reasons["S3"] == "location_id: no location with external id 'WH-9' from this connector"
        )
        assert reasons["S4"] == "on_hand: must not be negative"
