"""The audit trail: append-only, hash-chained, every entry sealed with an HMAC.

Each entry carries the hash of the previous one (``prev_hash``), its own hash over a
canonical encoding of all its fields (``entry_hash``) and an HMAC-SHA256 of that hash under
the audit key (``mac``). Positions are 1, 2, 3… without gaps. So an edited entry breaks its
hash, a deleted one leaves a gap, a reordering breaks the links, and a rewritten chain fails
the HMAC without the audit key; ``verify`` names the first entry that is wrong. The head
(position and hash) can be exported for an external anchor, which catches a cut tail.

Appends lock the head row first (an UPDATE), so concurrent writers on any number of
processes form one chain. ``record`` writes in its own transaction and commits before it
returns — a reveal is audited before the plaintext leaves — or joins the caller's session
when the event belongs to the caller's unit of work. Entries never hold plaintext or secrets:
row ids are stored as keyed hashes and ``detail`` is for non-sensitive context only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import AuditEntry, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """What happened, by whom, to what, why, and how it ended."""

    actor: str
    role: str
    action: str
    outcome: str
    table: str | None = None
    column: str | None = None
    row_id: str | None = None
    key_id: int | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainProblem:
    position: int
    problem: str


def _canonical(entry: AuditEntry) -> bytes:
    fields = [
        entry.id,
        entry.at.astimezone(UTC).isoformat(),
        entry.actor,
        entry.role,
        entry.action,
        entry.outcome,
        entry.table_name,
        entry.column_name,
        entry.row_hash,
        entry.key_id,
        entry.reason,
        entry.detail,
        entry.prev_hash,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


class AuditLog:
    """Appends to and verifies the chain; the audit key comes from the key service."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        audit_key: Callable[[], Awaitable[bytes]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.audit_key = audit_key
        self.clock = clock

    def _mac(self, key: bytes, digest: str) -> str:
        return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()

    def row_hash(self, key: bytes, table: str, row_id: str) -> str:
        return hmac.new(key, f"row|{table}|{row_id}".encode(), hashlib.sha256).hexdigest()[:32]

    async def record(self, event: AuditEvent, session: AsyncSession | None = None) -> int:
        """Append ``event``; returns its position. Raises if it could not be written."""
        key = await self.audit_key()
        if session is not None:
            return await self._append(session, key, event)
        async with self.sessions.begin() as own:
            return await self._append(own, key, event)

    async def _append(self, session: AsyncSession, key: bytes, event: AuditEvent) -> int:
        bumped = await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq + 1)
            .returning(AuditHead.seq, AuditHead.hash)
        )
        seq, prev = bumped.one()
        entry = AuditEntry(
            id=seq,
            at=self.clock(),
            actor=event.actor,
            role=event.role,
            action=event.action,
            outcome=event.outcome,
            table_name=event.table,
            column_name=event.column,
            row_hash=(
                self.row_hash(key, event.table or "", event.row_id)
                if event.row_id is not None
                else None
            ),
            key_id=event.key_id,
            reason=event.reason,
            detail=json.dumps(event.detail, sort_keys=True, separators=(",", ":")),
            prev_hash=prev,
        )
        entry.entry_hash = entry_hash(entry)
        entry.mac = self._mac(key, entry.entry_hash)
        session.add(entry)
        await session.flush()
        await session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(hash=entry.entry_hash)
        )
        return int(seq)

    async def entries(self, batch: int = 1000) -> AsyncIterator[AuditEntry]:
        """Every entry in chain order, read in batches."""
        last = 0
        while True:
            async with self.sessions() as session:
                rows = list(
                    await session.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.id > last)
                        .order_by(AuditEntry.id)
                        .limit(batch)
                    )
                )
            for row in rows:
                yield row
            if len(rows) < batch:
                return
            last = rows[-1].id

    async def head(self) -> tuple[int, str]:
        async with self.sessions() as session:
            row = (await session.execute(select(AuditHead.seq, AuditHead.hash))).one()
        return int(row.seq), str(row.hash)

    async def verify(self) -> list[ChainProblem]:
        """Every break in the chain, first one first; empty when the chain is intact."""
        key = await self.audit_key()
        problems: list[ChainProblem] = []
        expected_position, prev = 1, GENESIS
        async for entry in self.entries():
            if entry.id != expected_position:
                problems.append(
                    ChainProblem(
                        expected_position,
                        f"entry {expected_position} is missing (next present is {entry.id})",
                    )
                )
            if entry.prev_hash != prev:
                problems.append(
                    ChainProblem(entry.id, f"entry {entry.id} does not follow the entry before it")
                )
            if entry_hash(entry) != entry.entry_hash:
                problems.append(ChainProblem(entry.id, f"entry {entry.id} was edited"))
            elif not hmac.compare_digest(self._mac(key, entry.entry_hash), entry.mac):
                problems.append(
                    ChainProblem(
                        entry.id, f"entry {entry.id} has a wrong HMAC (rewritten without the key)"
                    )
                )
            expected_position, prev = entry.id + 1, entry.entry_hash
        seq, head = await self.head()
        if seq != expected_position - 1 or head != prev:
            problems.append(
                ChainProblem(
                    seq,
                    f"the head says {seq} entries but the chain ends at {expected_position - 1}",
                )
            )
        return problems
