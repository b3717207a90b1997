"""An approval reaches the ERP through the real job machinery: the mutation enqueues the
entry after its commit, a dramatiq worker on each broker runs ``relay_outbox``, and a
transient ERP failure is retried by the broker until the entry is SENT."""

from __future__ import annotations

import time

import anyio

from settings import Settings
from store.models import OutboxEntry
from tests.jobs.outbox_erp import ErpRecords, rest_config, rest_erp
from tests.jobs.outbox_support import (
    Sessions,
    approve,
    external_refs,
    outbox,
    store_connectors,
    submitted_orders,
)
from tests.jobs.worker_harness import running_worker


async def wait_sent(sessions: Sessions, count: int, within: float = 30.0) -> list[OutboxEntry]:
    deadline = time.monotonic() + within
    while True:
        entries = await outbox(sessions)
        if len(entries) == count and all(e.status == "SENT" for e in entries):
            return entries
        if time.monotonic() > deadline:
            shown = [(e.id, e.status, e.attempts, e.last_error) for e in entries]
            raise AssertionError(f"entries not SENT after {within} s: {shown}")
        await anyio.sleep(0.05)


async def test_approved_orders_are_delivered_by_the_worker_and_a_503_is_retried(
    broker_settings: Settings, app
):
    sessions, crypto = app.state.hub.sessions, app.state.hub.fields
    erp = ErpRecords(failures=[503])
    with rest_erp(erp) as url:
        await store_connectors(crypto, rest_config("erp", url))
        orders, _ = await submitted_orders(sessions, 3)
        async with running_worker(broker_settings):
            for order in orders:
                await approve(sessions, order)  # enqueues after its commit
            entries = await wait_sent(sessions, 3)

    assert sorted(e.attempts for e in entries) == [1, 1, 2]  # the 503 was retried once
    assert len(erp.orders) == 3
    assert {e.reference for e in entries} == {o["No"] for o in erp.orders}
    assert len(await external_refs(sessions)) == 3
