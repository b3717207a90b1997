"""Incremental sync of a REST stream: first run inserts, a rerun reads from the cursor and
finds nothing new, a changed record is updated, counts and events tell what happened."""

from __future__ import annotations

import json
from decimal import Decimal

from jobs.runs import SUCCEEDED
from store.models import Product
from tests.jobs.sync_harness import (
    PRODUCT_MAPPING,
    ErpStub,
    connector_config,
    product,
    stream_config,
    sync_env,
)

N = 10


async def test_first_run_inserts_then_a_rerun_reads_from_the_cursor(settings):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))

        first = await env.run("products")
        assert env.last_error is None
        assert first.status == SUCCEEDED
        assert (first.records_read, first.records_inserted, first.records_updated) == (N, N, 0)
        assert first.pages == 4  # pages of 3, the last one short
        assert first.attempts == 1 and first.started_at and first.ended_at
        rows = await env.rows(Product, Product.sku, Product.name, Product.list_price)
        assert rows == [
            (f"SKU-{n:04d}", f"Product {n}", Decimal(f"{n}.50")) for n in range(1, N + 1)
        ]
        refs = await env.refs("product")
        assert sorted(refs) == [f"P{n:04d}" for n in range(1, N + 1)]
        assert all(ref.stream == "products" and ref.content_hash for ref in refs.values())

        state = await env.state("products")
        assert state is not None and state.last_run_id == first.id
        assert json.loads(state.state_json) == {"cursor": product(N)["updated_at"]}

        erp.requests.clear()
        second = await env.run("products")
        assert second.status == SUCCEEDED
        assert erp.requests[0].url.params["updated_since"] == product(N)["updated_at"]
        # only the record at the cursor comes back (the cursor is inclusive): unchanged
        assert (second.records_read, second.records_inserted, second.records_updated) == (1, 0, 0)
        assert second.records_unchanged == 1
        assert await env.count(Product) == N


async def test_a_changed_record_is_updated_and_an_unchanged_one_is_not_written(settings):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        await env.run("products")
        before = {r.external_id: r.updated_at for r in (await env.refs("product")).values()}

        erp.put("products", product(4, minute=100, price="99.95", name="Product four"))
        erp.put("products", product(5, minute=101))  # touched, same content
        erp.put("products", product(11, minute=102))  # new
        run = await env.run("products")
        assert run.status == SUCCEEDED
        assert run.records_read == 4  # the cursor record (10) and the three above
        assert (run.records_inserted, run.records_updated, run.records_unchanged) == (1, 1, 2)
        names = dict(await env.rows(Product, Product.sku, Product.name))
        assert names["SKU-0004"] == "Product four"
        prices = dict(await env.rows(Product, Product.sku, Product.list_price))
        assert prices["SKU-0004"] == Decimal("99.95")
        assert await env.count(Product) == N + 1
        after = await env.refs("product")
        assert after["P0005"].updated_at == before["P0005"]  # unchanged: nothing written
        assert after["P0004"].updated_at > before["P0004"]


async def test_each_committed_page_publishes_the_run(settings):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, 8)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        seen = []
        run = await env.run("products", progress=lambda r: seen.append((r.status, r.records_read)))
        statuses = [e["status"] for e in env.events.events if e["id"] == run.id]
        assert statuses == ["RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"]
        assert [e["recordsRead"] for e in env.events.events] == [0, 3, 6, 7, 7]
        assert seen == [(e["status"], e["recordsRead"]) for e in env.events.events]
        last = env.events.events[-1]
        assert last["recordsInserted"] == 7 and last["endedAt"] and last["errorClass"] is None
        json.dumps(last)  # JSON-able as published
