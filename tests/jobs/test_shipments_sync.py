"""Shipments from an ERP stream: linked to their order by number, matched to a shipment
entered in the graph by carrier and tracking number, each new status a SHIPMENT tracking
event of the order; a record for an unknown order is quarantined with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.enums import OrderStatus
from store.models import QuarantinedRecord, Shipment, TrackingEvent
from store.models.shipment import ShipmentStatus, TrackingKind
from tests.factories import create_order, create_partner, create_product
from tests.jobs.sync_harness import ErpStub, at, connector_config, stream_config, sync_env

MAPPING = {
    "entity": "shipment",
    "external_id": "id",
    "fields": {
        "order_id": {"source": "so", "ref": "order", "required": True},
        "carrier": "carrier",
        "tracking_number": "awb",
        "status": {"source": "state", "value_map": {"1": "IN_TRANSIT", "2": "DELIVERED"}},
        "eta": {"source": "eta", "cast": "datetime"},
    },
}


async def test_shipments_sync_into_their_orders_and_their_timelines(settings):
    erp = ErpStub()
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("shipments", MAPPING)]))
        async with env.sessions.begin() as session:
            partner = await create_partner(session)
            product = await create_product(session)
            order = await create_order(
                session, partner=partner, lines=[(product, 1)], status=OrderStatus.APPROVED
            )
            session.add(
                Shipment(order_id=order.id, carrier="SF", tracking_number="SF-2", status="PLANNED")
            )
        erp.put(
            "shipments",
            {
                "id": "H1",
                "so": order.number,
                "carrier": "SF",
                "awb": "SF-1",
                "state": "1",
                "eta": "2026-03-01T08:00:00Z",
                "updated_at": at(0),
            },
            {
                "id": "H2",
                "so": order.number,
                "carrier": "SF",
                "awb": "SF-2",
                "state": "1",
                "updated_at": at(1),
            },
            {
                "id": "H3",
                "so": "SO-NONE",
                "carrier": "SF",
                "awb": "SF-3",
                "state": "1",
                "updated_at": at(2),
            },
        )
        run = await env.run("shipments")
        assert (run.records_inserted, run.records_updated, run.records_quarantined) == (1, 1, 1)
        shipments = {s.tracking_number: s for s in await env.rows(Shipment)}
        assert set(shipments) == {"SF-1", "SF-2"}  # SF-2 linked, not duplicated
        assert shipments["SF-1"].order_id == order.id
        assert shipments["SF-1"].eta == datetime(2026, 3, 1, 8, tzinfo=UTC)
        assert shipments["SF-2"].status is ShipmentStatus.IN_TRANSIT
        [reason] = [q.reason for q in await env.rows(QuarantinedRecord)]
        assert reason == "order_id: no order with external id 'SO-NONE' from this connector"
        events = await env.rows(TrackingEvent)
        assert sorted((e.shipment_id, e.status) for e in events) == sorted(
            [(shipments["SF-1"].id, "IN_TRANSIT"), (shipments["SF-2"].id, "IN_TRANSIT")]
        )
        assert {(e.kind, e.order_id, e.recorded_by) for e in events} == {
            (TrackingKind.SHIPMENT, order.id, "sync:erp")
        }

        erp.put(
            "shipments",
            {
                "id": "H1",
                "so": order.number,
                "carrier": "SF",
                "awb": "SF-1",
                "state": "2",
                "updated_at": at(5),
            },
        )
        await env.run("shipments")
        delivered = [
            e.status for e in await env.rows(TrackingEvent) if e.shipment_id == shipments["SF-1"].id
        ]
        assert delivered == ["IN_TRANSIT", "DELIVERED"]
        await env.run("shipments")  # nothing changed: no new event
        assert await env.count(TrackingEvent) == 3
