"""Bad records are quarantined with their reason and a sealed payload while the rest of the
page is stored; after a mapping fix, a retry stores them and resolves their quarantine."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from sqlalchemy import select

from connectors.errors import ConfigError
from jobs.runs import SUCCEEDED
from jobs.sync import retry_quarantined
from store.models import Product, QuarantinedRecord
from store.repositories.quarantine import QuarantineRepository
from tests.jobs.sync_harness import (
    PRODUCT_MAPPING,
    ErpStub,
    SyncEnv,
    connector_config,
    product,
    stream_config,
    sync_env,
)


async def quarantined(env: SyncEnv) -> list[QuarantinedRecord]:
    async with env.sessions() as session:
        return list(
            (await session.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id))).all()
        )


def source() -> ErpStub:
    erp = ErpStub()
    erp.put(
        "products",
        product(1),
        product(2, price="12,50"),  # a decimal comma: does not cast
        product(3),
        product(4, sku=None),  # required field missing
        product(5, name="x" * 300),  # too long for the hub's column
        product(6),
    )
    return erp


async def test_bad_records_are_quarantined_and_the_rest_of_the_page_is_stored(settings):
    erp = source()
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        run = await env.run("products")
        assert run.status == SUCCEEDED
        assert (run.records_read, run.records_inserted, run.records_quarantined) == (6, 3, 3)
        skus = [sku for (sku,) in await env.rows(Product, Product.sku)]
        assert skus == ["SKU-0001", "SKU-0003", "SKU-0006"]

        rows = await quarantined(env)
        reasons = {row.external_id: row.reason for row in rows}
        assert set(reasons) == {"P0002", "P0004", "P0005"}
        assert reasons["P0002"].startswith("list_price: expected a decimal number")
        assert reasons["P0004"] == "sku: is required but missing"
        assert reasons["P0005"] == "name: must be at most 200 characters"
        assert all("12,50" not in reason for reason in reasons.values())
        for row in rows:
            assert (row.connector, row.stream) == ("erp", "products")
            assert b"Product" not in row.payload_ct  # sealed, not plaintext
        async with env.sessions() as session:
            payloads = await QuarantineRepository(session, env.resources.keys).payloads(rows)
        assert payloads[0] == product(2, price="12,50")


async def test_a_retry_after_the_mapping_is_fixed_stores_them_and_resolves_them(settings):
    erp = source()
    async with sync_env(settings, erp) as env:
        config = connector_config([stream_config("products", PRODUCT_MAPPING)])
        await env.apply(config)
        await env.run("products")

        unchanged = await retry_quarantined(env.resources, connector="erp")
        assert (unchanged.retried, unchanged.resolved, unchanged.still_failing) == (3, 0, 3)
        assert all(row.retried_at is not None for row in await quarantined(env))

        fixed = copy.deepcopy(PRODUCT_MAPPING)
        fixed["fields"]["sku"] = {"template": "SKU-{id}"}
        fixed["fields"]["name"] = {"template": "Product {id}"}
        fixed["fields"]["list_price"] = {"source": "price", "cast": "str", "required": True}
        # still wrong (a str cast for an amount): a config error, nothing written
        config["streams"] = [stream_config("products", fixed)]
        await env.apply(config)
        with pytest.raises(ConfigError, match="list_price: needs `cast: decimal`"):
            await retry_quarantined(env.resources, connector="erp", stream="products")
        assert len([r for r in await quarantined(env) if r.resolved_at is None]) == 3

        fixed["fields"]["list_price"] = {
            "template": "{price}",
            "cast": "decimal",
            "required": True,
            "default": "0",
        }
        config["streams"] = [stream_config("products", fixed)]
        await env.apply(config)
        outcome = await retry_quarantined(env.resources, connector="erp", stream="products")
        # P0002's price "12,50" still does not cast; P0004 and P0005 now map
        assert (outcome.retried, outcome.resolved, outcome.still_failing) == (3, 2, 1)
        assert (outcome.inserted, outcome.updated) == (2, 0)
        rows = {row.external_id: row for row in await quarantined(env)}
        assert rows["P0004"].resolved_at is not None and rows["P0005"].resolved_at is not None
        assert rows["P0002"].resolved_at is None
        names = dict(await env.rows(Product, Product.sku, Product.name))
        assert names["SKU-P0004"] == "Product P0004"

        again = await retry_quarantined(env.resources, connector="erp")
        assert (again.retried, again.resolved) == (1, 0)  # resolved rows are not taken again


async def test_a_later_good_copy_of_a_quarantined_record_resolves_it(settings):
    erp = ErpStub()
    erp.put("products", product(1), product(2, price="oops"))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        first = await env.run("products")
        assert first.records_quarantined == 1
        erp.put("products", product(2, minute=50, price="7.25"))  # the ERP fixed it
        second = await env.run("products")
        assert second.records_inserted == 1
        (row,) = await quarantined(env)
        assert row.resolved_at is not None
        prices = dict(await env.rows(Product, Product.sku, Product.list_price))
        assert prices["SKU-0002"] == Decimal("7.25")
