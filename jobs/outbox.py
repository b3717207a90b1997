"""The outbox relay: deliver each outbox entry through its connector's write, exactly once.

``relay(resources, entry_id)`` (the ``relay_outbox`` actor) delivers one entry:

1. claim it (own transaction, committed): compare-and-set on (status, attempts) to
   ``SENDING`` with ``attempts + 1`` and a lease until ``now + lease``. A SENT or DEAD entry,
   or one another relay holds (lease not run out), is left alone; of two relays racing for
   one entry exactly one claims it, so an entry is never sent twice at the same time;
2. when the entry was attempted before (a relay may have died after the remote accepted the
   write and before we recorded it; a requeued DEAD entry counts as attempted) and the
   connector kind can look records up
   (``connectors.outbound.SupportsLookup``), look the record up by the idempotency key and
   take its reference instead of writing again; otherwise write with the idempotency key
   (a REST connector sends it in a header: an idempotent remote answers the first record);
3. on success, in one transaction: the entry becomes SENT with the reference and
   ``sent_at``, and the reference is stored on our record as an ``ExternalRef``
   (connector, entity, row id, external id); a ``settlement`` entry's credit note was
   accepted, so the settlement becomes PAID (``jobs.settlements.mark_paid``);
4. on a transient failure (``connectors.errors.RetriableError`` or anything unexpected) the
   entry becomes FAILED with ``next_attempt_at`` = now + exponential backoff with jitter, and
   the error is raised again so the broker retries the message; on a permanent one (config
   errors, ``PermanentError``, a record the operation cannot take, an unknown connector) or
   when the attempts run out it becomes DEAD with the error's class and its secret-free
   message, and ``relay`` returns (a DEAD entry is the record of that failure; fix the cause,
   then ``requeue_dead``).

``relay_due(resources, limit=…)`` is the sweep (the scheduler runs it): it delivers entries
whose time came — PENDING ones whose message was lost, FAILED ones whose backoff passed,
SENDING ones whose relay died (lease run out) — connector by connector concurrently, each
connector's entries in order until its first transient failure (an ERP that is down does not
hold up the others, and is not hammered), and returns how many it sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.errors import ConnectorError, MappingError, RateLimitedError
from connectors.outbound import SupportsLookup
from connectors.protocol import Connector, WriteResult
from jobs.dispatch import enqueue_outbox
from jobs.errors import JobError, should_retry
from jobs.outbox_entries import SETTLEMENT_ENTITY
from settings import Settings
from store.base import utcnow
from store.models import OutboxEntry
from store.repositories.outbox import DEAD, FAILED, SENDING, SENT, OutboxRepository

__all__ = [
    "Delivery",
    "RelayPolicy",
    "RelayResources",
    "enqueue_entries",
    "relay",
    "relay_due",
    "requeue_dead",
]

log = logging.getLogger("channelhub.jobs.outbox")

REFERENCE_LIMIT = 200
"""Longest reference an entry and an ``ExternalRef`` hold."""

Clock = Callable[[], datetime]


class _ConnectorSource(Protocol):
    async def get(self, name: str) -> tuple[Connector, Any]: ...


class RelayResources(Protocol):
    """What the relay uses of ``jobs.runtime.Resources`` (which satisfies this)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def connectors(self) -> _ConnectorSource: ...


