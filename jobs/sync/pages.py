"""One page of remote records into the hub, inside the caller's transaction.

``store_records`` maps the page (references resolved in bulk first), applies the last copy
of each external id, and sorts every record into one outcome:

- **unchanged**: its ref's digest equals the new one — nothing is written (a full refresh
  still marks the ref seen; a record back after a remote deletion is revived);
- **updated**: it has a ref (or its natural key matches a hub row no other record of this
  connector is linked to) — the row is updated and the ref points at it;
- **inserted**: a new hub row and a new ref;
- **rejected**: the mapping or a store check refused it — the caller quarantines it (a sync)
  or notes it (a retry) with the reason; the rest of the page goes on.

Everything is done with a few statements per page (refs, natural keys, unique values, the
bulk writes), never one per record. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.mapper import map_page
from connectors.mapping_config import EntityMapping
from jobs.sync.fields import clean_values
from jobs.sync.links import digest, linked_elsewhere, load_refs, mark_seen, revive, save_refs
from jobs.sync.references import ReferenceResolver, chunks, one_of
from jobs.sync.sinks import Plan, Sink, SinkContext
from security.audit import AuditLog
from security.field_crypto import FieldCrypto

__all__ = ["MAX_PASSES", "PageOutcome", "Rejection", "StreamTarget", "store_records"]

MAX_PASSES = 8


@dataclass
class StreamTarget:
    """Where one stream's records go, fixed for a run."""

    connector: str
    stream: str
    mapping: EntityMapping
    sink: Sink
    digest_key: bytes
    crypto: FieldCrypto
    audit: AuditLog | None
    marker: int | None = None
    resolver: ReferenceResolver = field(init=False)

    def __post_init__(self) -> None:
        self.resolver = ReferenceResolver(self.connector, self.mapping)

    @property
    def entity(self) -> str:
        return self.mapping.entity


@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str
    external_id: str | None


@dataclass
class PageOutcome:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stored: dict[int, str] = field(default_factory=dict)
    """Positions of the records that are in the hub now (written or unchanged) → external id."""
    superseded: list[int] = field(default_factory=list)
    """Positions of records a later copy in the same page replaced (counted unchanged)."""

    def absorb(self, again: PageOutcome, positions: list[int]) -> None:
        """Take the outcome of records at ``positions`` taken again (their new outcome)."""
        retaken = set(positions)
        self.rejected = [r for r in self.rejected if r.index not in retaken]
        self.rejected += [
            Rejection(positions[r.index], r.reason, r.external_id) for r in again.rejected
        ]
        self.inserted += again.inserted
        self.updated += again.updated
        self.unchanged += again.unchanged
        self.stored.update((positions[i], e) for i, e in again.stored.items())
        self.superseded += [positions[i] for i in again.superseded]


def _plans(
    target: StreamTarget, records: Sequence[Any], resolve: Any, outcome: PageOutcome
) -> list[Plan]:
    """Map the page; the last copy of each external id becomes a plan."""
    mapped, rejected = map_page(target.mapping, records, resolve)
    failed = {r.index for r in rejected}
    outcome.rejected += [Rejection(r.index, r.reason, r.external_id) for r in rejected]
    positions = [i for i in range(len(records)) if i not in failed]
    latest: dict[str, Plan] = {}
    for index, record in zip(positions, mapped, strict=True):
        earlier = latest.pop(record.external_id, None)
        if earlier is not None:  # an older copy in the same page: superseded, not stored
            outcome.unchanged += 1
            outcome.superseded.append(earlier.index)
        values = dict(record.values)
        lines = [dict(line) for line in record.lines]
        latest[record.external_id] = Plan(
            index, record.external_id, values, lines, digest(target.digest_key, values, lines)
        )
    return list(latest.values())


def _clean(sink: Sink, plan: Plan) -> None:
    values, problems = clean_values(sink.fields, plan.values)
    lines = []
    for number, line in enumerate(plan.lines):
        cleaned, line_problems = clean_values(sink.line_fields or {}, line, f"lines[{number}].")
        lines.append(cleaned)
        problems += line_problems
    plan.values, plan.lines = values, lines
    if problems:
        plan.reject("; ".join(problems))


