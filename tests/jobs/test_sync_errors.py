"""Runs that cannot sync get a clear, recorded outcome: a missing connector or stream, a stream
without a mapping, a mapping that does not fit the hub, a stream already running; a cancel is
honoured between pages and keeps what was stored."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from connectors.errors import ConfigError
from jobs.errors import UnknownConnector, UnknownStream
from jobs.runs import CANCELLED, FAILED, RUNNING, SUCCEEDED, request_cancel
from jobs.sync import StreamNotSyncable, run_sync
from store.base import utcnow
from store.models import JobRun, Product
from tests.jobs.sync_harness import (
    PRODUCT_MAPPING,
    ErpStub,
    connector_config,
    product,
    stream_config,
    sync_env,
)


def erp_with_products(count: int = 7) -> ErpStub:
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, count + 1)))
    return erp


async def test_a_missing_connector_fails_the_run_at_once(settings):
    async with sync_env(settings) as env:
        run_id = await env.new_run("products", connector="gone")
        with pytest.raises(UnknownConnector):
            await run_sync(env.resources, run_id)  # a broker message: still not retried
        run = await env.load_run(run_id)
        assert run.status == FAILED and run.error_class == "UnknownConnector"
        assert "connector 'gone' does not exist" in (run.error_message or "")
        assert run.ended_at is not None


async def test_a_missing_stream_and_a_stream_without_mapping_fail_clearly(settings):
    streams = [
        stream_config("products", PRODUCT_MAPPING),
        {"name": "raw", "request": {"path": "raw"}},
    ]
    async with sync_env(settings, erp_with_products()) as env:
        await env.apply(connector_config(streams))
        missing = await env.run("prices")
        assert isinstance(env.last_error, UnknownStream)
        assert missing.status == FAILED and missing.error_class == "UnknownStream"
        assert "has no stream 'prices'" in (missing.error_message or "")

        bare = await env.run("raw")
        assert isinstance(env.last_error, StreamNotSyncable)
        assert bare.status == FAILED
        assert "stream 'raw' of connector 'erp' has no mapping" in (bare.error_message or "")
        assert env.erp.requests == []  # nothing was read


async def test_a_mapping_that_does_not_fit_the_hub_is_a_config_error(settings):
    shipment = {"entity": "shipment", "external_id": "id", "fields": {"number": "id"}}
    wrong = {
        "entity": "product",
        "external_id": "id",
        "fields": {
            "sku": "sku",
            "colour": "colour",
            "list_price": {"source": "price", "cast": "str"},
            "lifecycle": {"source": "state", "ref": "product"},
        },
    }
    streams = [stream_config("shipments", shipment), stream_config("products", wrong)]
    async with sync_env(settings, erp_with_products()) as env:
        await env.apply(connector_config(streams))
        run = await env.run("shipments")
        assert isinstance(env.last_error, ConfigError)
        assert run.status == FAILED and run.error_class == "ConfigError"
        assert "fields.number: shipment has no field 'number'" in (run.error_message or "")

        run = await env.run("products")
        message = run.error_message or ""
        assert "fields.colour: product has no field 'colour'" in message
        assert "fields.list_price: needs `cast: decimal`" in message
        assert "fields.lifecycle: is not a reference; remove `ref`" in message
        assert env.erp.requests == []


async def test_a_cancel_between_pages_stops_the_run_and_keeps_what_it_stored(settings):
    erp = erp_with_products()
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        run_id = await env.new_run("products")

        async def cancel_during_second_read(_request: httpx.Request) -> None:
            if len(erp.requests) == 2:  # page 1 is being stored (or stored); page 2 is read
                async with env.sessions.begin() as session:
                    flagged = await request_cancel(session, run_id)
                assert flagged is not None and flagged.status == RUNNING
                assert flagged.cancel_requested

        erp.before_answer = cancel_during_second_read
        await run_sync(env.resources, run_id)
        run = await env.load_run(run_id)
        assert run.status == CANCELLED and run.ended_at is not None
        # stopped at the first page boundary after the request (the page being stored when
        # it came is kept): never the whole stream
        assert run.pages in (1, 2) and run.records_inserted == 3 * run.pages
        assert await env.count(Product) == 3 * run.pages
        state = await env.state("products")
        assert state is not None
        assert json.loads(state.state_json)["position"] == {"cursor": 3 * run.pages}
        assert [e["status"] for e in env.events.events][-1] == CANCELLED


async def test_a_queued_run_cancelled_before_it_starts_never_reads(settings):
    async with sync_env(settings, erp_with_products()) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        run_id = await env.new_run("products")
        async with env.sessions.begin() as session:
            cancelled = await request_cancel(session, run_id)
        assert cancelled is not None and cancelled.status == CANCELLED
        await run_sync(env.resources, run_id)  # the message arrives anyway: nothing to do
        run = await env.load_run(run_id)
        assert run.status == CANCELLED and run.attempts == 0
        assert env.erp.requests == [] and await env.count(Product) == 0


async def test_a_second_run_of_a_running_stream_is_refused_unless_the_first_is_dead(settings):
    async with sync_env(settings, erp_with_products()) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        first = await env.new_run("products")
        async with env.sessions.begin() as session:
            await session.execute(
                update(JobRun)
                .where(JobRun.id == first)
                .values(status=RUNNING, heartbeat_at=utcnow())
            )
        second = await env.run("products")
        assert second.status == FAILED and second.error_class == "StreamBusy"
        assert f"run {first} of erp/products is still running" in (second.error_message or "")
        assert await env.count(Product) == 0

        async with env.sessions.begin() as session:
            await session.execute(
                update(JobRun)
                .where(JobRun.id == first)
                .values(heartbeat_at=utcnow() - timedelta(hours=1))
            )
        third = await env.run("products")  # the first one's worker is long dead
        assert third.status == SUCCEEDED and third.records_inserted == 7


async def test_a_cursor_the_source_rejects_fails_the_run_and_keeps_the_saved_cursor(settings):
    erp = erp_with_products(3)
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        first = await env.run("products")
        assert first.status == SUCCEEDED and first.records_inserted == 3
        saved = await env.state("products")
        assert saved is not None

        def refuse_cursor(request: httpx.Request) -> httpx.Response | None:
            if "updated_since" in request.url.params:
                return httpx.Response(400, json={"error": "updated_since out of range"})
            return None

        erp.before_answer = refuse_cursor
        refused = await env.run("products")
        assert refused.status == FAILED and refused.error_class == "PermanentError"
        assert "400" in (refused.error_message or "")
        assert refused.records_read == 0
        after = await env.state("products")
        assert after is not None and after.state_json == saved.state_json  # nothing advanced
        assert await env.count(Product) == 3
