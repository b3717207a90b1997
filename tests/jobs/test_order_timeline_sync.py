"""Order status changes from an ERP stream reach ``orderStatusChanged``: each step the sink
records is published (after the page commits) as an ``order.status`` event, exactly once."""

from __future__ import annotations

from domain.enums import OrderStatus
from jobs.channel_events import ORDER_STATUS
from tests.factories import create_order, create_partner, create_product
from tests.jobs.sync_harness import ErpStub, at, connector_config, stream_config, sync_env

STATUSES = {
    "entity": "order_status",
    "external_id": "doc",
    "fields": {
        "status": {"source": "state", "required": True},
        "note": "comment",
    },
}


async def test_a_status_stream_publishes_each_step_once(settings):
    erp = ErpStub()
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("statuses", STATUSES)]))
        async with env.sessions.begin() as session:
            partner = await create_partner(session)
            product = await create_product(session)
            order = await create_order(
                session, partner=partner, lines=[(product, 1)], status=OrderStatus.APPROVED
            )
        erp.put(
            "statuses",
            {"id": "1", "doc": order.number, "state": "DELIVERED", "updated_at": at(0)},
        )
        run = await env.run("statuses")
        assert run.records_updated == 1
        published = [e for e in env.events.events if e.get("type") == ORDER_STATUS]
        steps = [(e["orderId"], e["fromStatus"], e["toStatus"], e["changedBy"]) for e in published]
        assert steps == [
            (order.id, "APPROVED", "SHIPPED", "sync:erp"),
            (order.id, "SHIPPED", "DELIVERED", "sync:erp"),
        ]
        assert all("id" not in e for e in published)
