"""A connector's rate limit holds across every worker: REST connectors built by two workers'
resources (``jobs.runtime.open_resources``, each with its own event loop, HTTP client and
``RateLimits``) draw from one Redis bucket, and a local stub that counts requests per second
never sees more than one bucket allows — while connectors limiting themselves send about
twice that. Without Redis, the server's and a worker's connectors of one name share the
process's bucket. The remote is a small HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis

from app import create_app
from connectors.protocol import Connector
from connectors.registry import build_connector
from connectors.rest.config import RestConnectorConfig
from jobs.broker import close_broker
from jobs.connector_configs import apply_configs
from jobs.ratelimit import RateLimits
from jobs.runtime import close_resources, open_resources
from settings import Settings
from tests.local_server import serving

RATE, BURST = 10.0, 2
WINDOW = 1.0
ONE_BUCKET = RATE * WINDOW + BURST + 1  # what one bucket lets through in a window (+1 jitter)
READERS = 3  # concurrent readers per connector: always more demand than the limit


class Arrivals:
    """When each request reached the stub (monotonic seconds), thread-safe."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()

    def note(self) -> None:
        with self.lock:
            self.times.append(time.monotonic())

    def clear(self) -> None:
        with self.lock:
            self.times.clear()

    def busiest_window(self) -> int:
        """The most requests that arrived within any ``WINDOW`` seconds."""
        times = sorted(self.times)
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] > WINDOW:
                start += 1
            best = max(best, end - start + 1)
        return best


@pytest.fixture
def stub() -> Iterator[tuple[str, Arrivals]]:
    arrivals = Arrivals()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            arrivals.note()
            body = json.dumps([{"id": "I-1"}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield url, arrivals


def rest_config(url: str, name: str = "erp") -> RestConnectorConfig:
    return RestConnectorConfig.model_validate(
        {
            "name": name,
            "kind": "rest",
            "connection": {
                "base_url": url,
                "rate_limit": {"requests_per_second": RATE, "burst": BURST},
                "retries": {"max_attempts": 1},
            },
            "streams": [{"name": "items", "request": {"path": "items"}}],
        }
    )


async def hammer(connector: Connector, until: float) -> int:
    """Read the first page of ``items`` from ``READERS`` tasks until ``until``; pages read."""
    done = 0

    async def reader() -> None:
        nonlocal done
        while time.monotonic() < until:
            pages = connector.read("items")
            try:
                page = await anext(pages)
            finally:
                await pages.aclose()  # type: ignore[attr-defined]
            assert page.records == [{"id": "I-1"}]
            done += 1

    async with anyio.create_task_group() as group:
        for _ in range(READERS):
            group.start_soon(reader)
    return done


def worker(settings: Settings, config: RestConnectorConfig, until: float, *, shared: bool) -> int:
    """One worker process's part, on its own event loop: its resources, its connector."""

    async def run() -> int:
        resources = await open_resources(settings)
        try:
            given = resources.connectors.resources  # what its ConnectorCache builds with
            assert given.limits is resources.limits
            if not shared:
                given = dataclasses.replace(given, limits=None)
            connector = build_connector(resources.connector_kinds, config, given)
            try:
                return await hammer(connector, until)
            finally:
                await connector.aclose()
        finally:
            await close_resources(resources)

    return asyncio.run(run())


def two_workers(
    settings: Settings, config: RestConnectorConfig, seconds: float, *, shared: bool
) -> int:
    until = time.monotonic() + seconds
    pages: list[int] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            pages.append(worker(settings, config, until, shared=shared))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    assert not errors, errors
    assert len(pages) == 2 and all(pages), pages  # both workers read
    return sum(pages)


def test_two_workers_on_one_redis_stay_within_one_bucket(
    stub: tuple[str, Arrivals], redis_url: str, broker_namespace: str, tmp_path: Path
) -> None:
    url, arrivals = stub
    settings = Settings(
        data_dir=tmp_path, rate_limit_url=redis_url, broker_namespace=broker_namespace
    )
    config = rest_config(url)
    seconds = 2.0

    total = two_workers(settings, config, seconds, shared=True)
    shared_busiest, shared_total = arrivals.busiest_window(), len(arrivals.times)
    span = max(arrivals.times) - min(arrivals.times)
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.exists(f"{broker_namespace}:ratelimit:erp")  # the bucket lived in Redis
    finally:
        client.close()

    arrivals.clear()
    two_workers(settings, config, seconds, shared=False)  # each connector limits itself
    alone_busiest, alone_total = arrivals.busiest_window(), len(arrivals.times)

    assert shared_total == total
    assert shared_busiest <= ONE_BUCKET, (shared_busiest, alone_busiest)
    assert shared_total <= BURST + RATE * span + 1
    assert shared_total >= RATE * seconds * 0.8  # limited, not starved
    assert alone_busiest > ONE_BUCKET  # so the bound above can fail
    assert alone_total >= 1.6 * shared_total, (shared_total, alone_total)


async def test_the_servers_and_a_workers_connectors_share_the_process_bucket(
    stub: tuple[str, Arrivals], app: Any, settings: Settings
) -> None:
    url, arrivals = stub
    hub = app.state.hub
    assert isinstance(hub.limits, RateLimits) and not hub.limits.shared
    assert hub.connectors.resources.limits is hub.limits
    await apply_configs(hub.fields, [rest_config(url), rest_config(url, "crm")])
    resources = await open_resources(settings)  # a worker in this process, same settings
    try:
        served, _ = await hub.connectors.get("erp")
        worked, _ = await resources.connectors.get("erp")
        assert served is not worked
        until = time.monotonic() + 1.5
        async with anyio.create_task_group() as group:
            group.start_soon(hammer, served, until)
            group.start_soon(hammer, worked, until)
        one_name = arrivals.busiest_window()
        arrivals.clear()
        other, _ = await resources.connectors.get("crm")  # another name: its own bucket
        until = time.monotonic() + 1.5
        async with anyio.create_task_group() as group:
            group.start_soon(hammer, served, until)
            group.start_soon(hammer, other, until)
        two_names = arrivals.busiest_window()
    finally:
        await close_resources(resources)
    assert one_name <= ONE_BUCKET, (one_name, two_names)
    assert two_names > ONE_BUCKET


async def test_the_servers_connectors_use_the_redis_bucket_and_the_app_closes_it(
    stub: tuple[str, Arrivals], settings: Settings, redis_url: str, broker_namespace: str
) -> None:
    url, arrivals = stub
    on_redis = settings.model_copy(
        update={"rate_limit_url": redis_url, "broker_namespace": broker_namespace}
    )
    app = create_app(on_redis)
    hub = app.state.hub
    try:
        assert hub.limits.shared
        await apply_configs(hub.fields, [rest_config(url)])
        served, _ = await hub.connectors.get("erp")
        pages = await hammer(served, time.monotonic() + 1.0)
    finally:  # what the lifespan closes (the Redis client among them)
        close_broker(hub.broker)
        close_events = getattr(hub.events, "aclose", None)
        if close_events is not None:
            await close_events()
        await hub.aclose()
        await hub.engine.dispose()
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.exists(f"{broker_namespace}:ratelimit:erp")
    finally:
        client.close()
    assert pages == len(arrivals.times) > 0
    assert arrivals.busiest_window() <= ONE_BUCKET
