"""Poison messages on each broker: dead-lettered after their retries (or at once when they can
never succeed), recorded without secrets, replayable once, and never blocking the queue."""

from __future__ import annotations

from typing import Any

import anyio
import dramatiq
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs.actors import JOB_KINDS
from jobs.deadletters import replay_dead_letters, safe_error
from jobs.dispatch import current_broker, enqueue_message
from jobs.runs import FAILED, SUCCEEDED, error_text, finish_run, start_run
from jobs.runtime import Resources
from settings import Settings
from store.models.jobs import DeadLetter, JobRun
from tests.jobs.worker_harness import (
    queue_run,
    running_worker,
    wait_for_runs,
)

CURED: dict[str, bool] = {}


async def poison_job(resources: Resources, run_id: int) -> None:
    """Crashes every time, until the test cures it."""
    async with resources.sessions.begin() as session:
        await start_run(session, run_id)
    if not CURED.get("poison"):
        raise RuntimeError("boom: this record always crashes the job")
    async with resources.sessions.begin() as session:
        await finish_run(session, run_id)


async def ok_job(resources: Resources, run_id: int) -> None:
    async with resources.sessions.begin() as session:
        await start_run(session, run_id)
    async with resources.sessions.begin() as session:
        await finish_run(session, run_id)


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(JOB_KINDS, "t_poison", poison_job)
    monkeypatch.setitem(JOB_KINDS, "t_ok", ok_job)
    monkeypatch.setitem(CURED, "poison", False)


async def _letters(sessions: Any, count: int, within: float = 20.0) -> list[DeadLetter]:
    with anyio.fail_after(within):
        while True:
            async with sessions() as session:
                letters = list(await session.scalars(select(DeadLetter).order_by(DeadLetter.id)))
            if len(letters) >= count:
                return letters
            await anyio.sleep(0.05)


async def test_a_poison_message_is_dead_lettered_after_its_retries_and_replays_once(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    async with running_worker(broker_settings, threads=1):
        poison = await queue_run(sessions, "t_poison")
        others = [await queue_run(sessions, "t_ok") for _ in range(3)]
        done = await wait_for_runs(sessions, others)  # the queue goes on meanwhile
        assert {run.status for run in done.values()} == {SUCCEEDED}
        [letter] = await _letters(sessions, 1)
        failed = (await wait_for_runs(sessions, [poison]))[poison]

        assert (failed.status, failed.attempts, failed.error_class) == (FAILED, 3, "RuntimeError")
        assert letter.job_run_id == poison and letter.actor == "run_job"
        assert letter.queue == f"{broker_settings.broker_namespace}.jobs"
        assert letter.error_class == "RuntimeError"
        assert letter.error_message == "boom: this record always crashes the job (failed 3 times)"
        assert letter.replayed_at is None and "traceback" not in letter.message_json

        CURED["poison"] = True  # the cause is fixed: replay
        assert await replay_dead_letters(sessions, [letter.id]) == 1
        assert await replay_dead_letters(sessions) == 0  # claimed once
        replayed = (await wait_for_runs(sessions, [poison]))[poison]
    assert (replayed.status, replayed.error_class) == (SUCCEEDED, None)
    async with sessions() as session:
        stored = await session.get(DeadLetter, letter.id)
        assert stored is not None and stored.replayed_at is not None
        assert len(list(await session.scalars(select(DeadLetter)))) == 1


async def test_messages_no_actor_can_take_are_dead_lettered_at_once(
    broker_settings: Settings, sessions: Any, kinds: None
) -> None:
    async with running_worker(broker_settings, threads=1):
        enqueue_message("run_job", "not-an-id")
        queue = f"{broker_settings.broker_namespace}.jobs"
        current_broker().enqueue(
            dramatiq.Message(
                queue_name=queue, actor_name="no_such_actor", args=(1,), kwargs={}, options={}
            )
        )
        behind = await queue_run(sessions, "t_ok")
        letters = await _letters(sessions, 2)
        assert (await wait_for_runs(sessions, [behind]))[behind].status == SUCCEEDED
    by_actor = {letter.actor: letter for letter in letters}
    assert by_actor["run_job"].error_class == "PoisonMessage"
    assert by_actor["run_job"].error_message == "run_id must be a positive integer id, not str"
    assert by_actor["run_job"].job_run_id is None
    assert by_actor["no_such_actor"].error_class == "ActorNotFound"
    assert by_actor["no_such_actor"].queue == queue


async def test_a_replay_that_cannot_reach_the_broker_leaves_the_letter_to_replay_later(
    settings: Settings, sessions: Any
) -> None:
    async with sessions.begin() as session:
        run = JobRun(kind="t_poison", status=FAILED, error_class="RuntimeError")
        session.add(run)
        await session.flush()
        letter = DeadLetter(
            message_id="m-1",
            queue="channelhub.jobs",
            actor="run_job",
            message_json='{"queue_name": "channelhub.jobs", "actor_name": "run_job", '
            f'"args": [{run.id}], "kwargs": {{}}, "options": {{}}}}',
            job_run_id=run.id,
        )
        session.add(letter)

    class DownBroker(dramatiq.Broker):
        def enqueue(self, message: Any, *, delay: Any = None) -> Any:
            raise ConnectionRefusedError("broker down")

    with pytest.raises(Exception, match="not reachable"):
        await replay_dead_letters(sessions, broker=DownBroker(middleware=[]))
    async with sessions() as session:
        kept = await session.get(DeadLetter, letter.id)
        still = await session.get(JobRun, run.id)
    assert kept is not None and kept.replayed_at is None
    assert still is not None and still.status == FAILED


def test_stored_errors_never_carry_statement_values() -> None:
    secret = "4111-1111-1111-1111"
    statement = f"INSERT INTO partners VALUES ('{secret}')"
    error = IntegrityError(statement, {"iban": secret}, Exception("duplicate key"))
    error_class, text = error_text(safe_error(error))
    assert secret not in text and "statement not shown" in text
    assert error_class == "IntegrityError"
    assert error_text(safe_error(None))[0] == "PoisonMessage"
