"""Retry quarantined records after a mapping fix: re-map their sealed raw payloads with the
connector's CURRENT config and store those that now pass.

``retry_quarantined(resources, connector=…, stream=None, ids=None)`` takes the unresolved
quarantined records of a connector (optionally one stream, or given ids), oldest first, and
goes through them in batches, each batch one transaction like a sync page: a record that
now maps and validates is stored (inserted, updated or found unchanged) and its quarantine
row marked resolved; one that still fails is marked retried and keeps its new reason; an
older copy of a record that a newer one replaces is resolved with it. A payload that cannot
be opened (its key was shredded) stays as it is and is counted ``unreadable``. A stream the
config no longer declares (or whose mapping does not fit) is a config error: nothing is
written for it. Retrying twice is harmless: resolved rows are not taken again, and storing a
record that is already stored finds it unchanged.

``retry_waiting_references`` is the automatic part: each sync run ends by retrying a batch of
its stream's records that were quarantined only because a record they refer to was not in
the hub yet (an order of a partner not synced yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from jobs.channel_events import publish_deferred
from jobs.sync.pages import StreamTarget, store_records
from jobs.sync.resources import SyncResources
from jobs.sync.sinks.base import bulk_update
from jobs.sync.targets import stream_target
from security.errors import CryptoError
from store.base import utcnow
from store.models import QuarantinedRecord
from store.repositories.quarantine import QuarantineRepository

__all__ = ["RetryOutcome", "retry_quarantined", "retry_waiting_references"]

BATCH = 500


@dataclass
class RetryOutcome:
    """What a retry did; ``resolved + still_failing + unreadable == retried``."""

    retried: int = 0
    resolved: int = 0
    still_failing: int = 0
    unreadable: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    streams: list[str] = field(default_factory=list)


async def _pending(
    resources: SyncResources,
    connector: str,
    stream: str | None,
    ids: Sequence[int] | None,
    after_id: int,
) -> list[QuarantinedRecord]:
    stmt = select(QuarantinedRecord).where(
        QuarantinedRecord.connector == connector,
        QuarantinedRecord.resolved_at.is_(None),
        QuarantinedRecord.id > after_id,
    )
    if stream is not None:
        stmt = stmt.where(QuarantinedRecord.stream == stream)
    if ids is not None:
        stmt = stmt.where(QuarantinedRecord.id.in_(sorted(set(ids))))
    async with resources.sessions() as session:
        return list((await session.scalars(stmt.order_by(QuarantinedRecord.id).limit(BATCH))).all())


async def retry_quarantined(
    resources: SyncResources,
    *,
    connector: str,
    stream: str | None = None,
    ids: Sequence[int] | None = None,
) -> RetryOutcome:
    """Re-map and store the unresolved quarantined records chosen (see the module docstring)."""
    _, config = await resources.connectors.get(connector)  # UnknownConnector
    outcome = RetryOutcome()
    targets: dict[str, StreamTarget] = {}
    after_id = 0
    while rows := await _pending(resources, connector, stream, ids, after_id):
        after_id = rows[-1].id
        by_stream: dict[str, list[QuarantinedRecord]] = {}
        for row in rows:
            by_stream.setdefault(row.stream, []).append(row)
        for name, group in by_stream.items():
            if name not in targets:
                targets[name] = await stream_target(resources, connector, config, name)
                outcome.streams.append(name)
            await _retry_batch(resources, targets[name], group, outcome)
    return outcome


WAITING_REASON = "%with external id %from this connector%"
"""What an unresolved reference's reason says (``connectors.mapper``, ``sinks.order_status``)."""


async def retry_waiting_references(
    resources: SyncResources, target: StreamTarget, *, limit: int = BATCH
) -> RetryOutcome:
    """Retry this stream's records quarantined for a reference that was not there yet.

    Run at the end of each run of the stream: an order quarantined because its partner had
    not been synced is stored once the partner is there. At most ``limit`` rows per run,
    those retried longest ago first, so a reference that never comes costs little.
    """
    stmt = (
        select(QuarantinedRecord)
        .where(
            QuarantinedRecord.connector == target.connector,
            QuarantinedRecord.stream == target.stream,
            QuarantinedRecord.resolved_at.is_(None),
            QuarantinedRecord.reason.like(WAITING_REASON),
        )
        .order_by(
            func.coalesce(QuarantinedRecord.retried_at, QuarantinedRecord.created_at),
            QuarantinedRecord.id,
        )
        .limit(limit)
    )
    async with resources.sessions() as session:
        rows = sorted((await session.scalars(stmt)).all(), key=lambda row: row.id)
    outcome = RetryOutcome(streams=[target.stream])
    if rows:
        await _retry_batch(resources, target, rows, outcome)
    return outcome


async def _retry_batch(
    resources: SyncResources,
    target: StreamTarget,
    rows: list[QuarantinedRecord],
    outcome: RetryOutcome,
) -> None:
    async with resources.sessions() as session:
        opened = await QuarantineRepository(session, resources.keys).payloads(rows)
    readable = [(row, p) for row, p in zip(rows, opened, strict=True) if not _unreadable(p)]
    outcome.retried += len(rows)
    outcome.unreadable += len(rows) - len(readable)
    if not readable:
        return
    async with resources.sessions.begin() as session:
        now = utcnow()
        stored = await store_records(session, target, [p for _, p in readable], now)
        outcome.inserted += stored.inserted
        outcome.updated += stored.updated
        outcome.unchanged += stored.unchanged
        done = {*stored.stored, *stored.superseded}
        resolved = [readable[i][0].id for i in sorted(done)]
        await QuarantineRepository(session, resources.keys).mark_resolved(resolved, now)
        failing: list[dict[str, Any]] = [
            {"id": readable[r.index][0].id, "reason": r.reason, "retried_at": now}
            for r in stored.rejected
        ]
        await bulk_update(session, QuarantinedRecord, failing)
    await publish_deferred(resources.events, session)  # stock alerts, order statuses
    outcome.resolved += len(resolved)
    outcome.still_failing += len(failing)


def _unreadable(payload: Any) -> bool:
    return isinstance(payload, CryptoError)
