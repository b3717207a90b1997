"""Re-encryption as a job: queued as a ``reencrypt`` run, run by a worker, progress in the run,
audited, safe to run twice; and the outbox sweep as a job run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from jobs.events import InProcessEvents
from jobs.key_admin import KeyTools
from jobs.runs import SUCCEEDED
from settings import Settings
from tests.jobs.worker_harness import job_settings, queue_run, running_worker, wait_for_runs
from tests.security.encrypted_partners import audit_entries, create, reveal_all


@pytest.fixture
async def tools(app: Any, settings: Settings) -> AsyncIterator[KeyTools]:
    operator = KeyTools(settings)
    yield operator
    await operator.close()


async def _states(tools: KeyTools) -> dict[str, int]:
    merged: dict[str, int] = {}
    for column in (await tools.status()).columns.values():
        for state, count in column.by_state.items():
            merged[state] = merged.get(state, 0) + count
    return merged


async def test_reencryption_runs_as_a_job_with_its_progress_in_the_run(
    gql: Any, tools: KeyTools, sessions: Any, settings: Settings
) -> None:
    partners = [
        await create(gql, f"R{n}", taxId=f"91330100000000{n:04d}", contactPhone=f"+86 {n:04d}")
        for n in range(7)
    ]
    await tools.rotate()
    assert (await _states(tools)).get("decrypt_only") == 14
    events = InProcessEvents()
    subscription = events.subscribe()
    await subscription.ready()
    async with running_worker(job_settings(settings), events=events):
        first = await queue_run(sessions, "reencrypt", params={"batch": 3}, requested_by="ops")
        run = (await wait_for_runs(sessions, [first]))[first]
        second = await queue_run(sessions, "reencrypt", params={"batch": 3})
        again = (await wait_for_runs(sessions, [second]))[second]
    await events.publish({"id": 0, "status": "END"})
    seen = []
    async for event in subscription:
        if event["id"] == 0:
            break
        seen.append(event)
    await subscription.aclose()

    assert (run.status, run.attempts, run.error_class) == (SUCCEEDED, 1, None)
    assert (run.progress_done, run.progress_total, run.records_read) == (7, 7, 7)
    assert await _states(tools) == {"active": 14}
    assert again.status == SUCCEEDED  # nothing left to move: a no-op
    statuses = [e["status"] for e in seen if e["id"] == first]
    assert statuses[0] == "RUNNING" and statuses[-1] == SUCCEEDED
    assert any(e["progressDone"] == 7 and e["status"] == "RUNNING" for e in seen)
    [audited, *_] = await audit_entries(sessions, "keys.reencrypt")
    detail = json.loads(audited.detail)
    assert detail["job_run"] == first and detail["moved"] == 14
    assert audited.actor == "job:ops"
    revealed = await reveal_all(gql, partners[4]["id"], "integrity check")
    assert revealed["taxId"]["value"] == "913301000000000004"


async def test_the_outbox_sweep_runs_as_a_job(sessions: Any, settings: Settings) -> None:
    async with running_worker(job_settings(settings)):
        run_id = await queue_run(sessions, "outbox_sweep", trigger="schedule")
        run = (await wait_for_runs(sessions, [run_id]))[run_id]
    assert (run.status, run.records_read, run.error_class) == (SUCCEEDED, 0, None)
