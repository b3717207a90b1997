"""Broker restart: a Redis server the test starts itself on a free port (never the machine's
shared one) is restarted while runs are queued; every run completes once it is back."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis

from jobs.actors import JOB_KINDS
from jobs.runs import STATUSES, SUCCEEDED, finish_run, start_run
from jobs.runtime import Resources
from settings import Settings
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs

RUNS = 12
EXECUTED: list[int] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """``redis-server`` on 127.0.0.1:``port`` with an append-only file (queued messages
    survive a restart, as on any broker that is meant to keep them)."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            str(shutil.which("redis-server")),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
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


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (a broker restart test)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def slow_job(resources: Resources, run_id: int) -> None:
    async with resources.sessions.begin() as session:
        await start_run(session, run_id)
    await anyio.sleep(0.1)
    EXECUTED.append(run_id)
    async with resources.sessions.begin() as session:
        await finish_run(session, run_id)


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
    async with running_worker(broker_settings, threads=1):
        run_ids = [await queue_run(sessions, "t_slow") for _ in range(RUNS)]
        await anyio.sleep(0.25)  # a few have run; most wait in the queue
        await anyio.to_thread.run_sync(private_redis.stop)
        pending = await wait_for_runs(sessions, run_ids, statuses=frozenset(STATUSES))
        assert sum(run.status != SUCCEEDED for run in pending.values()) > RUNS // 2
        await anyio.sleep(1.5)  # the worker's consumers meet a dead broker meanwhile
        await anyio.to_thread.run_sync(private_redis.start)
        runs = await wait_for_runs(sessions, run_ids, within=60)
    assert {run.status for run in runs.values()} == {SUCCEEDED}
    assert sorted(set(EXECUTED)) == sorted(run_ids)
