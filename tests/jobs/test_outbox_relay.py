"""The relay delivers approved orders to stub ERPs on 127.0.0.1: the reference lands on the
entry and as an ExternalRef; transient failures back off and retry; permanent ones and
exhausted attempts go DEAD with a secret-free error; one entry is never sent twice at once;
the sweep delivers what is due, connector by connector."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from connectors.errors import RetriableError
from jobs.outbox import RelayPolicy, relay, relay_due, requeue_dead
from jobs.outbox_entries import SWEEP_GRACE_SECONDS
from jobs.runtime import Resources, close_resources, open_resources
from settings import Settings
from store.base import utcnow
from store.repositories.connectors import ConnectorRepository
from tests.jobs.outbox_erp import ErpRecords, rest_config, rest_erp, soap_config, soap_erp
from tests.jobs.outbox_support import (
    approve,
    entry,
    external_refs,
    outbox,
    store_connectors,
    submitted_orders,
)

POLICY = RelayPolicy(max_attempts=4, base_delay=10.0, max_delay=60.0, lease=120.0)
TOKEN = "erp-bearer-token-0123456789"


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    opened = await open_resources(settings)
    yield opened
    await close_resources(opened)


async def approved_entries(resources: Resources, count: int = 1) -> list[int]:
    orders, _ = await submitted_orders(resources.sessions, count)
    for order in orders:
        await approve(resources.sessions, order)
    return [e.id for e in await outbox(resources.sessions)]


async def test_relay_delivers_and_stores_the_reference_on_the_entry_and_the_order(resources):
    erp = ErpRecords()
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url))
        [entry_id] = await approved_entries(resources)
        await relay(resources, entry_id, policy=POLICY)
        await relay(resources, entry_id, policy=POLICY)  # a duplicate message: nothing sent

    sent = await entry(resources.sessions, entry_id)
    assert (sent.status, sent.reference, sent.attempts) == ("SENT", "SO00001", 1)
    assert sent.sent_at is not None and sent.last_error is None
    [order] = erp.orders
    assert order["key"] == sent.idempotency_key == order["external_no"]
    assert [line["quantity"] for line in order["lines"]] == [1, 2]
    assert erp.creates == 1 and erp.lookups == 0
    [ref] = await external_refs(resources.sessions)
    assert (ref.connector, ref.entity, ref.entity_id, ref.external_id) == (
        "erp",
        "order",
        sent.entity_id,
        "SO00001",
    )


async def test_relay_writes_order_lines_through_a_soap_operation(resources):
    erp = ErpRecords()
    with soap_erp(erp) as url:
        await store_connectors(resources.crypto, soap_config("erp-soap", url))
        [entry_id] = await approved_entries(resources)
        await relay(resources, entry_id, policy=POLICY)

    sent = await entry(resources.sessions, entry_id)
    assert (sent.status, sent.reference) == ("SENT", "SO00001")
    [order] = erp.orders
    assert order["key"] == sent.idempotency_key
    skus = [line["sku"] for line in json.loads(sent.payload_json)["lines"]]
    assert order["lines"] == [
        {"No": skus[0], "Quantity": 1, "Unit_Price": Decimal("9.90")},
        {"No": skus[1], "Quantity": 2, "Unit_Price": Decimal("9.90")},
    ]
    assert erp.lookups == 0  # a first attempt never looks up
    assert [r.external_id for r in await external_refs(resources.sessions)] == ["SO00001"]


async def test_a_transient_failure_backs_off_then_the_retry_delivers(resources):
    erp = ErpRecords(failures=[503, 503])
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url))
        [entry_id] = await approved_entries(resources)
        delays = []
        for attempt in (1, 2):
            before = utcnow()
            with pytest.raises(RetriableError, match="HTTP 503"):
                await relay(resources, entry_id, policy=POLICY)
            failed = await entry(resources.sessions, entry_id)
            assert (failed.status, failed.attempts) == ("FAILED", attempt)
            assert failed.last_error_class == "RetriableError"
            assert "HTTP 503" in (failed.last_error or "")
            delays.append((failed.next_attempt_at - before).total_seconds())
        await relay(resources, entry_id, policy=POLICY)

    assert 5 <= delays[0] <= 10.5 and 10 <= delays[1] <= 20.5  # doubling, half jittered
    sent = await entry(resources.sessions, entry_id)
    assert (sent.status, sent.attempts, sent.reference) == ("SENT", 3, "SO00001")
    assert len(erp.orders) == 1


async def test_a_permanent_failure_goes_dead_at_once_without_the_secret(resources):
    erp = ErpRecords(failures=[422])
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url, token=TOKEN))
        [entry_id] = await approved_entries(resources)
        await relay(resources, entry_id, policy=POLICY)  # returns: nothing to retry
        await relay(resources, entry_id, policy=POLICY)  # a DEAD entry is left alone

    dead = await entry(resources.sessions, entry_id)
    assert (dead.status, dead.attempts, dead.last_error_class) == ("DEAD", 1, "PermanentError")
    assert "HTTP 422" in (dead.last_error or "") and "***" in (dead.last_error or "")
    assert TOKEN not in (dead.last_error or "") and TOKEN not in dead.payload_json
    assert erp.orders == [] and await external_refs(resources.sessions) == []


async def test_attempts_run_out_into_dead(resources):
    erp = ErpRecords(failures=[503, 503])
    policy = RelayPolicy(max_attempts=2, base_delay=1.0, max_delay=1.0, lease=60.0)
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url))
        [entry_id] = await approved_entries(resources)
        with pytest.raises(RetriableError):
            await relay(resources, entry_id, policy=policy)
        await relay(resources, entry_id, policy=policy)  # the last attempt fails: DEAD
    dead = await entry(resources.sessions, entry_id)
    assert (dead.status, dead.attempts, dead.last_error_class) == ("DEAD", 2, "RetriableError")


async def test_an_entry_for_a_deleted_connector_goes_dead_saying_so(resources):
    await store_connectors(resources.crypto, rest_config("erp", "http://127.0.0.1:9"))
    [entry_id] = await approved_entries(resources)
    async with resources.sessions.begin() as session:
        assert await ConnectorRepository(session, resources.crypto).delete("erp")
    await relay(resources, entry_id, policy=POLICY)
    dead = await entry(resources.sessions, entry_id)
    assert (dead.status, dead.last_error_class) == ("DEAD", "UnknownConnector")
    assert "connector 'erp' does not exist" in (dead.last_error or "")


async def test_two_relays_of_one_entry_never_send_it_at_the_same_time(resources):
    erp = ErpRecords(hold=True)
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url))
        [entry_id] = await approved_entries(resources)
        first = asyncio.create_task(relay(resources, entry_id, policy=POLICY))
        assert await asyncio.to_thread(erp.accepted.wait, 10)  # the ERP holds its answer
        held = await entry(resources.sessions, entry_id)
        assert (held.status, held.attempts) == ("SENDING", 1)
        await relay(resources, entry_id, policy=POLICY)  # the duplicate message: skipped
        assert await relay_due(resources, policy=POLICY, now=lambda: utcnow() + SOON) == 0
        erp.release.set()
        await first
    assert erp.creates == 1
    assert (await entry(resources.sessions, entry_id)).status == "SENT"


SOON = timedelta(seconds=SWEEP_GRACE_SECONDS + 1)


async def test_the_sweep_delivers_due_entries_and_a_failing_erp_holds_up_no_other(resources):
    down, up = ErpRecords(failures=[503] * 5), ErpRecords()
    with rest_erp(down) as down_url, rest_erp(up) as up_url:
        await store_connectors(
            resources.crypto, rest_config("erp-down", down_url), rest_config("erp-up", up_url)
        )
        await approved_entries(resources, 2)
        assert await relay_due(resources, policy=POLICY) == 0  # a new entry has its grace
        sent = await relay_due(resources, policy=POLICY, now=lambda: utcnow() + SOON)

    assert sent == 2 and len(up.orders) == 2
    by_connector: dict[str, list[tuple[str, int]]] = {}
    for e in await outbox(resources.sessions):
        by_connector.setdefault(e.connector, []).append((e.status, e.attempts))
    assert by_connector["erp-up"] == [("SENT", 1), ("SENT", 1)]
    # the failing ERP got one attempt; its second entry waits for the next sweep
    assert by_connector["erp-down"] == [("FAILED", 1), ("PENDING", 0)]


async def test_a_requeued_dead_entry_is_looked_up_before_it_is_sent_again(resources):
    erp = ErpRecords(idempotent=False, failures=[422])
    with rest_erp(erp) as url:
        await store_connectors(resources.crypto, rest_config("erp", url, lookup=True))
        [entry_id] = await approved_entries(resources)
        await relay(resources, entry_id, policy=POLICY)
        assert (await entry(resources.sessions, entry_id)).status == "DEAD"
        assert erp.lookups == 0  # a first attempt never looks up

        # the cause is fixed; the operator requeues the entry
        assert await requeue_dead(resources.sessions, [entry_id]) == [entry_id]
        requeued = await entry(resources.sessions, entry_id)
        assert (requeued.status, requeued.attempts) == ("PENDING", 0)
        await relay(resources, entry_id, policy=POLICY)
        await relay(resources, entry_id, policy=POLICY)

    sent = await entry(resources.sessions, entry_id)
    assert (sent.status, sent.reference, sent.attempts) == ("SENT", "SO00001", 1)
    # it had been attempted: looked up first (not found), then created exactly once
    assert erp.lookups == 1 and erp.creates == 1 and len(erp.orders) == 1
