"""The scheduler starts each due run exactly once: a due schedule becomes one QUEUED run
(trigger "schedule") enqueued after its commit; missed slots coalesce into one run; two (or
four) schedulers ticking at once — separate engines, so on PostgreSQL truly concurrent
connections — enqueue each due run once; a schedule whose previous run is still active skips
its slot; a run that cannot be enqueued is FAILED with the reason; the loop stops cleanly."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.errors import BrokerUnavailable
from jobs.runs import start_run
from jobs.scheduler import EmbeddedScheduler, run_scheduler, tick
from jobs.schedules import sync_schedules
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models.jobs import Schedule
from store.repositories.schedules import ScheduleRepository
from tests.jobs.scheduling import runs, schedules, store_connector

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NO_SWEEP = {"outbox_sweep_cron": "", "rebate_accrual_cron": "", "forecast_cron": ""}


class Sent:
    """A thread-safe record of what was enqueued (``enqueue`` runs in a worker thread)."""

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def __call__(self, run_id: int, kind: str) -> str:
        with self._lock:
            self.messages.append((run_id, kind))
            return f"message-{run_id}"


@pytest.fixture
def quiet(settings: Settings) -> Settings:
    """Settings without the outbox sweep: only the connectors' schedules exist."""
    return settings.model_copy(update=NO_SWEEP)


async def _due_in(app: Any, settings: Settings, streams: dict[str, str | None]) -> None:
    await store_connector(app, "erp", streams)
    await sync_schedules(app.state.hub.sessions, settings, T0)


async def test_a_due_schedule_becomes_one_queued_run_enqueued_once(
    app: Any, quiet: Settings
) -> None:
    sessions = app.state.hub.sessions
    await _due_in(app, quiet, {"partners": "*/15 * * * *"})
    sent = Sent()
    assert await tick(sessions, T0 + timedelta(minutes=14), enqueue=sent) == []  # not yet due
    [run_id] = await tick(sessions, T0 + timedelta(minutes=15), enqueue=sent)
    assert sent.messages == [(run_id, "sync")]
    [run] = await runs(app)
    assert (run.id, run.kind, run.connector, run.stream) == (run_id, "sync", "erp", "partners")
    assert (run.status, run.trigger, run.requested_by) == ("QUEUED", "schedule", "scheduler")
    row = (await schedules(app))["sync:erp:partners"]
    assert row.last_run_id == run_id
    assert row.last_run_at == T0 + timedelta(minutes=15)
    assert row.next_run_at == T0 + timedelta(minutes=30)
    # the same moment again: nothing more is due
    assert await tick(sessions, T0 + timedelta(minutes=15), enqueue=sent) == []
    assert len(sent.messages) == 1


async def test_missed_slots_coalesce_into_one_run(app: Any, quiet: Settings) -> None:
    sessions = app.state.hub.sessions
    await _due_in(app, quiet, {"partners": "*/5 * * * *"})
    sent = Sent()
    down_until = T0 + timedelta(hours=3, minutes=2)  # 36 slots passed while no scheduler ran
    started = await tick(sessions, down_until, enqueue=sent)
    assert len(started) == 1 and len(sent.messages) == 1
    row = (await schedules(app))["sync:erp:partners"]
    assert row.next_run_at == T0 + timedelta(hours=3, minutes=5)


async def test_the_periodic_outbox_sweep_is_a_run_of_its_own_kind(
    app: Any, settings: Settings
) -> None:
    sessions = app.state.hub.sessions
    await sync_schedules(sessions, settings, T0)
    sent = Sent()
    [run_id] = await tick(sessions, T0 + timedelta(minutes=1), enqueue=sent)
    assert sent.messages == [(run_id, "outbox_sweep")]
    [run] = await runs(app)
    assert (run.kind, run.connector, run.stream, run.mode) == ("outbox_sweep", None, None, None)


@pytest.fixture
async def engines(settings: Settings) -> AsyncIterator[Callable[[], async_sessionmaker[Any]]]:
    """Make session factories on engines of their own (separate connections); all disposed."""
    made = []

    def make() -> async_sessionmaker[AsyncSession]:
        engine = create_engine(settings)
        made.append(engine)
        return create_sessionmaker(engine)

    yield make
    for engine in made:
        await engine.dispose()


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[bool]]:
    """``claims(n)``: make ``n`` schedulers read their due lists before any of them claims
    (a barrier after the read), and record each claim's outcome."""
    outcomes: list[bool] = []

    def arm(parties: int) -> list[bool]:
        barrier = asyncio.Barrier(parties)
        due, claim = ScheduleRepository.due, ScheduleRepository.claim

        async def due_then_wait(self: ScheduleRepository, now: datetime) -> Any:
            found = await due(self, now)
            await barrier.wait()
            return found

        async def recorded_claim(self: ScheduleRepository, *args: Any) -> bool:
            won = await claim(self, *args)
            outcomes.append(won)
            return won

        monkeypatch.setattr(ScheduleRepository, "due", due_then_wait)
        monkeypatch.setattr(ScheduleRepository, "claim", recorded_claim)
        return outcomes

    return arm


