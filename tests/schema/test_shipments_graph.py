"""Shipments and tracking updates entered through the graph: who may record them (brand
admin, ERP admin, a region manager for its regions' orders; not a dealer), what they write,
and bad input refused by field with nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from domain.enums import OrderStatus
from schema.node import encode_id
from security.viewer import Role
from store.models import Shipment, TrackingEvent
from tests import factories as f
from tests.schema.stock_control_data import make_channel

CREATE = """mutation($input: CreateShipmentInput!) { createShipment(input: $input) {
  __typename
  ... on ShipmentPayload { shipment { id carrier trackingNumber status eta shippedAt
      order { number } } }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field }
  ... on DuplicateError { field value }
  ... on ForbiddenError { permission } } }"""

UPDATE = """mutation($input: UpdateShipmentInput!) { updateShipment(input: $input) {
  __typename
  ... on ShipmentPayload { shipment { status eta shippedAt deliveredAt } }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field } } }"""

TRACK = """mutation($input: RecordTrackingEventInput!) { recordTrackingEvent(input: $input) {
  __typename
  ... on TrackingEventPayload { item { kind status note by } }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field }
  ... on ForbiddenError { permission } } }"""

ORDER = """query($id: ID!) { order(id: $id) { shipments { carrier trackingNumber status } } }"""


async def orders(sessions: Any) -> Any:
    ch = await make_channel(sessions)
    async with sessions.begin() as s:
        north = await f.create_order(
            s, partner=ch.dealer_a, lines=[(ch.product, 2)], status=OrderStatus.APPROVED
        )
        south = await f.create_order(
            s, partner=ch.dealer_b, lines=[(ch.product, 1)], status=OrderStatus.APPROVED
        )
    return ch, encode_id("Order", north.id), encode_id("Order", south.id)


async def counts(sessions: Any) -> tuple[int, int]:
    async with sessions() as s:
        shipments = await s.scalar(select(func.count()).select_from(Shipment))
        events = await s.scalar(select(func.count()).select_from(TrackingEvent))
    return int(shipments or 0), int(events or 0)


async def test_a_shipment_is_created_updated_and_listed_on_its_order(sessions, gql):
    _, north, _ = await orders(sessions)
    created = await gql.data(
        CREATE,
        input={
            "order": north,
            "carrier": " SF Express ",
            "trackingNumber": "SF100",
            "eta": "2026-03-01T12:00:00+08:00",
        },
    )
    shipment = created["createShipment"]["shipment"]
    assert (shipment["carrier"], shipment["status"], shipment["shippedAt"]) == (
        "SF Express",
        "PLANNED",
        None,
    )
    assert shipment["eta"] == "2026-03-01T04:00:00+00:00"
    moved = await gql.data(UPDATE, input={"id": shipment["id"], "status": "IN_TRANSIT"})
    assert moved["updateShipment"]["shipment"]["shippedAt"] is not None
    done = await gql.data(UPDATE, input={"id": shipment["id"], "status": "DELIVERED", "eta": None})
    after = done["updateShipment"]["shipment"]
    assert (after["status"], after["eta"]) == ("DELIVERED", None)
    assert after["deliveredAt"] is not None
    listed = await gql.data(ORDER, id=north)
    assert listed["order"]["shipments"] == [
        {"carrier": "SF Express", "trackingNumber": "SF100", "status": "DELIVERED"}
    ]
    assert await counts(sessions) == (1, 3)  # created, in transit, delivered


async def test_who_may_record_shipments_and_tracking_updates(sessions, gql_as):
    ch, north, south = await orders(sessions)
    ship = {"carrier": "DHL", "trackingNumber": "D1"}
    erp = await gql_as(Role.ERP_ADMIN).data(CREATE, input=ship | {"order": south})
    assert erp["createShipment"]["__typename"] == "ShipmentPayload"
    assert erp["createShipment"]["shipment"]["order"] is None  # reads no channel data
    manager = gql_as(Role.REGION_MANAGER, regions=[ch.north])
    mine = await manager.data(
        CREATE, input={"order": north, "carrier": "DHL", "trackingNumber": "D2"}
    )
    assert mine["createShipment"]["shipment"]["order"] is not None
    theirs = await manager.data(TRACK, input={"order": south, "kind": "PRODUCTION", "status": "x"})
    assert theirs["recordTrackingEvent"] == {"__typename": "NotFoundError", "field": "order"}
    dealer = gql_as(Role.DEALER, partner=ch.dealer_a)
    refused = await dealer.data(
        CREATE, input={"order": north, "carrier": "X", "trackingNumber": "Y"}
    )
    assert refused["createShipment"] == {
        "__typename": "ForbiddenError",
        "permission": "TRACKING_WRITE",
    }
    logged = await manager.data(
        TRACK,
        input={
            "order": north,
            "kind": "PRODUCTION",
            "status": "production started",
            "note": "line 3",
        },
    )
    assert logged["recordTrackingEvent"]["item"] == {
        "kind": "PRODUCTION",
        "status": "production started",
        "note": "line 3",
        "by": "test-region_manager",
    }
    assert await counts(sessions) == (2, 3)


async def test_bad_input_is_refused_by_field_and_nothing_changes(sessions, gql):
    _, north, _ = await orders(sessions)
    await gql.data(CREATE, input={"order": north, "carrier": "SF", "trackingNumber": "T1"})
    before = await counts(sessions)
    blank = await gql.data(CREATE, input={"order": north, "carrier": " ", "trackingNumber": "T2"})
    assert blank["createShipment"]["fields"] == [
        {"field": "carrier", "message": "must not be empty"}
    ]
    taken = await gql.data(CREATE, input={"order": north, "carrier": "SF", "trackingNumber": "T1"})
    assert taken["createShipment"] == {
        "__typename": "DuplicateError",
        "field": "trackingNumber",
        "value": "T1",
    }
    unknown = await gql.data(
        CREATE, input={"order": encode_id("Order", 9999), "carrier": "SF", "trackingNumber": "T3"}
    )
    assert unknown["createShipment"] == {"__typename": "NotFoundError", "field": "order"}
    naive = await gql.data(
        CREATE,
        input={
            "order": north,
            "carrier": "SF",
            "trackingNumber": "T4",
            "eta": "2026-03-01T12:00:00",
        },
    )
    assert naive["createShipment"]["fields"][0]["field"] == "eta"
    nothing = await gql.data(UPDATE, input={"id": encode_id("Shipment", 1)})
    assert nothing["updateShipment"]["fields"][0]["field"] == "status"
    shipment_kind = await gql.data(
        TRACK, input={"order": north, "kind": "SHIPMENT", "status": "lost"}
    )
    assert shipment_kind["recordTrackingEvent"]["fields"][0]["field"] == "kind"
    assert await counts(sessions) == before
