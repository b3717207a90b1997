"""A sync cut short after any page resumes from the last committed page: the store ends up
equal to the source, nothing lost, nothing twice, the cursor at the end — whether the read of
the next page fails or the commit of the next page does, and whether the same run is retried
or a new run picks the stream up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from jobs.runs import QUEUED, SUCCEEDED
from jobs.sync import run_sync
from jobs.sync.reading import ReadAhead
from store.models import ExternalRef, Product
from tests.jobs.sync_harness import (
    PRODUCT_MAPPING,
    CommitFails,
    ErpStub,
    SyncEnv,
    connector_config,
    fail_request,
    product,
    stream_config,
    sync_env,
)

N = 14
PAGES = 5  # pages of 3


async def assert_store_equals_source(env: SyncEnv, erp: ErpStub) -> None:
    source = {r["id"]: r for r in erp.rows("products")}
    rows = await env.rows(Product, Product.sku, Product.name, Product.list_price)
    assert sorted(rows) == sorted(
        (r["sku"], r["name"], Decimal(r["price"])) for r in source.values()
    )
    refs = await env.rows(ExternalRef, ExternalRef.external_id, ExternalRef.entity_id)
    assert sorted(external_id for external_id, _ in refs) == sorted(source)  # once each
    assert len({row_id for _, row_id in refs}) == len(source)
    state = await env.state("products")
    assert state is not None
    last = max(r["updated_at"] for r in source.values())
    assert json.loads(state.state_json) == {"cursor": last}


@pytest.mark.parametrize("k", range(PAGES))
@pytest.mark.parametrize("how", ["read", "commit"])
async def test_a_run_cut_after_page_k_is_retried_to_exactly_the_source(settings, k, how):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        run_id = await env.new_run("products")
        if how == "read":
            fail_request(erp, k + 1)
            with pytest.raises(Exception, match="503"):
                await run_sync(env.resources, run_id)
        else:
            with CommitFails(env, k + 1), pytest.raises(ConnectionError, match="injected"):
                await run_sync(env.resources, run_id)
        cut = await env.load_run(run_id)
        assert cut.status == QUEUED  # waiting for its retry, the error noted
        assert cut.error_class is not None
        assert (cut.pages, cut.records_inserted) == (k, 3 * k)  # what committed, no more
        assert await env.count(Product) == 3 * k

        erp.before_answer = None
        await run_sync(env.resources, run_id)  # the broker's retry of the same message
        done = await env.load_run(run_id)
        assert done.status == SUCCEEDED and done.attempts == 2
        assert done.error_class is None
        assert (done.records_read, done.records_inserted, done.pages) == (N, N, PAGES)
        await assert_store_equals_source(env, erp)


@pytest.mark.parametrize("k", [0, 2, 4])
async def test_a_new_run_picks_up_where_a_failed_run_stopped(settings, k):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        fail_request(erp, k + 1)
        failed = await env.run("products")
        assert failed.status == "FAILED" and failed.records_inserted == 3 * k
        assert failed.error_class == "RetriableError"
        assert "erp-secret-token-123" not in (failed.error_message or "")
        erp.before_answer = None
        again = await env.run("products")
        assert again.status == SUCCEEDED
        assert again.records_inserted == N - 3 * k
        assert again.records_read == N - 3 * k
        await assert_store_equals_source(env, erp)


async def test_read_ahead_keeps_order_passes_errors_late_and_closes_its_source():
    closed: list[bool] = []

    async def pages() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
            raise ConnectionError("page 3 failed")
        finally:
            closed.append(True)

    reader = ReadAhead(pages())
    assert [await reader.__anext__(), await reader.__anext__()] == [1, 2]
    with pytest.raises(ConnectionError, match="page 3"):
        await reader.__anext__()
    await reader.aclose()
    assert closed == [True]

    async def endless() -> AsyncIterator[int]:
        n = 0
        try:
            while True:
                n += 1
                yield n
        finally:
            closed.append(False)

    reader = ReadAhead(endless())
    assert await reader.__anext__() == 1
    await reader.aclose()  # stops the producer and closes the source
    assert closed == [True, False]