@dataclass(frozen=True)
class RelayPolicy:
    """Attempts, backoff and lease of deliveries."""

    max_attempts: int = 11
    base_delay: float = 1.0
    max_delay: float = 300.0
    lease: float = 300.0
    """Seconds one claim lasts: longer than any send can take (the connector's own retries
    included). An entry whose relay died is delivered again once its lease runs out."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayPolicy:
        """The broker's retry knobs: an entry gets as many attempts as a job message."""
        return cls(
            max_attempts=settings.job_max_retries + 1,
            base_delay=settings.job_min_backoff_ms / 1000,
            max_delay=settings.job_max_backoff_ms / 1000,
        )

    def backoff(self, attempt: int, jitter: float) -> float:
        """Seconds before attempt ``attempt + 1``: doubling, capped, half of it jittered."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** min(max(0, attempt - 1), 60))
        return delay / 2 + delay / 2 * jitter


class Delivery(Enum):
    """How one delivery attempt ended."""

    SENT = "sent"
    SKIPPED = "skipped"  # already SENT/DEAD, held by another relay, or lost a race
    FAILED = "failed"  # transient: will be retried
    DEAD = "dead"


@dataclass(frozen=True)
class _Claim:
    entry_id: int
    connector: str
    operation: str
    key: str
    payload: str
    entity: str
    entity_id: int
    attempt: int  # this attempt's number, from 1
    maybe_sent: bool  # an earlier attempt (before a requeue too) may have reached the remote


@dataclass(frozen=True)
class _Outcome:
    delivery: Delivery
    error: BaseException | None = None


def _permanent(error: BaseException) -> bool:
    return isinstance(error, MappingError) or not should_retry(error)


def _message(error: BaseException) -> str:
    """A failure's text for the entry: our own errors are scrubbed when built; anything else
    is named by its class only (its text might hold data we must not store)."""
    if isinstance(error, ConnectorError | JobError):
        return str(error)
    return f"{type(error).__name__}: unexpected error (details in the worker log)"


async def _claim(
    sessions: async_sessionmaker[AsyncSession], entry_id: int, policy: RelayPolicy, now: datetime
) -> _Claim | Delivery:
    async with sessions.begin() as session:
        repository = OutboxRepository(session)
        entry = await repository.get(entry_id)
        if entry is None:
            log.warning("outbox entry %d does not exist: nothing to deliver", entry_id)
            return Delivery.SKIPPED
        if entry.status in (SENT, DEAD) or (
            entry.status == SENDING and entry.next_attempt_at > now
        ):
            return Delivery.SKIPPED
        if entry.attempts >= policy.max_attempts:
            message = f"gave up after {entry.attempts} attempts; last error: {entry.last_error}"
            await repository.mark_failed(
                entry.id,
                entry.status,
                entry.attempts,
                to=DEAD,
                error_class=entry.last_error_class or "AttemptsExhausted",
                error=message,
                next_attempt_at=now,
            )
            return Delivery.DEAD
        if not await repository.claim(entry, now + timedelta(seconds=policy.lease)):
            return Delivery.SKIPPED
        return _claim_of(entry)


def _claim_of(entry: OutboxEntry) -> _Claim:
    return _Claim(
        entry.id,
        entry.connector,
        entry.operation,
        entry.idempotency_key,
        entry.payload_json,
        entry.entity,
        entry.entity_id,
        entry.attempts + 1,
        entry.attempts > 0 or entry.last_error_class is not None,
    )


async def _send(resources: RelayResources, claim: _Claim) -> WriteResult:
    connector, _config = await resources.connectors.get(claim.connector)
    record = json.loads(claim.payload)
    if claim.maybe_sent and isinstance(connector, SupportsLookup):
        found = await connector.lookup(claim.operation, record, idempotency_key=claim.key)
        if found is not None:
            log.info("outbox entry %d: found at %s by its key", claim.entry_id, claim.connector)
            return found
    return await connector.write(claim.operation, record, idempotency_key=claim.key)


async def _fail(
    sessions: async_sessionmaker[AsyncSession],
    claim: _Claim,
    error: BaseException,
    policy: RelayPolicy,
    now: datetime,
) -> _Outcome:
    dead = _permanent(error) or claim.attempt >= policy.max_attempts
    delay = 0.0 if dead else policy.backoff(claim.attempt, random.random())  # noqa: S311
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        delay = max(delay, error.retry_after)
    async with sessions.begin() as session:
        changed = await OutboxRepository(session).mark_failed(
            claim.entry_id,
            SENDING,
            claim.attempt,
            to=DEAD if dead else FAILED,
            error_class=type(error).__name__,
            error=_message(error),
            next_attempt_at=now + timedelta(seconds=delay),
        )
    if not changed:
        log.warning("outbox entry %d: lease lost before the failure was recorded", claim.entry_id)
        return _Outcome(Delivery.SKIPPED)
    verdict = "dead" if dead else f"retry in {delay:.0f}s"
    log.warning(
        "outbox entry %d to %s failed (attempt %d, %s): %s",
        claim.entry_id,
        claim.connector,
        claim.attempt,
        verdict,
        _message(error),
    )
    return _Outcome(Delivery.DEAD if dead else Delivery.FAILED, None if dead else error)


async def _acknowledge(
    sessions: async_sessionmaker[AsyncSession], claim: _Claim, result: WriteResult, now: datetime
) -> Delivery:
    async with sessions.begin() as session:
        repository = OutboxRepository(session)
        if not await repository.mark_sent(claim.entry_id, claim.attempt, result.reference, now):
            log.warning("outbox entry %d: sent, but its lease was taken over", claim.entry_id)
            return Delivery.SKIPPED
        linked = await repository.link_reference(
            claim.connector, claim.entity, claim.entity_id, result.reference
        )
        if claim.entity == SETTLEMENT_ENTITY:  # finance took the credit note: it is paid
            from jobs.settlements import mark_paid

            await mark_paid(session, claim.entity_id, result.reference)
    if not linked:
        log.warning(
            "outbox entry %d: %s reference %r already belongs to another %s",
            claim.entry_id,
            claim.connector,
            result.reference,
            claim.entity,
        )
    return Delivery.SENT


async def _deliver(
    resources: RelayResources, entry_id: int, policy: RelayPolicy, now: Clock
) -> _Outcome:
    sessions = resources.sessions
    claimed = await _claim(sessions, entry_id, policy, now())
    if isinstance(claimed, Delivery):
        return _Outcome(claimed)
    try:
        result = await _send(resources, claimed)
        if len(result.reference) > REFERENCE_LIMIT:
            raise MappingError(
                f"the remote's reference is longer than {REFERENCE_LIMIT} characters"
            )
    except Exception as error:
        return await _fail(sessions, claimed, error, policy, now())
    return _Outcome(await _acknowledge(sessions, claimed, result, now()))


async def relay(
    resources: RelayResources,
    entry_id: int,
    *,
    policy: RelayPolicy | None = None,
    now: Clock = utcnow,
) -> None:
    """Deliver outbox entry ``entry_id`` (see the module doc); raises a transient failure
    again so the broker retries the message."""
    outcome = await _deliver(resources, entry_id, policy or _policy(resources), now)
    if outcome.error is not None:
        raise outcome.error


async def relay_due(
    resources: RelayResources,
    *,
    limit: int = 500,
    policy: RelayPolicy | None = None,
    now: Clock = utcnow,
) -> int:
    """Deliver up to ``limit`` entries whose time came; the number sent."""
    policy = policy or _policy(resources)
    async with resources.sessions() as session:
        due = await OutboxRepository(session).due(now(), limit)
    by_connector: dict[str, list[int]] = {}
    for entry_id, connector in due:
        by_connector.setdefault(connector, []).append(entry_id)

    async def drain(entry_ids: list[int]) -> int:
        sent = 0
        for entry_id in entry_ids:
            try:
                outcome = await _deliver(resources, entry_id, policy, now)
            except Exception as error:  # the store failed us: this entry is retried later
                log.warning(
                    "outbox sweep: entry %d not delivered (%s)", entry_id, type(error).__name__
                )
                break
            sent += outcome.delivery is Delivery.SENT
            if outcome.delivery is Delivery.FAILED:
                break  # the remote is failing: leave the rest for the next sweep
        return sent

    return sum(await asyncio.gather(*(drain(ids) for ids in by_connector.values())))


def _policy(resources: RelayResources) -> RelayPolicy:
    return RelayPolicy.from_settings(resources.settings)


async def requeue_dead(
    sessions: async_sessionmaker[AsyncSession], entry_ids: list[int], *, now: Clock = utcnow
) -> list[int]:
    """DEAD entries back to PENDING with a fresh attempt budget; enqueue what this returns."""
    async with sessions.begin() as session:
        return await OutboxRepository(session).requeue_dead(entry_ids, now())


def enqueue_entries(entry_ids: list[int]) -> None:
    """Send a relay message per committed entry. A broker that fails is logged, not raised:
    the entries are committed and the sweep delivers them (``relay_due``)."""
    if not entry_ids:
        return
    try:
        for entry_id in entry_ids:
            enqueue_outbox(entry_id)
    except Exception as error:
        log.warning(
            "outbox entries %s not enqueued (%s); the outbox sweep will deliver them",
            entry_ids,
            type(error).__name__,
        )
