"""Dead letters: messages that will not succeed, kept in ``dead_letters`` and replayable.

``DeadLetterRecorder`` is a broker middleware. When the broker rejects a message (its
retries ran out; a permanent error; a poison message that fails every time, names no known
actor or carries arguments its actor cannot take), it

- records the message in ``dead_letters`` with its error class and a message without
  secrets (connector errors are scrubbed when built; a database error shows only its class),
  and marks the message's job run FAILED;
- or, for a config error (jobs/errors.py: fix the config, do not retry), only marks the run
  FAILED with the message saying what to fix — replaying the same message would fail again.

The broker's own dead-letter queue gets the message as well; the worker goes on with the
next message, so a poison message never blocks its queue (failed attempts wait out their
backoff on the delay queue, not in front of other messages).

``replay_dead_letters(sessions, ids)`` sends the recorded messages again (all unreplayed ones
when ``ids`` is None) as new messages with fresh retries, puts their runs back to QUEUED and
stamps ``replayed_at``; it returns how many it sent. A letter is claimed by compare-and-set
on ``replayed_at``, so two concurrent replays send it once.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.errors import ConnectorError
from jobs.dispatch import current_broker, send
from jobs.errors import JobCancelled, JobError, PoisonMessage, is_config_error
from jobs.events import RunEvents
from jobs.runs import FAILED, QUEUED, error_text, fail_run, publish
from jobs.runtime import Resources, current_resources, run_on_worker_loop
from store.base import utcnow
from store.models.jobs import DeadLetter, JobRun

__all__ = [
    "RUN_ACTORS",
    "DeadLetterRecorder",
    "record_rejected",
    "replay_dead_letters",
    "safe_error",
]

log = logging.getLogger("channelhub.jobs")

#: actors whose first argument is a job run id
RUN_ACTORS = frozenset({"sync_stream", "run_job"})
#: message options that are delivery bookkeeping, not part of the message
_TRANSIENT_OPTIONS = ("retries", "traceback", "eta", "redis_message_id", "requeue_timestamp")


def safe_error(error: BaseException | None, *, failures: int = 0) -> BaseException:
    """An exception whose class name and text are safe to store and show."""
    if error is None:
        return PoisonMessage("the broker rejected this message (no error recorded)")
    if isinstance(error, (ConnectorError, JobError)):
        return error  # scrubbed when built
    if isinstance(error, SQLAlchemyError):  # its text holds the statement and its values
        driver = type(getattr(error, "orig", None) or error).__name__
        return _stand_in(type(error).__name__, f"database error {driver} (statement not shown)")
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if failures > 1:
        text = f"{text} (failed {failures} times)"
    return _stand_in(type(error).__name__, text)


def _stand_in(name: str, text: str) -> Exception:
    """An exception named ``name`` carrying only ``text`` (no arguments, no traceback)."""
    stand_in: type[Exception] = type(name, (Exception,), {"__module__": __name__})
    return stand_in(text)


def _run_id(message: dict[str, Any]) -> int | None:
    args = message.get("args") or []
    if message.get("actor_name") in RUN_ACTORS and args and type(args[0]) is int:
        return int(args[0])
    return None


def _queue(name: str) -> str:
    for suffix in (".DQ", ".XQ"):
        name = name.removesuffix(suffix)
    return name


async def record_rejected(
    resources: Resources, message: dict[str, Any], error: BaseException | None
) -> DeadLetter | None:
    """Record a rejected message (see the module docstring); the letter, if one was kept."""
    if isinstance(error, JobCancelled):
        return None
    options = message.get("options") or {}
    shown = safe_error(error, failures=int(options.get("retries") or 0))
    error_class, text = error_text(shown)
    run_id = _run_id(message)
    kept = {k: v for k, v in message.items() if k != "options"}
    kept["options"] = {k: v for k, v in options.items() if k not in _TRANSIENT_OPTIONS}
    letter: DeadLetter | None = None
    async with resources.sessions.begin() as session:
        if not (error is not None and is_config_error(error)):
            letter = await _letter(session, message, kept, run_id, error_class, text)
        run = None if run_id is None else await fail_run(session, run_id, shown)
    await publish(resources.events, run)
    return letter


async def _letter(
    session: AsyncSession,
    message: dict[str, Any],
    kept: dict[str, Any],
    run_id: int | None,
    error_class: str,
    text: str,
) -> DeadLetter:
    message_id = str(message.get("message_id") or uuid.uuid4())
    existing = await session.scalar(select(DeadLetter).where(DeadLetter.message_id == message_id))
    if existing is not None:  # the same message rejected twice (a redelivery): keep one
        return existing
    letter = DeadLetter(
        message_id=message_id,
        queue=_queue(str(message.get("queue_name") or "")),
        actor=str(message.get("actor_name") or "")[:100],
        message_json=json.dumps(kept, sort_keys=True, default=str),
        job_run_id=run_id,
        error_class=error_class[:100],
        error_message=text,
        failed_at=utcnow(),
    )
    session.add(letter)
    await session.flush()
    return letter


class DeadLetterRecorder(Middleware):
    """Records every message the broker rejects (``before_nack``) — see the module docstring."""

    def before_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        error = getattr(message, "_exception", None)
        data = message._message.asdict()
        try:
            letter = run_on_worker_loop(record_rejected(current_resources(), data, error))
        except Exception as problem:  # the broker's own dead-letter queue still has it
            log.error(
                "rejected message %s (%s) not recorded: %s",
                message.message_id,
                message.actor_name,
                type(problem).__name__,
            )
            return
        if letter is not None:
            log.warning(
                "message %s (%s) dead-lettered as %s: %s",
                message.message_id,
                message.actor_name,
                letter.id,
                letter.error_class,
            )


async def replay_dead_letters(
    sessions: async_sessionmaker[AsyncSession],
    ids: list[int] | None = None,
    *,
    events: RunEvents | None = None,
    broker: dramatiq.Broker | None = None,
) -> int:
    """Send dead letters again (``ids``, or every unreplayed one); how many were sent."""
    broker = broker or current_broker()
    stmt = select(DeadLetter.id).where(DeadLetter.replayed_at.is_(None)).order_by(DeadLetter.id)
    if ids is not None:
        stmt = stmt.where(DeadLetter.id.in_(ids))
    async with sessions() as session:
        candidates = list(await session.scalars(stmt))
    sent = 0
    for letter_id in candidates:
        if await _replay_one(sessions, broker, letter_id, events):
            sent += 1
    return sent


async def _replay_one(
    sessions: async_sessionmaker[AsyncSession],
    broker: dramatiq.Broker,
    letter_id: int,
    events: RunEvents | None,
) -> bool:
    stamp = utcnow()
    async with sessions.begin() as session:
        letter = await _claim(session, letter_id, stamp)
        if letter is None:
            return False  # replayed meanwhile by someone else
        run = None
        if letter.job_run_id is not None:
            run = await _requeue_failed(session, letter.job_run_id)
    message = _fresh_message(json.loads(letter.message_json))
    try:
        send(broker, message)
    except Exception:
        async with sessions.begin() as session:  # not sent: leave it to be replayed again
            await session.execute(
                update(DeadLetter)
                .where(DeadLetter.id == letter_id, DeadLetter.replayed_at == stamp)
                .values(replayed_at=None)
            )
            if run is not None:
                await session.execute(
                    update(JobRun)
                    .where(JobRun.id == run.id, JobRun.status == QUEUED)
                    .values(status=FAILED, ended_at=utcnow())
                )
        raise
    if run is not None:
        await publish(events, run)
    return True


async def _claim(session: AsyncSession, letter_id: int, stamp: datetime) -> DeadLetter | None:
    stmt = (
        update(DeadLetter)
        .where(DeadLetter.id == letter_id, DeadLetter.replayed_at.is_(None))
        .values(replayed_at=stamp)
        .returning(DeadLetter)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt)).first()


async def _requeue_failed(session: AsyncSession, run_id: int) -> JobRun | None:
    stmt = (
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == FAILED)
        .values(status=QUEUED, ended_at=None, message_id=None)  # the replayed message runs it
        .returning(JobRun)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return (await session.scalars(stmt)).first()


def _fresh_message(data: dict[str, Any]) -> dramatiq.Message[Any]:
    options = {k: v for k, v in (data.get("options") or {}).items() if k not in _TRANSIENT_OPTIONS}
    return dramatiq.Message(
        queue_name=_queue(str(data["queue_name"])),
        actor_name=str(data["actor_name"]),
        args=tuple(data.get("args") or ()),
        kwargs=dict(data.get("kwargs") or {}),
        options=options,
        message_id=str(uuid.uuid4()),
    )
