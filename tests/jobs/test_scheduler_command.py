"""``channelhub scheduler`` as separate processes: refused on the in-process broker; ``--once``
enqueues the due runs on Redis or RabbitMQ and names a bad cron; two scheduler processes
running at once enqueue each due run exactly once, and SIGTERM stops them cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import update

from jobs.broker import build_broker, close_broker
from jobs.metrics import queue_depths
from jobs.schedules import sync_schedules
from settings import Settings
from store.models.jobs import Schedule
from tests.jobs.scheduling import runs, store_connector

ROOT = Path(__file__).resolve().parents[2]
PAST = datetime(2025, 1, 1, tzinfo=UTC)


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "CHANNELHUB_DATA_DIR": str(settings.data_dir),
        "CHANNELHUB_DATABASE_URL": settings.database_url,
        "CHANNELHUB_AUTO_MIGRATE": "false",
        "CHANNELHUB_BROKER_URL": settings.broker_url,
        "CHANNELHUB_BROKER_NAMESPACE": settings.broker_namespace,
        "CHANNELHUB_OUTBOX_SWEEP_CRON": "",
        "CHANNELHUB_REBATE_ACCRUAL_CRON": "",
        "CHANNELHUB_FORECAST_CRON": "",
    }


def _command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "scheduler", *args]


def test_the_in_process_broker_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANNELHUB_")}
    env |= {"CHANNELHUB_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        _command("--once"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "the broker is in-process" in done.stderr and "CHANNELHUB_BROKER_URL" in done.stderr


@pytest.fixture(params=["redis", "rabbitmq"])
def networked(
    request: pytest.FixtureRequest, settings: Settings, broker_namespace: str
) -> Settings:
    """The test database's settings on Redis, then on RabbitMQ, in this test's namespace."""
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    return settings.model_copy(
        update={
            "broker_url": url,
            "broker_namespace": broker_namespace,
            "outbox_sweep_cron": "",
            "rebate_accrual_cron": "",
            "forecast_cron": "",
        }
    )


def _messages(settings: Settings) -> dict[tuple[str, str], int]:
    broker = build_broker(settings, install=False)
    try:
        return queue_depths(broker)
    finally:
        close_broker(broker)


async def test_once_enqueues_the_due_runs_and_names_a_bad_cron(
    app: Any, networked: Settings
) -> None:
    await store_connector(app, "erp", {"partners": "*/5 * * * *", "orders": "61 * * * *"})
    await sync_schedules(app.state.hub.sessions, networked, PAST)  # due long ago
    done = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            _command("--once"),
            env=_env(networked),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    )
    [run] = await runs(app)
    assert (run.stream, run.trigger, run.status) == ("partners", "schedule", "QUEUED")
    assert f"Runs enqueued: {run.id}." in done.stdout
    assert "schedule 'sync:erp:orders'" in done.stderr and "'61 * * * *'" in done.stderr
    assert done.returncode == 1  # a schedule is invalid
    queue = f"{networked.broker_namespace}.sync"
    assert _messages(networked)[(queue, "ready")] == 1


class SchedulerProcess:
    """``channelhub scheduler`` in a child process; its stderr is collected as it comes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            _command("--interval", "0.1"),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        """SIGTERM, then its exit code (-9: it had to be killed)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = -9
        self.reader.join(timeout=5)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code


async def _until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await anyio.sleep(0.05)


async def test_two_scheduler_processes_enqueue_each_due_run_once(
    app: Any, networked: Settings
) -> None:
    streams: dict[str, str | None] = {f"s{n:02d}": "* * * * *" for n in range(10)}
    await store_connector(app, "erp", streams)
    await sync_schedules(app.state.hub.sessions, networked, datetime.now(UTC))
    schedulers = [SchedulerProcess(_env(networked)) for _ in range(2)]
    try:

        async def both_started() -> bool:
            return all("scheduler started" in s.stderr for s in schedulers)

        await _until(both_started, 30, "both schedulers started")
        async with app.state.hub.sessions.begin() as session:  # every schedule due at once
            await session.execute(update(Schedule).values(next_run_at=PAST))

        async def all_started() -> bool:
            return len(await runs(app)) >= len(streams)

        await _until(all_started, 20, "a run per schedule")
        await anyio.sleep(1.0)  # ten more passes of each: nothing more may start
    finally:
        codes = [await anyio.to_thread.run_sync(s.stop) for s in schedulers]
    for code, scheduler in zip(codes, schedulers, strict=True):
        assert code == 0, scheduler.stderr
        assert "scheduler stopped" in scheduler.stderr
    all_runs = await runs(app)
    assert sorted(run.stream or "" for run in all_runs) == sorted(streams)
    queue = f"{networked.broker_namespace}.sync"
    assert _messages(networked)[(queue, "ready")] == len(streams)
