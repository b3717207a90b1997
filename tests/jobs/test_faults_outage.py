"""ERP outage: one ERP answers 503 for a while, then recovers; its run is retried with backoff
and completes, while another connector's runs complete meanwhile (Redis and RabbitMQ)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from connectors.config import config_from_data
from jobs.connector_configs import apply_configs
from jobs.runs import QUEUED, RUNNING, SUCCEEDED
from jobs.runtime import close_resources, open_resources
from settings import Settings
from store.models import Product
from tests.jobs.fault_erp import FaultErp, products_connector, serving_erp
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

OUTAGE_SECONDS = 3.0


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_a_run_outlives_an_erp_outage_while_other_connectors_go_on(
    broker: str,
    settings: Settings,
    sessions: Any,
    broker_namespace: str,
    request: pytest.FixtureRequest,
) -> None:
    url = str(request.getfixturevalue("redis_url" if broker == "redis" else "amqp_url"))
    settings = job_settings(
        settings,
        broker_url=url,
        broker_namespace=broker_namespace,
        job_max_retries=20,
        job_min_backoff_ms=100,
        job_max_backoff_ms=800,
    )
    down, up = FaultErp(600), FaultErp(600, first=5001)
    resources = await open_resources(settings)
    try:
        with serving_erp(down) as down_url, serving_erp(up) as up_url:
            configs = [
                products_connector(down_url, name="erp-down", page_size=100),
                products_connector(up_url, name="erp-up", page_size=100),
            ]
            await apply_configs(
                resources.crypto, [config_from_data(c, source="test") for c in configs]
            )
            async with running_worker(settings, threads=2):
                down.outage(OUTAGE_SECONDS)
                recovers_at = time.monotonic() + OUTAGE_SECONDS
                failing = await queue_run(sessions, "sync", connector="erp-down", stream="products")
                first = await queue_run(sessions, "sync", connector="erp-up", stream="products")
                await wait_for_runs(sessions, [first], within=OUTAGE_SECONDS * 3)
                second = await queue_run(sessions, "sync", connector="erp-up", stream="products")
                meanwhile = await wait_for_runs(sessions, [first, second], within=OUTAGE_SECONDS)
                during = (await wait_for_runs(sessions, [failing], statuses=_ANY))[failing]
                assert time.monotonic() < recovers_at, "the other connector waited for the outage"
                final = await wait_for_runs(sessions, [failing], within=60)
    finally:
        await close_resources(resources)

    assert {run.status for run in meanwhile.values()} == {SUCCEEDED}
    assert meanwhile[first].records_inserted == 600
    assert during.status in (QUEUED, RUNNING) and during.error_class == "RetriableError"
    assert "503" in str(during.error_message)
    run = final[failing]
    assert (run.status, run.error_class, run.records_inserted) == (SUCCEEDED, None, 600)
    assert run.attempts > 1 and down.refused >= run.attempts - 1
    async with sessions() as session:
        skus = set(await session.scalars(select(Product.sku)))
    assert skus == {sku for sku, _, _ in down.expected() + up.expected()}


_ANY = frozenset({QUEUED, RUNNING, SUCCEEDED})