async def _present(session: AsyncSession, model: Any, row_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(row_ids):
        found.update(
            int(i)
            for i in await session.scalars(select(model.id).where(one_of(session, model.id, chunk)))
        )
    return found


async def _match_new(ctx: SinkContext, target: StreamTarget, plans: list[Plan]) -> None:
    """Link new plans to hub rows by natural key, unless another ref already holds the row."""
    sink = target.sink
    new = [p for p in plans if p.is_new and p.reason is None]
    await sink.match(ctx, new)
    linked = [p for p in new if p.linked]
    holders = await linked_elsewhere(
        ctx.session, target.connector, target.entity, [p.row_id for p in linked if p.row_id]
    )
    for plan in linked:
        other = holders.get(plan.row_id or 0)
        if other is not None and other != plan.external_id:
            plan.reject(
                f"the matching {sink.label} in the hub is already linked to external id "
                f"{other!r} of this connector"
            )
    for plan in new:
        if plan.reason is not None or not plan.is_new:
            continue
        if not sink.creates:
            plan.reject(sink.missing_reason(plan))
            continue
        missing = [name for name in sink.required if plan.values.get(name) is None]
        if missing:
            plan.reject(
                "; ".join(f"{name}: is required to create a {sink.label}" for name in missing)
            )


async def plan_each_statement(session: AsyncSession) -> None:
    """On PostgreSQL, plan this transaction's statements with their values (custom plans).

    A page's lookups are ``IN`` lists of hundreds of values, prepared once and run every
    page. Once PostgreSQL switches such a statement to a generic plan (the values unknown)
    and the table's statistics have grown, it scans the whole table comparing each row with
    every value — a lookup that took a millisecond takes a fifth of a second at 20,000 rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def store_records(
    session: AsyncSession, target: StreamTarget, records: Sequence[Any], now: datetime
) -> PageOutcome:
    """Store one page's records (see the module docstring); returns what happened to each.

    A record that refers to a record of its own entity in the same page (a partner's parent
    listed after it) is taken again once that one is stored, up to ``MAX_PASSES`` levels.
    """
    await plan_each_statement(session)
    outcome = await _store_pass(session, target, records, now)
    for _ in range(MAX_PASSES - 1):
        waiting = [r for r in outcome.rejected if _waits_for_own_entity(target, r)]
        if not waiting:
            break
        again = await _store_pass(session, target, [records[r.index] for r in waiting], now)
        if not again.stored:
            break
        outcome.absorb(again, [r.index for r in waiting])
    return outcome


def _waits_for_own_entity(target: StreamTarget, rejection: Rejection) -> bool:
    return f"no {target.entity} with external id " in rejection.reason


async def _store_pass(
    session: AsyncSession, target: StreamTarget, records: Sequence[Any], now: datetime
) -> PageOutcome:
    outcome = PageOutcome()
    resolve = await target.resolver.prepare(session, records)
    plans = _plans(target, records, resolve, outcome)
    refs = await load_refs(session, target.connector, target.entity, [p.external_id for p in plans])
    changed: list[Plan] = []
    revived: list[int] = []
    unchanged: list[str] = []
    for plan in plans:
        ref = refs.get(plan.external_id)
        if ref is not None and ref.content_hash == plan.digest:
            outcome.unchanged += 1
            outcome.stored[plan.index] = plan.external_id
            unchanged.append(plan.external_id)
            if ref.deleted:
                revived.append(ref.id)
            continue
        if ref is not None:
            plan.ref_id, plan.row_id = ref.id, ref.entity_id
        changed.append(plan)
    sink = target.sink
    present = await _present(session, sink.model, [p.row_id for p in changed if p.row_id])
    for plan in changed:
        if plan.row_id is not None and plan.row_id not in present:
            plan.row_id = None  # the hub row is gone: the ref will point at a new one
        _clean(sink, plan)
    ctx = SinkContext(
        session,
        target.connector,
        target.stream,
        now,
        target.crypto,
        target.audit,
        target.mapping.lines is not None,
    )
    await _match_new(ctx, target, changed)
    await sink.check_unique(ctx, [p for p in changed if p.reason is None])
    await sink.check(ctx, [p for p in changed if p.reason is None])
    good = [p for p in changed if p.reason is None]
    inserts = [p for p in good if p.is_new]
    updates = [p for p in good if not p.is_new]
    await sink.write(ctx, inserts, updates)
    await save_refs(
        session,
        good,
        connector=target.connector,
        entity=target.entity,
        stream=target.stream,
        marker=target.marker,
        now=now,
    )
    outcome.inserted, outcome.updated = len(inserts), len(updates)
    outcome.stored.update((p.index, p.external_id) for p in good)
    outcome.rejected += [
        Rejection(p.index, p.reason or "", p.external_id) for p in changed if p.reason
    ]
    if target.marker is not None:
        # written refs got the marker with their write; these are seen without a write
        seen = unchanged + [r.external_id for r in outcome.rejected if r.external_id]
        await mark_seen(session, target.connector, target.entity, seen, target.marker)
    elif revived:
        await revive(session, revived, now)
    return outcome
