"""Job-run records: the status machine by compare-and-set, counts, errors without secrets,
cancel requests, keyset listing with filters, the newest run per stream, and the event."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs import runs
from jobs.runs import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    RunCounts,
    RunFilter,
    create_run,
    error_text,
    fail_run,
    finish_run,
    latest_runs,
    list_runs,
    record_progress,
    request_cancel,
    requeue_run,
    run_event,
    start_run,
)
from store.base import utcnow
from store.engine import create_engine, create_sessionmaker
from store.models import JobRun
from store.pagination import PaginationError, Window


@pytest.fixture
async def sessions(settings):
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def new(sessions: async_sessionmaker[AsyncSession], **fields: Any) -> int:
    fields.setdefault("kind", "sync")
    async with sessions.begin() as session:
        return (await create_run(session, **fields)).id


async def test_a_run_moves_queued_running_succeeded_and_never_back(sessions):
    run_id = await new(sessions, connector="erp", stream="products", params={"why": "test"})
    async with sessions.begin() as session:
        run = await start_run(session, run_id)
        assert run is not None and run.status == RUNNING and run.attempts == 1
        first_start = run.started_at
        counts = RunCounts(read=5, inserted=3, updated=1, unchanged=1, pages=1)
        run = await record_progress(session, run_id, counts, total=50)
        assert run is not None
        assert (run.records_read, run.progress_done, run.progress_total) == (5, 5, 50)
        run = await record_progress(session, run_id, RunCounts(read=2, quarantined=2, pages=1))
        assert run is not None and (run.records_read, run.records_quarantined, run.pages) == (
            7,
            2,
            2,
        )
    async with sessions.begin() as session:
        run = await start_run(session, run_id)  # a redelivery after a crash: a new attempt
        assert run is not None and run.attempts == 2 and run.started_at == first_start
        run = await finish_run(session, run_id)
        assert run is not None and run.status == SUCCEEDED and run.ended_at is not None
        assert json.loads(run.params_json or "") == {"why": "test"}
    async with sessions.begin() as session:
        assert await start_run(session, run_id) is None  # final: nothing to do
        assert await fail_run(session, run_id, RuntimeError("late")) is None
        assert await record_progress(session, run_id, RunCounts(read=1)) is None
        assert await requeue_run(session, run_id, RuntimeError("late")) is None


async def test_errors_are_recorded_without_secrets_and_a_retry_requeues(sessions):
    run_id = await new(sessions, connector="erp", stream="products")
    secret = "s3cr3t-token-value"
    async with sessions.begin() as session:
        await start_run(session, run_id)
        run = await requeue_run(
            session, run_id, ConnectionError(f"GET ?key={secret} failed"), secrets=[secret]
        )
        assert run is not None and run.status == QUEUED
        assert run.error_class == "ConnectionError" and secret not in (run.error_message or "")
        await start_run(session, run_id)
        run = await finish_run(session, run_id)
        assert run is not None and run.error_class is None and run.error_message is None
    assert error_text(ValueError("x" * 5000))[1].endswith("…")
    assert len(error_text(ValueError("x" * 5000))[1]) == runs.MAX_ERROR_CHARS
    assert error_text(KeyError())[1] == "KeyError"  # an empty message names the class


async def test_cancel_requests_by_state(sessions):
    queued = await new(sessions)
    running = await new(sessions)
    done = await new(sessions)
    async with sessions.begin() as session:
        await start_run(session, running)
        await start_run(session, done)
        await fail_run(session, done, RuntimeError("boom"))
    async with sessions.begin() as session:
        run = await request_cancel(session, queued)
        assert run is not None and run.status == CANCELLED and run.ended_at is not None
        run = await request_cancel(session, running)
        assert run is not None and run.status == RUNNING and run.cancel_requested
        run = await request_cancel(session, done)
        assert run is not None and run.status == FAILED and not run.cancel_requested
        assert await request_cancel(session, 999_999) is None


async def test_listing_filters_and_keyset_pages(sessions):
    ids = [await new(sessions, connector="erp", stream=f"s{n % 3}") for n in range(7)]
    other = await new(sessions, kind="reencrypt")
    async with sessions.begin() as session:
        await start_run(session, ids[0])
        await fail_run(session, ids[0], RuntimeError("no"))
        await session.execute(
            update(JobRun).where(JobRun.id == ids[1]).values(queued_at=utcnow() - timedelta(days=3))
        )
    async with sessions() as session:
        page = await list_runs(session, RunFilter(), Window(first=3))
        assert [r.id for r in page.rows] == [other, ids[6], ids[5]] and page.has_next_page
        rest = await list_runs(session, RunFilter(), Window(first=10, after=page.cursors[-1]))
        assert [r.id for r in rest.rows] == ids[4::-1] and not rest.has_next_page
        oldest = await list_runs(session, RunFilter(), Window(first=2), "OLDEST_FIRST")
        assert [r.id for r in oldest.rows] == ids[:2]
        sync_s0 = await list_runs(session, RunFilter(kind="sync", stream="s0"), Window(first=10))
        assert [r.id for r in sync_s0.rows] == [ids[6], ids[3], ids[0]]
        failed = await list_runs(session, RunFilter(statuses=(FAILED,)), Window(first=10))
        assert [r.id for r in failed.rows] == [ids[0]]
        recent = await list_runs(
            session, RunFilter(since=utcnow() - timedelta(days=1)), Window(first=10)
        )
        assert ids[1] not in [r.id for r in recent.rows] and len(recent.rows) == 7
        assert await runs.count_runs(session, RunFilter(connector="erp")) == 7
        with pytest.raises(PaginationError):
            await list_runs(session, RunFilter(), Window(first=1), "SIDEWAYS")

        newest = await latest_runs(session)
        assert {key: run.id for key, run in newest.items()} == {
            ("erp", "s0"): ids[6],
            ("erp", "s1"): ids[4],
            ("erp", "s2"): ids[5],
        }
        assert await latest_runs(session, connector="other") == {}


async def test_the_event_is_json_with_the_graph_names(sessions):
    run_id = await new(sessions, connector="erp", stream="products", mode="full_refresh")
    async with sessions.begin() as session:
        run = await start_run(session, run_id)
    assert run is not None
    event = run_event(run)
    assert json.loads(json.dumps(event)) == event
    assert event["id"] == run_id and event["status"] == RUNNING and event["mode"] == "full_refresh"
    assert {"progressDone", "progressTotal", "recordsQuarantined", "startedAt"} <= event.keys()
    assert event["startedAt"].endswith("+00:00") and event["endedAt"] is None
