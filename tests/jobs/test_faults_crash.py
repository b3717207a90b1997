"""Crash test: a real ``channelhub worker`` process syncing 20,000 records from a local ERP
stub is SIGKILLed at random moments of the sync (at least 5 times) and restarted; at the end
the store equals the source exactly — 0 lost, 0 duplicates — and the cursor is at the end.
On Redis (a dead worker's messages come back after its heartbeat times out) and RabbitMQ
(they come back when its connection drops), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select

from connectors.config import config_from_data
from jobs.broker import build_broker, close_broker
from jobs.connector_configs import apply_configs
from jobs.dispatch import enqueue_run
from jobs.runs import FINAL, SUCCEEDED, create_run, get_run
from jobs.runtime import Resources, close_resources, open_resources
from settings import Settings
from store.models import ExternalRef, JobRun, Product, SyncState
from tests.jobs.fault_erp import FaultErp, products_connector, serving_erp

RECORDS = 20_000
KILLS = 5
CHANNELHUB = Path(sys.executable).with_name("channelhub")


class WorkerProcess:
    """``channelhub worker`` in its own process, started again after each kill."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")} | {
            "CHANNELHUB_DATA_DIR": str(settings.data_dir),
            "CHANNELHUB_DATABASE_URL": settings.database_url,
            "CHANNELHUB_BROKER_URL": settings.broker_url,
            "CHANNELHUB_BROKER_NAMESPACE": settings.broker_namespace,
            "CHANNELHUB_REDIS_HEARTBEAT_TIMEOUT_MS": "1500",
            "CHANNELHUB_REDIS_MAINTENANCE_CHANCE": "1000000",
            "CHANNELHUB_JOB_MIN_BACKOFF_MS": "100",
            "CHANNELHUB_WORKER_SHUTDOWN_SECONDS": "10",
        }
        self.logs = logs
        self.started = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                [str(CHANNELHUB), "worker", "--threads", "2"],
                env=self.env,
                cwd=self.logs,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM and wait: the exit code of a clean shutdown."""
        if self.process is None or self.process.poll() is not None:
            return 0 if self.process is None else int(self.process.returncode)
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def tail(self) -> str:
        text = (self.logs / f"worker-{self.started}.log").read_text(errors="replace")
        return text[-1500:]


async def _run(resources: Resources, run_id: int) -> JobRun:
    async with resources.sessions() as session:
        run = await get_run(session, run_id)
    assert run is not None
    return run


async def _progress_after(
    resources: Resources, run_id: int, read: int, attempts: int, within: float
) -> JobRun:
    """The run once a new attempt (after ``attempts``) has read more than ``read`` records, or
    ended. Waiting for the new attempt matters: a COMMIT the killed worker sent just before
    its death may still land after ``read`` was sampled, and must not pass for progress."""
    with anyio.fail_after(within):
        while True:
            run = await _run(resources, run_id)
            if run.status in FINAL or (run.records_read > read and run.attempts > attempts):
                return run
            await anyio.sleep(0.02)


async def _final(resources: Resources, run_id: int, within: float) -> JobRun:
    with anyio.fail_after(within):
        while True:
            run = await _run(resources, run_id)
            if run.status in FINAL:
                return run
            await anyio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_a_worker_killed_at_random_moments_loses_and_doubles_nothing(
    broker: str,
    settings: Settings,
    broker_namespace: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    url = str(request.getfixturevalue("redis_url" if broker == "redis" else "amqp_url"))
    settings = settings.model_copy(update={"broker_url": url, "broker_namespace": broker_namespace})
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    erp = FaultErp(RECORDS)
    worker = WorkerProcess(settings, tmp_path)
    resources = await open_resources(settings)
    kills = 0
    try:
        with serving_erp(erp) as base_url:
            config = products_connector(base_url, page_size=500)
            await apply_configs(resources.crypto, [config_from_data(config, source="test")])
            async with resources.sessions.begin() as session:
                run_id = (
                    await create_run(session, kind="sync", connector="erp", stream="products")
                ).id
            sender = build_broker(settings)
            try:
                enqueue_run(run_id, "sync")
            finally:
                close_broker(sender)
            worker.start()
            read = attempts = 0
            while kills < KILLS:
                run = await _progress_after(resources, run_id, read, attempts, within=60)
                if run.status in FINAL:
                    break
                await anyio.sleep(rng.uniform(0.0, 0.3))  # a random moment of the sync
                worker.kill()
                kills += 1
                killed = await _run(resources, run_id)
                read, attempts = killed.records_read, killed.attempts  # as of the kill
                worker.start()
            run = await _final(resources, run_id, within=120)
            assert worker.stop() == 0, worker.tail()
        async with resources.sessions() as session:
            rows = (
                await session.execute(select(Product.sku, Product.name, Product.list_price))
            ).all()
            refs = (
                await session.execute(
                    select(ExternalRef.external_id, func.count()).group_by(ExternalRef.external_id)
                )
            ).all()
            state = await session.scalar(select(SyncState))
    finally:
        worker.stop()
        await close_resources(resources)

    context = (
        f"seed {seed}, {kills} kills, {worker.started} workers, run {run.status} "
        f"attempts {run.attempts}: {worker.tail()}"
    )
    assert kills >= KILLS, f"the sync ended before {KILLS} kills ({context})"
    assert (run.status, run.error_class) == (SUCCEEDED, None), context
    assert run.attempts >= KILLS + 1, context  # the message came back after every kill
    assert sorted(tuple(row) for row in rows) == erp.expected()  # nothing lost or doubled
    assert len(refs) == RECORDS and {n for _, n in refs} == {1}
    assert run.records_inserted == RECORDS  # each page's counts commit with the page
    assert state is not None and json.loads(state.state_json) == {"cursor": erp.last_cursor()}
