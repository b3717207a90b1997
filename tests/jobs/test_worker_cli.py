"""``channelhub worker``: refuses the in-process broker, stops cleanly on SIGTERM (one process
or several), and a job still running when the shutdown time is up is abandoned to resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import func, select

import cli
from connectors.config import config_from_data
from jobs.broker import build_broker, close_broker
from jobs.connector_configs import apply_configs
from jobs.dispatch import enqueue_run
from jobs.runs import SUCCEEDED, create_run, get_run
from jobs.runtime import close_resources, open_resources
from settings import Settings
from store.models import Product
from tests.jobs.fault_erp import FaultErp, products_connector, serving_erp

CHANNELHUB = Path(sys.executable).with_name("channelhub")


def _env(**values: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    return clean | {f"CHANNELHUB_{k.upper()}": v for k, v in values.items()}


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(CHANNELHUB), "worker", *args],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for_line(log: Path, text: str, count: int = 1, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while log.read_text(errors="replace").count(text) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged {count} times: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def test_the_in_process_broker_is_refused_with_what_to_do(capsys: Any) -> None:
    assert cli.main(["worker"]) == 1
    err = capsys.readouterr().err
    assert "in-process" in err and "CHANNELHUB_BROKER_URL=redis://" in err


def test_a_thread_count_below_one_is_bad_usage(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["worker", "--threads", "0"])
    assert exited.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_stops_the_workers_cleanly(
    processes: int, redis_url: str, broker_namespace: str, tmp_path: Path
) -> None:
    env = _env(broker_url=redis_url, broker_namespace=broker_namespace, data_dir=str(tmp_path))
    log = tmp_path / "worker.log"
    worker = _start(env, log, "--threads", "1", "--processes", str(processes))
    try:
        _wait_for_line(log, "1 threads on redis", count=processes)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    text = log.read_text()
    assert text.count("Worker has been shut down.") == processes
    assert "Traceback" not in text


@pytest.mark.slow
async def test_a_job_outliving_the_shutdown_time_is_abandoned_and_resumes_elsewhere(
    settings: Settings, amqp_url: str, broker_namespace: str, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={"broker_url": amqp_url, "broker_namespace": broker_namespace}
    )
    env = _env(
        broker_url=amqp_url,
        broker_namespace=broker_namespace,
        data_dir=str(settings.data_dir),
        database_url=settings.database_url,
        worker_shutdown_seconds="0.3",
    )
    erp = FaultErp(3000)
    erp.delay = 0.05  # 30 slow pages: still running when the worker is told to stop
    resources = await open_resources(settings)
    first = second = None
    try:
        with serving_erp(erp) as base_url:
            config = config_from_data(products_connector(base_url, page_size=100), source="t")
            await apply_configs(resources.crypto, [config])
            async with resources.sessions.begin() as session:
                run_id = (
                    await create_run(session, kind="sync", connector="erp", stream="products")
                ).id
            sender = build_broker(settings)
            try:
                enqueue_run(run_id, "sync")
            finally:
                close_broker(sender)
            first = _start(env, tmp_path / "first.log", "--threads", "1")
            await _until(resources, run_id, lambda run: run.records_read > 0, within=30)
            first.send_signal(signal.SIGTERM)
            code = await anyio.to_thread.run_sync(lambda: first.wait(timeout=30))
            stopped_at = (await _load(resources, run_id)).records_read
            second = _start(env, tmp_path / "second.log", "--threads", "1")
            run = await _until(resources, run_id, lambda run: run.status == SUCCEEDED, within=60)
            second.send_signal(signal.SIGTERM)
            assert await anyio.to_thread.run_sync(lambda: second.wait(timeout=30)) == 0
        async with resources.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(Product))
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        await close_resources(resources)
    assert code == 3, (tmp_path / "first.log").read_text()[-2000:]
    assert "jobs still running after 0 s" in (tmp_path / "first.log").read_text()
    assert 0 < stopped_at < 3000  # it was cut off mid-sync ...
    assert (run.status, run.records_inserted, stored) == (SUCCEEDED, 3000, 3000)  # ... and resumed


async def _load(resources: Any, run_id: int) -> Any:
    async with resources.sessions() as session:
        return await get_run(session, run_id)


async def _until(resources: Any, run_id: int, done: Any, within: float) -> Any:
    with anyio.fail_after(within):
        while True:
            run = await _load(resources, run_id)
            if done(run):
                return run
            await anyio.sleep(0.05)
