"""Broker restart: a Redis server the test starts itself on a free port (never the machine's
shared one) is restarted while runs are queued; every run completes once it is back.

A scheduler sweeps meanwhile, as in production (``jobs.requeue``, here with a 2 s threshold):
a live worker whose consumer met the dead broker drops its prefetched messages while their
ids stay in its acks set, so Redis never delivers them again; the sweep sends such runs
again. Without persistence the restart loses every queued message outright, and still every
run completes: each run that was waiting in Redis is sent again by the sweep."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis

from jobs.actors import JOB_KINDS
from jobs.dispatch import enqueue_run
from jobs.runs import QUEUED, STATUSES, SUCCEEDED, finish_run, start_run
from jobs.runtime import Resources
from jobs.scheduler import run_scheduler
from settings import Settings
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

RUNS = 12
EXECUTED: list[int] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """``redis-server`` on 127.0.0.1:``port``; ``persistent``: with an append-only file
    (queued messages survive a restart, as on any broker that is meant to keep them), else
    with none (a restart loses everything queued)."""

    def __init__(self, folder: Path, *, persistent: bool = True) -> None:
        self.port = _free_port()
        self.folder = folder
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            str(shutil.which("redis-server")),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
            "--save", "",
        ]  # fmt: skip
        log = (self.folder / "redis.log").open("ab")
        with log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            for _ in range(100):
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise AssertionError("the private redis-server did not start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis flushes its append-only file and exits
            self.process.wait(timeout=10)


@pytest.fixture(params=["persistent", "volatile"])
def private_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (a broker restart test)")
    server = PrivateRedis(tmp_path, persistent=request.param == "persistent")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def slow_job(resources: Resources, run_id: int) -> None:
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    if run is None:
        return  # final already (a message sent twice): nothing to do, as every job does
    await anyio.sleep(0.1)
    EXECUTED.append(run_id)
    async with resources.sessions.begin() as session:
        await finish_run(session, run_id)


class Resent:
    """``enqueue_run`` that notes the runs the sweep sent again (it runs in a thread)."""

    def __init__(self) -> None:
        self.run_ids: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, run_id: int, kind: str) -> str:
        message_id = enqueue_run(run_id, kind)
        with self._lock:
            self.run_ids.append(run_id)
        return message_id


@asynccontextmanager
async def sweeping(sessions: Any, settings: Settings) -> AsyncIterator[Resent]:
    """A scheduler (``run_scheduler``) sending runs QUEUED for 2 s again, every 0.2 s."""
    fast = settings.model_copy(
        update={
            "scheduler_interval_seconds": 0.2,
            "job_requeue_after_seconds": 2.0,
            "outbox_sweep_cron": "",
            "rebate_accrual_cron": "",
            "forecast_cron": "",
        }
    )
    resent, stop = Resent(), asyncio.Event()
    task = asyncio.create_task(run_scheduler(sessions, fast, stop, enqueue=resent))
    try:
        yield resent
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.mark.slow
async def test_runs_queued_across_a_broker_restart_all_complete(
    private_redis: PrivateRedis,
    settings: Settings,
    sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(JOB_KINDS, "t_slow", slow_job)
    EXECUTED.clear()
    broker_settings = job_settings(settings, broker_url=private_redis.url)
    worker = running_worker(broker_settings, threads=1)
    async with worker, sweeping(sessions, broker_settings) as resent:
        run_ids = [await queue_run(sessions, "t_slow") for _ in range(RUNS)]
        await anyio.sleep(0.25)  # a few have run; most wait in the queue
        await anyio.to_thread.run_sync(private_redis.stop)
        pending = await wait_for_runs(sessions, run_ids, statuses=frozenset(STATUSES))
        assert sum(run.status != SUCCEEDED for run in pending.values()) > RUNS // 2
        await anyio.sleep(1.5)  # the worker's consumers meet a dead broker meanwhile
        # what the worker held in memory has run by now: a run still QUEUED is in Redis only
        stranded = await wait_for_runs(sessions, run_ids, statuses=frozenset(STATUSES))
        queued = {run_id for run_id, run in stranded.items() if run.status == QUEUED}
        await anyio.to_thread.run_sync(private_redis.start)
        runs = await wait_for_runs(sessions, run_ids, within=60)
    assert {run.status for run in runs.values()} == {SUCCEEDED}
    assert sorted(set(EXECUTED)) == sorted(run_ids)
    if not private_redis.persistent:  # the restart lost their messages: each was sent again
        assert queued and queued <= set(resent.run_ids)
