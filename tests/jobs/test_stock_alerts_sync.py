"""Low-stock alerts from a stock_level stream: a synced level under its minimum raises an
alert, a later record that refills it resolves it, each published (after the page commits)
as a ``stock.alert`` event; a rejected record of the page changes no alert."""

from __future__ import annotations

from typing import Any

from jobs.channel_events import STOCK_ALERT
from store.models import ReorderRule, StockAlert
from tests.factories import create_location, create_partner, create_product
from tests.jobs.sync_harness import ErpStub, at, connector_config, stream_config, sync_env

MAPPING = {
    "entity": "stock_level",
    "external_id": "id",
    "fields": {
        "location_id": {"source": "site", "ref": "location", "required": True},
        "product_id": {"source": "sku", "ref": "product", "required": True},
        "on_hand": {"source": "qty", "cast": "int"},
        "min_quantity": {"source": "min", "cast": "int"},
    },
}


def alert_events(events: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(e["state"], e["onHand"], e["alertId"]) for e in events if e.get("type") == STOCK_ALERT]


async def test_a_synced_level_raises_and_then_resolves_its_alert(settings):
    erp = ErpStub()
    erp.put(
        "stock",
        {"id": "S1", "site": "SITE-1", "sku": "SKU-A", "qty": 3, "updated_at": at(0)},
        {"id": "S2", "site": "SITE-1", "sku": "SKU-B", "qty": 2, "min": 5, "updated_at": at(1)},
        {"id": "S3", "site": "SITE-9", "sku": "SKU-A", "qty": 0, "updated_at": at(2)},
    )
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("stock", MAPPING)]))
        async with env.sessions.begin() as session:
            dealer = await create_partner(session)
            site = await create_location(session, partner=dealer, code="SITE-1")
            product_a = await create_product(session, sku="SKU-A")
            product_b = await create_product(session, sku="SKU-B")
            session.add(
                ReorderRule(location_id=site.id, product_id=product_a.id, minimum=10, maximum=40)
            )
        run = await env.run("stock")
        assert (run.records_inserted, run.records_quarantined) == (2, 1)  # SITE-9 is unknown
        alerts = await env.rows(StockAlert)
        opened = {(a.product_id, a.minimum, a.on_hand) for a in alerts if a.resolved_at is None}
        assert opened == {(product_a.id, 10, 3), (product_b.id, 5, 2)}
        raised = alert_events(env.events.events)
        assert sorted((state, on_hand) for state, on_hand, _ in raised) == [
            ("RAISED", 2),
            ("RAISED", 3),
        ]
        assert {alert_id for *_, alert_id in raised} == {a.id for a in alerts}
        assert all("id" not in e for e in env.events.events if e.get("type") == STOCK_ALERT)

        env.events.events.clear()
        erp.put(
            "stock", {"id": "S1", "site": "SITE-1", "sku": "SKU-A", "qty": 10, "updated_at": at(5)}
        )
        await env.run("stock")
        by_product = {a.product_id: a for a in await env.rows(StockAlert)}
        assert by_product[product_a.id].resolved_at is not None
        assert by_product[product_a.id].resolved_on_hand == 10
        assert by_product[product_b.id].resolved_at is None
        assert alert_events(env.events.events) == [("RESOLVED", 10, by_product[product_a.id].id)]
