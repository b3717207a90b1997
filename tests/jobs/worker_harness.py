"""Test helpers: a dramatiq worker over a broker built from settings, and waits on job runs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import dramatiq
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.broker import build_broker, close_broker
from jobs.dispatch import enqueue_run
from jobs.runs import FINAL, create_run
from jobs.worker import boot_worker
from settings import Settings
from store.models.jobs import JobRun


def job_settings(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with fast retries for tests, and ``changes``."""
    fast = {"job_max_retries": 2, "job_min_backoff_ms": 10, "job_max_backoff_ms": 50}
    return settings.model_copy(update=fast | changes)


@asynccontextmanager
async def running_worker(
    settings: Settings, *, threads: int = 2, **broker_options: Any
) -> AsyncIterator[dramatiq.Broker]:
    """A broker from ``settings`` (installed for ``enqueue_run``) and a worker consuming it."""
    broker = build_broker(settings, **broker_options)
    worker = await anyio.to_thread.run_sync(boot_worker, broker, threads)
    try:
        yield broker
    finally:
        await anyio.to_thread.run_sync(lambda: worker.stop(timeout=10_000))
        close_broker(broker)


async def queue_run(sessions: async_sessionmaker[AsyncSession], kind: str, **fields: Any) -> int:
    """Create and commit a QUEUED run, then send it; its id."""
    async with sessions.begin() as session:
        run = await create_run(session, kind=kind, **fields)
        run_id = run.id
    enqueue_run(run_id, kind)
    return run_id


async def wait_for_runs(
    sessions: async_sessionmaker[AsyncSession],
    run_ids: Iterable[int],
    *,
    within: float = 30.0,
    statuses: frozenset[str] = FINAL,
) -> dict[int, JobRun]:
    """The runs once each is in one of ``statuses``; fails the test on timeout."""
    wanted = list(run_ids)
    deadline = time.monotonic() + within
    while True:
        async with sessions() as session:
            rows = await session.scalars(select(JobRun).where(JobRun.id.in_(wanted)))
            runs = {run.id: run for run in rows}
        if all(r in runs and runs[r].status in statuses for r in wanted):
            return runs
        if time.monotonic() > deadline:
            shown = {r: runs[r].status if r in runs else None for r in wanted}
            raise AssertionError(f"runs not in {sorted(statuses)} after {within} s: {shown}")
        await anyio.sleep(0.05)


@pytest.fixture(params=["inprocess", "redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """Each job broker in turn: in-process, Redis, RabbitMQ (the last two need their URLs)."""
    if request.param == "inprocess":
        return ""
    return str(request.getfixturevalue(f"{'redis' if request.param == 'redis' else 'amqp'}_url"))


@pytest.fixture
def broker_settings(settings: Settings, broker_url: str, broker_namespace: str) -> Settings:
    """The test database's settings on each broker, in this test's own namespace."""
    return job_settings(settings, broker_url=broker_url, broker_namespace=broker_namespace)
