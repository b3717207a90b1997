"""The embedded worker of serve/demo: started by the app's lifespan on the in-process broker,
sharing the server's run events, stopped at shutdown; off when asked or on Redis/RabbitMQ."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from app import create_app
from jobs.actors import JOB_KINDS
from jobs.dispatch import current_broker
from jobs.events import InProcessEvents, PostgresEvents
from jobs.runs import QUEUED, SUCCEEDED, finish_run, publish, start_run
from jobs.runtime import Resources
from settings import Settings
from tests.jobs.worker_harness import queue_run, wait_for_runs


async def ok_job(resources: Resources, run_id: int) -> None:
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    await publish(resources.events, run)
    async with resources.sessions.begin() as session:
        run = await finish_run(session, run_id)
    await publish(resources.events, run)


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(JOB_KINDS, "t_embedded", ok_job)


async def test_serve_runs_jobs_in_process_and_its_subscribers_see_them(
    settings: Settings, kinds: None
) -> None:
    app: Any = create_app(settings.model_copy(update={"embedded_scheduler": False}))
    hub = app.state.hub
    # PostgreSQL: LISTEN/NOTIFY (the worker publishes on its own connection); SQLite: shared
    assert type(hub.events) is (PostgresEvents if settings.database_url else InProcessEvents)
    assert current_broker() is hub.broker
    async with app.router.lifespan_context(app):
        subscription = hub.events.subscribe()
        await subscription.ready()
        run_id = await queue_run(hub.sessions, "t_embedded")
        runs = await wait_for_runs(hub.sessions, [run_id])
        with anyio.fail_after(5):
            async for event in subscription:
                if event["id"] == run_id and event["status"] == SUCCEEDED:
                    break
        await subscription.aclose()
    assert runs[run_id].status == SUCCEEDED
    await hub.engine.dispose()


async def test_with_the_embedded_worker_off_a_run_waits_in_the_queue(
    settings: Settings, kinds: None
) -> None:
    app: Any = create_app(
        settings.model_copy(update={"embedded_worker": False, "embedded_scheduler": False})
    )
    hub = app.state.hub
    async with app.router.lifespan_context(app):
        run_id = await queue_run(hub.sessions, "t_embedded")
        await anyio.sleep(0.5)
        runs = await wait_for_runs(hub.sessions, [run_id], statuses=frozenset({QUEUED}))
    assert runs[run_id].status == QUEUED
    await hub.engine.dispose()


def test_the_worker_is_embedded_by_default_only_with_the_in_process_broker() -> None:
    assert Settings().should_embed_worker
    assert not Settings(broker_url="redis://127.0.0.1:6379/0").should_embed_worker
    assert not Settings(broker_url="amqp://127.0.0.1:5672/").should_embed_worker
    assert Settings(broker_url="redis://127.0.0.1:6379/0", embedded_worker=True).should_embed_worker
    assert not Settings(embedded_worker=False).should_embed_worker
