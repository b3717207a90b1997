"""The job actors, declared on a broker by ``declare_actors``; each message carries one id.

- ``sync_stream(run_id)``: ``jobs.sync.run_sync(resources, run_id)`` — one (connector,
  stream) sync run;
- ``relay_outbox(entry_id)``: ``jobs.outbox.relay(resources, entry_id)`` — one delivery;
- ``run_job(run_id)``: every other kind of job run, through ``JOB_KINDS`` (kind → an
  ``async def job(resources, run_id)``, or a "module:function" path imported on first use):
  ``reencrypt`` and ``outbox_sweep`` now (``jobs.job_kinds``), later accruals, forecasts.

Each actor is a plain function that runs its coroutine on the worker's event loop (the
``AsyncIO`` middleware's thread), so it can read the current message (``CurrentMessage``)
first. Around a job run (``guard_run``):

- ``JobCancelled``: the run is made CANCELLED (if the job has not) and the message is done;
- a config or permanent error (``jobs.errors.should_retry`` is False): the run is FAILED at
  once; the broker does not retry (``throws``) and jobs/deadletters.py records the outcome;
- a transient error: the run goes back to QUEUED with the error noted (``requeue_run``) and
  the error propagates, so the broker retries with backoff (``RateLimitedError`` with a
  ``retry_after`` waits at least that long); when retries run out, the dead-letter
  recorder marks it FAILED.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from connectors.errors import RateLimitedError
from jobs.dispatch import ACTOR_QUEUES, queue_name
from jobs.errors import NOT_RETRIED, JobCancelled, PoisonMessage, UnknownJobKind, should_retry
from jobs.requeue import MARKER_PREFIX
from jobs.runs import cancel_run, fail_run, get_run, publish, requeue_run
from jobs.runtime import Resources, current_resources, run_on_worker_loop
from settings import Settings
from store.models.jobs import JobRun

__all__ = [
    "JOB_KINDS",
    "JobFunction",
    "declare_actors",
    "guard_run",
    "register_job",
    "relay_outbox",
    "run_job",
    "sync_stream",
]

log = logging.getLogger("channelhub.jobs")

JobFunction = Callable[[Resources, int], Awaitable[None]]
JOB_KINDS: dict[str, JobFunction | str] = {
    "reencrypt": "jobs.job_kinds:reencrypt_job",
    "outbox_sweep": "jobs.job_kinds:outbox_sweep_job",
    "rebate_accrual": "jobs.accrual:accrual_job",
    "forecast": "jobs.forecast:forecast_job",
    "health_scores": "jobs.health:health_job",
    "purchase_points": "jobs.points:points_job",
}
"""Job-run kinds ``run_job`` knows: a coroutine function or its "module:function" path."""


def register_job(kind: str, job: JobFunction | str) -> None:
    """Teach ``run_job`` a kind of job (call at import time of the worker's modules)."""
    JOB_KINDS[kind] = job


def _job_for(kind: str) -> JobFunction:
    job = JOB_KINDS.get(kind)
    if job is None:
        raise UnknownJobKind(kind, sorted(JOB_KINDS))
    if isinstance(job, str):
        module, _, name = job.partition(":")
        loaded: JobFunction = getattr(importlib.import_module(module), name)
        JOB_KINDS[kind] = job = loaded
    return job


async def guard_run(
    resources: Resources, run_id: int, work: Callable[[], Awaitable[None]], attempt: int
) -> None:
    """Run ``work`` for job run ``run_id`` with the failure policy of the module docstring."""
    try:
        await work()
    except JobCancelled:
        async with resources.sessions.begin() as session:
            run = await cancel_run(session, run_id)
        await publish(resources.events, run)
        log.info("job run %s cancelled", run_id)
    except Exception as error:
        retried = should_retry(error)
        last = retried and attempt > resources.settings.job_max_retries
        if not last:  # the last failure: the dead-letter recorder fails the run
            async with resources.sessions.begin() as session:
                if retried:
                    run = await requeue_run(session, run_id, error)
                else:
                    run = await fail_run(session, run_id, error)
            await publish(resources.events, run)
        log.warning(
            "job run %s attempt %s failed (%s)%s",
            run_id,
            attempt,
            type(error).__name__,
            ": will retry" if retried and not last else "",
        )
        if isinstance(error, RateLimitedError) and error.retry_after:
            raise dramatiq.Retry(str(error), delay=int(error.retry_after * 1000)) from error
        raise


def _attempt() -> int:
    message = CurrentMessage.get_current_message()
    return 1 + int(message.options.get("retries", 0)) if message is not None else 1


def superseded(run: JobRun) -> bool:
    """Whether this message was replaced by a later send of its run (``jobs.requeue``): only
    the latest message of a run runs it, so a slow first copy and its re-send never run the
    same job at once. A run with no recorded message id accepts any message."""
    message = CurrentMessage.get_current_message()
    if message is None or run.message_id is None or run.message_id.startswith(MARKER_PREFIX):
        return False
    return run.message_id != message.message_id


async def _sync(run_id: int, attempt: int) -> None:
    from jobs.sync import run_sync

    resources = current_resources()
    async with resources.sessions() as session:
        run = await get_run(session, run_id)
    if run is not None and superseded(run):
        log.info("job run %s was sent again: this older message is dropped", run_id)
        return
    await guard_run(resources, run_id, lambda: run_sync(resources, run_id), attempt)


async def _job(run_id: int, attempt: int) -> None:
    resources = current_resources()
    async with resources.sessions() as session:
        run = await get_run(session, run_id)
    if run is None:
        log.warning("job run %s does not exist: message dropped", run_id)
        return
    if superseded(run):
        log.info("job run %s was sent again: this older message is dropped", run_id)
        return
    kind = run.kind

    async def work() -> None:
        await _job_for(kind)(resources, run_id)

    await guard_run(resources, run_id, work, attempt)


async def _relay(entry_id: int) -> None:
    from jobs.outbox import relay

    await relay(current_resources(), entry_id)


def _an_id(value: object, what: str) -> int:
    if type(value) is not int or value < 1:
        raise PoisonMessage(f"{what} must be a positive integer id, not {type(value).__name__}")
    return value


def sync_stream(run_id: int) -> None:
    """Sync one (connector, stream) for job run ``run_id``."""
    run_on_worker_loop(_sync(_an_id(run_id, "run_id"), _attempt()))


def run_job(run_id: int) -> None:
    """Run job run ``run_id`` through its kind's job."""
    run_on_worker_loop(_job(_an_id(run_id, "run_id"), _attempt()))


def relay_outbox(entry_id: int) -> None:
    """Deliver outbox entry ``entry_id`` to its ERP."""
    run_on_worker_loop(_relay(_an_id(entry_id, "entry_id")))


ACTORS: dict[str, Callable[[int], None]] = {
    "sync_stream": sync_stream,
    "relay_outbox": relay_outbox,
    "run_job": run_job,
}


def declare_actors(
    broker: dramatiq.Broker, settings: Settings
) -> dict[str, dramatiq.Actor[Any, Any]]:
    """Declare every actor on ``broker`` on its namespaced queue; config errors never retry."""
    assert set(ACTORS) == set(ACTOR_QUEUES)
    return {
        name: dramatiq.Actor(
            function,
            broker=broker,
            actor_name=name,
            queue_name=queue_name(settings, name),
            priority=0,
            options={"throws": NOT_RETRIED},
        )
        for name, function in ACTORS.items()
    }
