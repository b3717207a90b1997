"""A job run still QUEUED long after it was sent is sent again, exactly once per threshold:
fresh, started and final runs never; two (or four) schedulers sweeping at once — separate
engines, truly concurrent connections on PostgreSQL — send each stale run once; a send the
broker refuses leaves the run as it was for the next pass; the scheduler's loop sweeps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import jobs.requeue
from jobs.errors import BrokerUnavailable
from jobs.requeue import requeue_after, requeue_stale_runs
from jobs.runs import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    create_run,
    requeue_run,
    start_run,
)
from jobs.scheduler import run_scheduler
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models.jobs import JobRun

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
AFTER = timedelta(minutes=10)
QUIET = {"outbox_sweep_cron": "", "rebate_accrual_cron": "", "forecast_cron": ""}


class Sent:
    """A thread-safe record of what was sent (``enqueue`` runs in a worker thread)."""

    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[tuple[int, str]] = []
        self.refuse = refuse
        self._lock = threading.Lock()

    def __call__(self, run_id: int, kind: str) -> str:
        if self.refuse:
            raise BrokerUnavailable("ConnectionError")
        with self._lock:
            self.messages.append((run_id, kind))
            return f"message-{run_id}-{len(self.messages)}"


async def _run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    queued: datetime,
    kind: str = "reencrypt",
    status: str = QUEUED,
    heartbeat: datetime | None = None,
) -> int:
    async with sessions.begin() as session:
        run = await create_run(session, kind=kind)
        await session.execute(
            update(JobRun)
            .where(JobRun.id == run.id)
            .values(queued_at=queued, status=status, heartbeat_at=heartbeat)
        )
        return run.id


async def _row(sessions: async_sessionmaker[AsyncSession], run_id: int) -> JobRun:
    async with sessions() as session:
        row = await session.scalar(select(JobRun).where(JobRun.id == run_id))
    assert row is not None
    return row


async def test_a_stale_queued_run_is_sent_again_and_a_fresh_one_is_not(sessions: Any) -> None:
    stale = await _run(sessions, queued=NOW - AFTER - timedelta(seconds=1), kind="sync")
    edge = await _run(sessions, queued=NOW - AFTER)  # exactly the threshold: stale
    fresh = await _run(sessions, queued=NOW - AFTER + timedelta(seconds=1))
    sent = Sent()
    resent = await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent)
    assert sorted(resent) == sorted([stale, edge])
    assert sorted(sent.messages) == sorted([(stale, "sync"), (edge, "reencrypt")])
    row = await _row(sessions, stale)
    assert (row.status, row.queued_at) == (QUEUED, NOW)
    assert row.message_id is not None and row.message_id.startswith(f"message-{stale}-")
    assert (await _row(sessions, fresh)).queued_at == NOW - AFTER + timedelta(seconds=1)
    assert (await _row(sessions, fresh)).message_id is None
    # sent again: silent for another threshold before the next re-send
    later = NOW + AFTER - timedelta(seconds=1)
    assert await requeue_stale_runs(sessions, older_than=AFTER, now=later, enqueue=sent) == [fresh]
    resent = await requeue_stale_runs(sessions, older_than=AFTER, now=NOW + AFTER, enqueue=sent)
    assert sorted(resent) == sorted([stale, edge])
    assert len(sent.messages) == 5


@pytest.mark.parametrize("status", [RUNNING, SUCCEEDED, FAILED, CANCELLED])
async def test_a_started_or_final_run_is_never_sent_again(sessions: Any, status: str) -> None:
    long_ago = NOW - timedelta(days=3)
    run_id = await _run(sessions, queued=long_ago, status=status, heartbeat=long_ago)
    sent = Sent()
    assert await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent) == []
    assert sent.messages == []
    row = await _row(sessions, run_id)
    assert (row.status, row.queued_at, row.message_id) == (status, long_ago, None)


async def test_a_run_waiting_for_its_retry_is_not_sent_again_until_silent(sessions: Any) -> None:
    """Back to QUEUED after a transient failure: its heartbeat (its last attempt) counts."""
    run_id = await _run(sessions, queued=NOW - timedelta(hours=2))
    async with sessions.begin() as session:
        await start_run(session, run_id, now=NOW - timedelta(minutes=2))
        await requeue_run(session, run_id, TimeoutError("ERP slow"))
    sent = Sent()
    assert await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent) == []
    later = NOW + AFTER
    assert await requeue_stale_runs(sessions, older_than=AFTER, now=later, enqueue=sent) == [run_id]
    assert sent.messages == [(run_id, "reencrypt")]


async def test_a_refused_send_leaves_the_run_for_the_next_pass(sessions: Any) -> None:
    queued = NOW - timedelta(hours=1)
    run_id = await _run(sessions, queued=queued)
    refused = await requeue_stale_runs(
        sessions, older_than=AFTER, now=NOW, enqueue=Sent(refuse=True)
    )
    assert refused == []
    row = await _row(sessions, run_id)
    assert (row.status, row.queued_at, row.message_id) == (QUEUED, queued, None)
    sent = Sent()
    assert await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent) == [run_id]
    assert sent.messages == [(run_id, "reencrypt")]


async def test_a_pass_sends_at_most_limit_runs_oldest_first(sessions: Any) -> None:
    ids = [await _run(sessions, queued=NOW - timedelta(hours=5 - n)) for n in range(5)]
    sent = Sent()
    first = await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent, limit=3)
    assert sorted(first) == ids[:3]
    second = await requeue_stale_runs(sessions, older_than=AFTER, now=NOW, enqueue=sent, limit=3)
    assert sorted(second) == ids[3:]


@pytest.fixture
async def engines(settings: Settings) -> AsyncIterator[Callable[[], async_sessionmaker[Any]]]:
    """Session factories on engines of their own (separate connections); all disposed."""
    made = []

    def make() -> async_sessionmaker[AsyncSession]:
        engine = create_engine(settings)
        made.append(engine)
        return create_sessionmaker(engine)

    yield make
    for engine in made:
        await engine.dispose()


@pytest.mark.parametrize("schedulers", [2, 4])
async def test_concurrent_sweeps_send_each_stale_run_exactly_once(
    sessions: Any,
    engines: Callable[[], async_sessionmaker[Any]],
    monkeypatch: pytest.MonkeyPatch,
    schedulers: int,
) -> None:
    ids = [await _run(sessions, queued=NOW - timedelta(hours=1, minutes=n)) for n in range(12)]
    fresh = await _run(sessions, queued=NOW)
    barrier = asyncio.Barrier(schedulers)
    passed: set[asyncio.Task[Any] | None] = set()
    outcomes: list[bool] = []
    claim = jobs.requeue._claim

    async def read_all_then_claim(*args: Any) -> str | None:
        if asyncio.current_task() not in passed:  # every sweep has read its list by now
            passed.add(asyncio.current_task())
            await barrier.wait()
        marker = await claim(*args)
        outcomes.append(marker is not None)
        return marker

    monkeypatch.setattr(jobs.requeue, "_claim", read_all_then_claim)
    makers = [engines() for _ in range(schedulers)]
    sent = Sent()
    results = await asyncio.gather(
        *(requeue_stale_runs(m, older_than=AFTER, now=NOW, enqueue=sent) for m in makers)
    )
    assert len(outcomes) == len(ids) * schedulers  # every sweep tried every stale run
    assert outcomes.count(True) == len(ids)
    resent = [run_id for run_id, _ in sent.messages]
    assert sorted(resent) == ids and fresh not in resent
    assert sorted(r for result in results for r in result) == ids
    for run_id in ids:
        row = await _row(sessions, run_id)
        assert row.queued_at == NOW and (row.message_id or "").startswith(f"message-{run_id}-")


def test_the_threshold_is_never_below_the_longest_retry_backoff(settings: Settings) -> None:
    short = settings.model_copy(
        update={
            "job_requeue_after_seconds": 1.0,
            "job_max_backoff_ms": 300_000,
            "scheduler_interval_seconds": 15.0,
        }
    )
    assert requeue_after(short) == timedelta(seconds=315)
    long = short.model_copy(update={"job_requeue_after_seconds": 900.0})
    assert requeue_after(long) == timedelta(seconds=900)
    assert Settings.model_fields["job_requeue_after_seconds"].default == 600.0


async def test_the_scheduler_loop_sends_stranded_runs_again(
    sessions: Any, settings: Settings
) -> None:
    update_ = QUIET | {
        "scheduler_interval_seconds": 0.05,
        "job_requeue_after_seconds": 60.0,
        "job_max_backoff_ms": 10,
    }
    fast = settings.model_copy(update=update_)
    run_id = await _run(sessions, queued=NOW - timedelta(minutes=2))
    young = await _run(sessions, queued=NOW - timedelta(seconds=30))
    sent = Sent()
    stop = asyncio.Event()
    moments = iter([NOW, NOW + timedelta(seconds=1)])

    def clock() -> datetime:
        try:
            return next(moments)
        except StopIteration:
            stop.set()
            return NOW + timedelta(seconds=1)

    await asyncio.wait_for(run_scheduler(sessions, fast, stop, enqueue=sent, clock=clock), 10)
    assert sent.messages == [(run_id, "reencrypt")]  # once, though the loop passed twice
    assert (await _row(sessions, young)).queued_at == NOW - timedelta(seconds=30)