@pytest.mark.parametrize("schedulers", [2, 4])
async def test_concurrent_schedulers_enqueue_each_due_run_exactly_once(
    app: Any,
    quiet: Settings,
    engines: Callable[[], async_sessionmaker[Any]],
    claims: Callable[[int], list[bool]],
    schedulers: int,
) -> None:
    streams: dict[str, str | None] = {f"s{n:02d}": "* * * * *" for n in range(12)}
    await _due_in(app, quiet, streams)
    makers = [engines() for _ in range(schedulers)]
    outcomes = claims(schedulers)
    sent = Sent()
    per_scheduler: list[list[int]] = []
    for minute in range(1, 4):  # three slots in a row, every scheduler ticking each one
        now = T0 + timedelta(minutes=minute)
        results = await asyncio.gather(*(tick(m, now, enqueue=sent) for m in makers))
        per_scheduler.extend(results)
        await _finish_all(app)  # the runs end, so the next slot is not skipped
    # every scheduler tried every due schedule; exactly one claim of each slot won
    assert len(outcomes) == 3 * len(streams) * schedulers
    assert outcomes.count(True) == 3 * len(streams)
    enqueued = [run_id for run_id, _ in sent.messages]
    assert len(enqueued) == len(set(enqueued)) == 3 * len(streams)
    assert sorted(enqueued) == sorted(r for result in per_scheduler for r in result)
    all_runs = await runs(app)
    assert sorted(run.id for run in all_runs) == sorted(enqueued)
    by_stream: dict[str | None, int] = {}
    for run in all_runs:
        by_stream[run.stream] = by_stream.get(run.stream, 0) + 1
    assert by_stream == {stream: 3 for stream in streams}


async def _finish_all(app: Any) -> None:
    from store.models.jobs import JobRun

    async with app.state.hub.sessions.begin() as session:
        await session.execute(update(JobRun).values(status="SUCCEEDED", ended_at=T0))


async def test_a_slot_is_skipped_while_the_previous_run_is_active(
    app: Any, quiet: Settings
) -> None:
    sessions = app.state.hub.sessions
    await _due_in(app, quiet, {"partners": "*/5 * * * *"})
    sent = Sent()
    [first] = await tick(sessions, T0 + timedelta(minutes=5), enqueue=sent)
    async with sessions.begin() as session:
        await start_run(session, first, now=T0 + timedelta(minutes=9))
    assert await tick(sessions, T0 + timedelta(minutes=10), enqueue=sent) == []
    row = (await schedules(app))["sync:erp:partners"]
    assert (row.last_run_id, row.next_run_at) == (first, T0 + timedelta(minutes=15))
    # a run silent for longer than the stale limit no longer holds the schedule back
    late = T0 + timedelta(minutes=75)
    [second] = await tick(sessions, late, enqueue=sent, stale_after=timedelta(hours=1))
    assert [run_id for run_id, _ in sent.messages] == [first, second]


async def test_a_run_that_cannot_be_enqueued_is_failed_with_the_reason(
    app: Any, quiet: Settings
) -> None:
    sessions = app.state.hub.sessions
    await _due_in(app, quiet, {"partners": "*/5 * * * *"})

    def broker_down(run_id: int, kind: str) -> str:
        raise BrokerUnavailable("ConnectionError")

    assert await tick(sessions, T0 + timedelta(minutes=5), enqueue=broker_down) == []
    [run] = await runs(app)
    assert (run.status, run.error_class) == ("FAILED", "BrokerUnavailable")
    # the failed run does not hold the next slot back
    sent = Sent()
    [retry] = await tick(sessions, T0 + timedelta(minutes=10), enqueue=sent)
    assert sent.messages == [(retry, "sync")]


async def test_a_schedule_edited_to_a_bad_cron_is_left_alone(
    app: Any, quiet: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = app.state.hub.sessions
    await _due_in(app, quiet, {"partners": "*/5 * * * *"})
    async with sessions.begin() as session:
        await session.execute(update(Schedule).values(cron="99 * * * *"))
    assert await tick(sessions, T0 + timedelta(minutes=5), enqueue=Sent()) == []
    assert "schedule 'sync:erp:partners'" in caplog.text and await runs(app) == []


async def test_the_loop_syncs_ticks_and_stops_when_asked(app: Any, quiet: Settings) -> None:
    await store_connector(app, "erp", {"partners": "* * * * *"})
    fast = quiet.model_copy(update={"scheduler_interval_seconds": 0.05})
    sent = Sent()
    moments = iter([T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)])
    stop = asyncio.Event()

    def clock() -> datetime:
        try:
            return next(moments)
        except StopIteration:
            stop.set()
            return T0 + timedelta(minutes=2)

    await asyncio.wait_for(
        run_scheduler(app.state.hub.sessions, fast, stop, enqueue=sent, clock=clock), 10
    )
    assert [kind for _, kind in sent.messages] == ["sync"]  # T0+1 min; T0+2 min: previous active
    assert len(await runs(app)) == 1


async def test_the_embedded_scheduler_is_a_task_that_stops_cleanly(
    app: Any, quiet: Settings
) -> None:
    await store_connector(app, "erp", {"partners": "* * * * *"})
    await sync_schedules(app.state.hub.sessions, quiet, T0)  # first slot long past: due now
    sent = Sent()
    fast = quiet.model_copy(update={"scheduler_interval_seconds": 0.05})
    scheduler = EmbeddedScheduler(app.state.hub.sessions, fast, enqueue=sent)
    scheduler.start()
    for _ in range(200):
        if sent.messages:
            break
        await asyncio.sleep(0.02)
    await asyncio.wait_for(scheduler.stop(), 5)
    assert [kind for _, kind in sent.messages] == ["sync"]
