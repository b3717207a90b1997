"""Full refresh: reads everything from an empty state, marks what the remote no longer has
as deleted remotely (counted, never deleted from the hub), and is finished by the next run
when a crash cuts it short — without marking anything it already saw."""

from __future__ import annotations

import json

import pytest

from jobs.runs import SUCCEEDED
from jobs.sync import FULL_REFRESH, run_sync
from store.models import Product
from tests.jobs.sync_harness import (
    PRODUCT_MAPPING,
    CommitFails,
    ErpStub,
    connector_config,
    fail_request,
    product,
    stream_config,
    sync_env,
)

N = 8


async def test_a_vanished_record_is_marked_deleted_remotely_and_kept(settings):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        await env.run("products")
        erp.remove("products", "P0003")
        erp.remove("products", "P0007")
        erp.requests.clear()

        run = await env.run("products", mode=FULL_REFRESH)
        assert run.status == SUCCEEDED and run.mode == FULL_REFRESH
        assert "updated_since" not in erp.requests[0].url.params  # from an empty state
        assert (run.records_read, run.records_unchanged, run.records_deleted) == (6, 6, 2)
        refs = await env.refs("product")
        gone = sorted(e for e, ref in refs.items() if ref.deleted_remotely_at is not None)
        assert gone == ["P0003", "P0007"]
        assert all(ref.seen_run_id == run.id for e, ref in refs.items() if e not in gone)
        assert await env.count(Product) == N  # marked, not deleted
        state = await env.state("products")
        assert state is not None and state.full_refresh_run_id is None
        assert json.loads(state.state_json) == {"cursor": product(N)["updated_at"]}

        again = await env.run("products", mode=FULL_REFRESH)
        assert again.records_deleted == 0  # already marked: not counted twice

        erp.put("products", product(3))  # back at the remote
        back = await env.run("products", mode=FULL_REFRESH)
        assert back.records_deleted == 0
        assert (await env.refs("product"))["P0003"].deleted_remotely_at is None


async def test_a_record_that_fails_mapping_in_a_full_refresh_is_not_taken_for_deleted(settings):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, 4)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        await env.run("products")
        erp.put("products", product(2, price="not a price"))
        run = await env.run("products", mode=FULL_REFRESH)
        assert (run.records_quarantined, run.records_deleted) == (1, 0)
        assert (await env.refs("product"))["P0002"].deleted_remotely_at is None


@pytest.mark.parametrize("how", ["read", "commit"])
@pytest.mark.parametrize("k", [0, 1, 2])
async def test_a_full_refresh_cut_short_is_finished_by_the_next_run(settings, how, k):
    erp = ErpStub()
    erp.put("products", *(product(n) for n in range(1, N + 1)))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        await env.run("products")
        erp.remove("products", "P0008")  # the last record: seen only on the last page
        run_id = await env.new_run("products", mode=FULL_REFRESH)
        if how == "read":
            fail_request(erp, k + 1)
            with pytest.raises(Exception, match="503"):
                await run_sync(env.resources, run_id, will_retry=False)
        else:
            with CommitFails(env, k + 1), pytest.raises(ConnectionError):
                await run_sync(env.resources, run_id, will_retry=False)
        erp.before_answer = None
        cut = await env.load_run(run_id)
        assert cut.status == "FAILED" and cut.records_deleted == 0
        state = await env.state("products")
        assert state is not None and state.full_refresh_run_id == run_id

        finisher = await env.run("products")  # any later run of the stream finishes it
        assert finisher.status == SUCCEEDED
        assert finisher.records_deleted == 1
        assert cut.records_read + finisher.records_read == N - 1
        refs = await env.refs("product")
        assert [e for e, ref in refs.items() if ref.deleted_remotely_at] == ["P0008"]
        assert {ref.seen_run_id for e, ref in refs.items() if e != "P0008"} == {run_id}
        state = await env.state("products")
        assert state is not None and state.full_refresh_run_id is None
