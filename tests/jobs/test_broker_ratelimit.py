"""Per-connector rate limits across workers: one Redis bucket shared by every process, a
process bucket shared by every loop, and a Redis outage that falls back instead of failing."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import anyio

from jobs.ratelimit import LocalBucket, RateLimits, RedisBucket
from settings import Settings

RATE, BURST, CALLS = 20.0, 2, 24
FLOOR = (CALLS - BURST) / RATE  # the least time CALLS requests may take at RATE after BURST


async def _two_workers_draw(limits: tuple[RateLimits, RateLimits], connector: str) -> float:
    """Seconds for CALLS acquisitions split over two workers' buckets of ``connector``."""
    buckets = [limit.bucket(connector, RATE, BURST) for limit in limits]
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for n in range(CALLS):
            group.start_soon(buckets[n % 2].acquire)
    return time.monotonic() - started


async def test_workers_on_one_redis_share_each_connectors_limit(
    redis_url: str, broker_namespace: str
) -> None:
    settings = Settings(broker_url=redis_url, broker_namespace=broker_namespace)
    limits = (RateLimits(settings), RateLimits(settings))  # two workers: their own clients
    try:
        assert all(limit.shared for limit in limits)
        shared = await _two_workers_draw(limits, "erp")
        other = await _two_workers_draw(limits, "crm")  # another connector: its own bucket
    finally:
        for limit in limits:
            await limit.aclose()
    assert shared >= FLOOR * 0.95
    assert shared < FLOOR + 1.0 and other < FLOOR + 1.0


async def test_without_redis_the_limit_holds_within_the_process(broker_namespace: str) -> None:
    settings = Settings(broker_namespace=broker_namespace)
    limits = (RateLimits(settings), RateLimits(settings))  # the server's and the worker's
    assert not any(limit.shared for limit in limits)
    elapsed = await _two_workers_draw(limits, "erp")
    assert elapsed >= FLOOR * 0.95


def test_a_process_bucket_is_shared_by_threads_with_their_own_loops() -> None:
    bucket = LocalBucket(RATE, BURST)

    def draw(count: int) -> None:
        async def run() -> None:
            for _ in range(count):
                await bucket.acquire()

        asyncio.run(run())

    started = time.monotonic()
    threads = [threading.Thread(target=draw, args=(CALLS // 2,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= FLOOR * 0.95


async def test_redis_down_falls_back_to_the_process_bucket_without_failing(
    broker_namespace: str,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(rate_limit_url=f"redis://127.0.0.1:{port}/0", broker_namespace="down")
    limits = RateLimits(settings)
    try:
        bucket = limits.bucket(broker_namespace, RATE, BURST)
        assert isinstance(bucket, RedisBucket)
        started = time.monotonic()
        for _ in range(BURST + 4):
            await bucket.acquire()  # never raises
        elapsed = time.monotonic() - started
    finally:
        await limits.aclose()
    assert elapsed >= 4 / RATE * 0.95
