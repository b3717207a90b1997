"""Job runs through a real worker on each broker (in-process, Redis, RabbitMQ) and database:
success with events, config errors failing at once, transient errors retried."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from sqlalchemy import func, select

from connectors.errors import RetriableError
from jobs.actors import JOB_KINDS
from jobs.errors import UnknownConnector
from jobs.events import InProcessEvents, build_events
from jobs.runs import FAILED, RUNNING, SUCCEEDED, finish_run, publish, start_run
from jobs.runtime import Resources
from settings import Settings
from store.models.jobs import DeadLetter
from tests.jobs.worker_harness import (
    queue_run,
    running_worker,
    wait_for_runs,
)

ATTEMPTS: dict[int, int] = {}


async def _start(resources: Resources, run_id: int) -> int:
    async with resources.sessions.begin() as session:
        run = await start_run(session, run_id)
    assert run is not None
    await publish(resources.events, run)
    return run.attempts


async def _finish(resources: Resources, run_id: int) -> None:
    async with resources.sessions.begin() as session:
        run = await finish_run(session, run_id)
    await publish(resources.events, run)


async def ok_job(resources: Resources, run_id: int) -> None:
    await _start(resources, run_id)
    await _finish(resources, run_id)


async def flaky_job(resources: Resources, run_id: int) -> None:
    """Fails with a transient error on its first two attempts."""
    attempts = await _start(resources, run_id)
    if attempts < 3:
        raise RetriableError(f"ERP answered 503 (attempt {attempts})", connector="erp")
    await _finish(resources, run_id)


async def slow_once_job(resources: Resources, run_id: int) -> None:
    """Hangs on its first attempt (the time limit interrupts it), is quick on the next."""
    attempts = await _start(resources, run_id)
    if attempts == 1:
        await anyio.sleep(30)
    await _finish(resources, run_id)


async def config_job(resources: Resources, run_id: int) -> None:
    await _start(resources, run_id)
    raise UnknownConnector("erp-gone")


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = {"t_ok": ok_job, "t_flaky": flaky_job, "t_config": config_job, "t_slow": slow_once_job}
    for kind, job in jobs.items():
        monkeypatch.setitem(JOB_KINDS, kind, job)


async def _events_until(subscription: Any, run_id: int, status: str) -> list[str]:
    seen: list[str] = []
    with anyio.fail_after(10):
        async for event in subscription:
            if event["id"] == run_id:
                seen.append(event["status"])
                if event["status"] == status:
                    return seen
    raise AssertionError(f"the event stream ended before {status}: {seen}")


async def test_a_run_goes_through_the_worker_and_its_events_reach_a_subscriber(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    events = build_events(broker_settings)  # Redis pub/sub, PG NOTIFY or in-process
    subscription = events.subscribe()
    await subscription.ready()
    shared = events if isinstance(events, InProcessEvents) else None
    try:
        async with running_worker(broker_settings, events=shared):
            run_id = await queue_run(sessions, "t_ok", requested_by="test")
            runs = await wait_for_runs(sessions, [run_id])
            statuses = await _events_until(subscription, run_id, SUCCEEDED)
    finally:
        await subscription.aclose()
        if hasattr(events, "aclose"):
            await events.aclose()
    run = runs[run_id]
    assert (run.status, run.attempts, run.error_class) == (SUCCEEDED, 1, None)
    assert run.started_at is not None and run.ended_at is not None
    assert statuses == [RUNNING, SUCCEEDED]


async def test_a_config_error_fails_the_run_at_once_saying_what_to_fix(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    async with running_worker(broker_settings):
        run_id = await queue_run(sessions, "t_config")
        runs = await wait_for_runs(sessions, [run_id])
        await anyio.sleep(0.3)  # time for a retry that must not happen
    run = runs[run_id]
    assert (run.status, run.attempts, run.error_class) == (FAILED, 1, "UnknownConnector")
    assert "'erp-gone' does not exist" in str(run.error_message)
    assert "channelhub connectors apply" in str(run.error_message)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DeadLetter)) == 0
        refreshed = await session.get(type(run), run_id)
        assert refreshed is not None and refreshed.attempts == 1


async def test_a_transient_error_is_retried_with_backoff_until_the_run_succeeds(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    async with running_worker(broker_settings):
        run_id = await queue_run(sessions, "t_flaky")
        runs = await wait_for_runs(sessions, [run_id])
    run = runs[run_id]
    assert (run.status, run.attempts) == (SUCCEEDED, 3)
    assert run.error_class is None and run.error_message is None  # cleared on success


async def test_an_unknown_job_kind_fails_its_run_as_a_config_error(
    broker_settings: Settings, sessions: Any
) -> None:
    async with running_worker(broker_settings):
        run_id = await queue_run(sessions, "t_no_such_kind")
        runs = await wait_for_runs(sessions, [run_id])
    run = runs[run_id]
    assert (run.status, run.error_class) == (FAILED, "UnknownJobKind")
    assert "'t_no_such_kind'" in str(run.error_message) and "reencrypt" in str(run.error_message)


async def test_a_job_over_its_time_limit_is_interrupted_and_retried(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    limited = broker_settings.model_copy(update={"job_time_limit_seconds": 0.5})
    async with running_worker(limited):
        run_id = await queue_run(sessions, "t_slow")
        runs = await wait_for_runs(sessions, [run_id], within=20)
    assert (runs[run_id].status, runs[run_id].attempts) == (SUCCEEDED, 2)
