"""``Order.timeline``: status changes, production/logistics updates and shipments in time
order, read with a fixed number of statements however many orders; scoped like the order;
``orderStatusChanged`` over WebSocket hears the changes of its scope only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.enums import OrderStatus
from schema.node import encode_id
from security.viewer import Role
from settings import Settings
from store.models import Shipment, TrackingEvent
from store.models.shipment import TrackingKind
from tests import factories as f
from tests.conftest import token_for
from tests.schema.stock_control_data import make_channel
from tests.schema.test_jobs_graph_subscription import ws_session
from tests.schema.test_statement_count import counting

TIMELINE = """query($id: ID!) { order(id: $id) { timeline {
  kind status fromStatus by note shipment { trackingNumber } } } }"""

MANY = """query($n: Int!) { orders(first: $n) { nodes { number
  timeline { at kind status shipment { carrier } } } } }"""

CHANGE = """mutation($input: ChangeOrderStatusInput!) { changeOrderStatus(input: $input) {
  __typename } }"""

TRACK = """mutation($input: RecordTrackingEventInput!) { recordTrackingEvent(input: $input) {
  __typename } }"""

SHIP = """mutation($input: CreateShipmentInput!) { createShipment(input: $input) {
  __typename } }"""

FOLLOW = """subscription($order: ID) { orderStatusChanged(order: $order) {
  fromStatus toStatus changedBy order { number status } } }"""


async def test_the_timeline_merges_changes_updates_and_shipments_in_time_order(
    sessions, gql, gql_as
):
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        order = await f.create_order(s, partner=ch.dealer_a, lines=[(ch.product, 1)])
    oid = encode_id("Order", order.id)
    # an update dated between the order's creation (2026-01-01) and its approval (now)
    produced = {"order": oid, "kind": "PRODUCTION", "status": "produced"}
    await gql.data(TRACK, input=produced | {"occurredAt": "2026-01-02T00:00:00Z"})
    approved = await gql.data(CHANGE, input={"order": oid, "to": "APPROVED"})
    assert approved["changeOrderStatus"]["__typename"] == "OrderPayload"
    await gql.data(SHIP, input={"order": oid, "carrier": "SF", "trackingNumber": "SF1"})
    await gql.data(CHANGE, input={"order": oid, "to": "SHIPPED", "note": "left WH"})
    timeline = (await gql.data(TIMELINE, id=oid))["order"]["timeline"]
    assert [(t["kind"], t["status"], t["fromStatus"]) for t in timeline] == [
        ("STATUS_CHANGE", "SUBMITTED", None),
        ("PRODUCTION", "produced", None),
        ("STATUS_CHANGE", "APPROVED", "SUBMITTED"),
        ("SHIPMENT", "PLANNED", None),
        ("STATUS_CHANGE", "SHIPPED", "APPROVED"),
    ]
    assert timeline[3]["shipment"] == {"trackingNumber": "SF1"}
    assert timeline[4]["note"] == "left WH" and timeline[4]["by"] == "test-admin"
    other = gql_as(Role.DEALER, partner=ch.dealer_b)
    assert (await other.data(TIMELINE, id=oid))["order"] is None
    own = gql_as(Role.DEALER, partner=ch.dealer_a)
    assert len((await own.data(TIMELINE, id=oid))["order"]["timeline"]) == 5


async def test_timelines_of_many_orders_take_the_same_statements_as_of_few(app, sessions, gql):
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(30):
            order = await f.create_order(
                s, partner=ch.dealer_a, lines=[(ch.product, 1)], created_at=start + timedelta(i)
            )
            s.add(Shipment(order_id=order.id, carrier="SF", tracking_number=f"T{i}"))
            await s.flush()
            s.add(
                TrackingEvent(
                    order_id=order.id,
                    kind=TrackingKind.LOGISTICS,
                    status="left port",
                    occurred_at=start + timedelta(i, hours=1),
                    recorded_by="test",
                )
            )
    with counting(app) as few:
        small = await gql.data(MANY, n=3)
    with counting(app) as many:
        large = await gql.data(MANY, n=30)
    assert all(
        [t["kind"] for t in o["timeline"]] == ["STATUS_CHANGE", "LOGISTICS"]
        for o in large["orders"]["nodes"]
    )
    assert len(small["orders"]["nodes"]) == 3
    # orders, then the timelines (status changes, tracking events): one statement each
    assert len(few) == len(many) == 3, many


async def test_order_status_changes_reach_subscribers_in_scope_only(
    app: Any, settings: Settings, sessions: Any, gql: Any
) -> None:
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        mine = await f.create_order(s, partner=ch.dealer_a, lines=[(ch.product, 1)])
        theirs = await f.create_order(s, partner=ch.dealer_b, lines=[(ch.product, 1)])
    token = token_for(settings, Role.DEALER, partner=ch.dealer_a)
    async with ws_session(app, token) as client:
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}})
        await gql.data(CHANGE, input={"order": encode_id("Order", theirs.id), "to": "CANCELLED"})
        await gql.data(CHANGE, input={"order": encode_id("Order", mine.id), "to": "APPROVED"})
        heard = await client.receive()
        await client.send({"id": "1", "type": "complete"})
    assert heard["payload"]["data"]["orderStatusChanged"] == {
        "fromStatus": "SUBMITTED",
        "toStatus": "APPROVED",
        "changedBy": "test-admin",
        "order": {"number": mine.number, "status": "APPROVED"},
    }


async def test_a_subscriber_may_follow_one_order(
    app: Any, settings: Settings, sessions: Any, gql: Any
) -> None:
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        first = await f.create_order(s, partner=ch.dealer_a, lines=[(ch.product, 1)])
        second = await f.create_order(
            s, partner=ch.dealer_a, lines=[(ch.product, 1)], status=OrderStatus.APPROVED
        )
    token = token_for(settings, Role.REGION_MANAGER, regions=[ch.north])
    followed = encode_id("Order", second.id)
    async with ws_session(app, token) as client:
        payload = {"query": FOLLOW, "variables": {"order": followed}}
        await client.send({"id": "2", "type": "subscribe", "payload": payload})
        await gql.data(CHANGE, input={"order": encode_id("Order", first.id), "to": "CANCELLED"})
        await gql.data(CHANGE, input={"order": followed, "to": "SHIPPED"})
        heard = await client.receive()
        await client.send({"id": "2", "type": "complete"})
    update = heard["payload"]["data"]["orderStatusChanged"]
    assert (update["fromStatus"], update["toStatus"]) == ("APPROVED", "SHIPPED")
