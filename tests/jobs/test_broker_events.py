"""Job-run events: in-process across threads and loops, Redis pub/sub and PostgreSQL
LISTEN/NOTIFY across processes, a lost listener reconnecting, the transport per settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from jobs.events import (
    BACKLOG,
    InProcessEvents,
    PostgresEvents,
    RedisEvents,
    Subscription,
    build_events,
)
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PUBLISHER = """
import asyncio, sys
from settings import Settings
from jobs.events import build_events

async def main() -> None:
    events = build_events(Settings())
    for n in range(int(sys.argv[1])):
        await events.publish({"id": n, "status": "RUNNING", "from": "child"})
    await events.aclose()

asyncio.run(main())
"""


@pytest.fixture
def pg_server_url() -> str:
    url = os.environ.get("CHANNELHUB_TEST_DATABASE_URL")
    if not url:
        pytest.skip("CHANNELHUB_TEST_DATABASE_URL is not set (a PostgreSQL NOTIFY test)")
    return url


async def _take(subscription: Subscription, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    with anyio.fail_after(10):
        async for event in subscription:
            got.append(event)
            if len(got) == count:
                break
    return got


def _publish_from_another_process(events_url: str, namespace: str, count: int) -> None:
    env = os.environ | {
        "CHANNELHUB_EVENTS_URL": events_url,
        "CHANNELHUB_BROKER_NAMESPACE": namespace,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PUBLISHER, str(count)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def _across_processes(events: Any, url: str, namespace: str) -> None:
    subscription = events.subscribe()
    await subscription.ready()
    try:
        await anyio.to_thread.run_sync(_publish_from_another_process, url, namespace, 3)
        got = await _take(subscription, 3)
    finally:
        await subscription.aclose()
        await events.aclose()
    assert got == [{"id": n, "status": "RUNNING", "from": "child"} for n in range(3)]


async def test_redis_pub_sub_carries_events_between_processes(
    redis_url: str, broker_namespace: str
) -> None:
    settings = Settings(events_url=redis_url, broker_namespace=broker_namespace)
    events = build_events(settings)
    assert isinstance(events, RedisEvents)
    assert events.channel == f"{broker_namespace}.job_runs"
    await _across_processes(events, redis_url, broker_namespace)


async def test_postgres_notify_carries_events_between_processes(
    pg_server_url: str, broker_namespace: str
) -> None:
    settings = Settings(events_url=pg_server_url, broker_namespace=broker_namespace)
    events = build_events(settings)
    assert isinstance(events, PostgresEvents)
    await _across_processes(events, pg_server_url, broker_namespace)


async def test_a_postgres_listener_that_loses_its_connection_reconnects(
    pg_server_url: str, broker_namespace: str
) -> None:
    import asyncpg  # type: ignore[import-untyped]

    events = PostgresEvents(pg_server_url, f"{broker_namespace}.job_runs")
    subscription = events.subscribe()
    await subscription.ready()
    try:
        first = subscription.connection  # type: ignore[attr-defined]
        admin = await asyncpg.connect(events.dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", first.get_server_pid())
        finally:
            await admin.close()
        with anyio.fail_after(15):  # publish until the new listener hears it
            while True:
                await events.publish({"id": 7, "status": "SUCCEEDED"})
                with anyio.move_on_after(0.5):
                    got = await subscription.__anext__()
                    break
        assert got == {"id": 7, "status": "SUCCEEDED"}
        assert subscription.connection is not first  # type: ignore[attr-defined]
    finally:
        await subscription.aclose()
        await events.aclose()


async def test_a_notify_payload_over_the_postgres_limit_is_sent_as_a_summary(
    pg_server_url: str, broker_namespace: str
) -> None:
    events = PostgresEvents(pg_server_url, f"{broker_namespace}.job_runs")
    subscription = events.subscribe()
    await subscription.ready()
    try:
        await events.publish({"id": 9, "status": "FAILED", "errorMessage": "x" * 9000})
        [got] = await _take(subscription, 1)
    finally:
        await subscription.aclose()
        await events.aclose()
    assert got == {"id": 9, "status": "FAILED", "partial": True}


async def test_in_process_events_reach_a_subscriber_on_another_loop_and_thread() -> None:
    events = InProcessEvents()
    subscription = events.subscribe()
    await subscription.ready()

    def publish_elsewhere() -> None:  # as the embedded worker does: its own loop and thread
        asyncio.run(events.publish({"id": 1, "at": Path("/x")}))

    thread = threading.Thread(target=publish_elsewhere)
    thread.start()
    thread.join()
    [got] = await _take(subscription, 1)
    assert got == {"id": 1, "at": "/x"}  # JSON-shaped, as on the other transports
    await events.aclose()
    assert [event async for event in subscription] == []  # closed: iteration ends


async def test_a_slow_subscriber_loses_its_oldest_events_not_the_publisher_its_time() -> None:
    events = InProcessEvents()
    subscription = events.subscribe()
    await subscription.ready()
    for n in range(BACKLOG + 5):
        await events.publish({"id": n})
    await anyio.sleep(0.05)
    first = await subscription.__anext__()
    assert first == {"id": 5}
    await subscription.aclose()


def test_the_transport_follows_the_settings() -> None:
    assert isinstance(build_events(Settings()), InProcessEvents)
    pg = "postgresql+asyncpg://u@127.0.0.1/db"
    assert isinstance(build_events(Settings(database_url=pg)), PostgresEvents)
    amqp = "amqp://guest:guest@127.0.0.1:5672/"
    assert isinstance(build_events(Settings(database_url=pg, broker_url=amqp)), PostgresEvents)
    assert isinstance(build_events(Settings(broker_url=amqp)), InProcessEvents)
    redis_only = Settings(database_url=pg, broker_url="redis://127.0.0.1:1/0")
    assert isinstance(build_events(redis_only), RedisEvents)
    forced = Settings(database_url=pg, events_url="inprocess")
    assert isinstance(build_events(forced), InProcessEvents)
