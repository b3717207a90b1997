"""What every entity sink shares: the plan of one record, the page context, bulk writes.

A sink stores the mapped records of one hub entity. The page pipeline
(``jobs.sync.pages``) hands it ``Plan`` objects — one per remote record whose content
changed — after cleaning their values; the sink

- ``match``\\ es records that have no external ref yet to an existing hub row by the
  entity's natural key (so connecting an ERP to a hub that already has the rows links them
  instead of duplicating them),
- ``check``\\ s what needs the database (a status transition, a parent cycle) and rejects a
  plan by setting ``plan.reason`` (it is quarantined; the rest of the page goes on),
- ``write``\\ s the inserts and updates in bulk: a few statements per page, not per record.

Rejection reasons name the field and the rule, never a value (reasons are plaintext).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.sync.fields import Field
from jobs.sync.references import chunks, one_of
from security.audit import AuditLog
from security.field_crypto import FieldCrypto

__all__ = ["Plan", "Sink", "SinkContext", "bulk_insert", "bulk_insert_rows", "bulk_update"]


@dataclass
class Plan:
    """One remote record on its way into the hub."""

    index: int
    external_id: str
    values: dict[str, Any]
    lines: list[dict[str, Any]]
    digest: str
    ref_id: int | None = None
    row_id: int | None = None
    linked: bool = False
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_new(self) -> bool:
        return self.row_id is None

    def reject(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason


@dataclass(frozen=True)
class SinkContext:
    """The page's unit of work and who is writing (``changed_by`` in histories)."""

    session: AsyncSession
    connector: str
    stream: str
    now: datetime
    crypto: FieldCrypto
    audit: AuditLog | None
    has_lines: bool
    holders: dict[str, dict[Any, int | None]] = field(default_factory=dict)
    """Per column, values already looked up in this page → the row holding it (or None)."""

    @property
    def actor(self) -> str:
        return f"sync:{self.connector}"


async def bulk_insert(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> list[int]:
    """Insert ``rows`` and return their new ids, in order.

    Each row is recognised in ``RETURNING`` by its values of the unique columns ``key``
    (asking the database to keep the order instead makes SQLite insert row by row).
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, row in enumerate(rows):
        groups.setdefault(tuple(sorted(row)), []).append(position)
    by_key: dict[tuple[Any, ...], int] = {}
    columns = [getattr(model, name) for name in key]
    for positions in groups.values():
        result = await session.execute(
            insert(model).returning(model.id, *columns), [rows[p] for p in positions]
        )
        for row_id, *values in result:
            by_key[tuple(values)] = int(row_id)
    return [by_key[tuple(row[name] for name in key)] for row in rows]


async def bulk_insert_rows(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows`` without reading anything back (one ``executemany`` per column set)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        await session.execute(insert(model.__table__), group)


async def bulk_update(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by primary key (``id`` in each dict), grouped by the columns they set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        if len(group[0]) > 1:
            await session.execute(update(model), group)


class Sink:
    """Base of the entity sinks; subclasses name their model, fields and keys."""

    entity: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[Any]
    fields: ClassVar[Mapping[str, Field]]
    line_fields: ClassVar[Mapping[str, Field] | None] = None
    required: ClassVar[tuple[str, ...]] = ()
    natural_key: ClassVar[str | None] = None
    insert_key: ClassVar[tuple[str, ...]] = ()
    """Unique columns every inserted row has: how ``RETURNING`` rows are told apart."""
    unique: ClassVar[tuple[str, ...]] = ()
    creates: ClassVar[bool] = True

    def missing_reason(self, plan: Plan) -> str:
        """Why a record with no hub row cannot create one (sinks that never create)."""
        return f"no {self.label} in the hub matches this record"

    async def match(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        """Link plans without a row to hub rows with the same natural key."""
        if self.natural_key is None:
            return
        column = getattr(self.model, self.natural_key)
        wanted = {p.values[self.natural_key]: p for p in plans if p.values.get(self.natural_key)}
        known = ctx.holders.setdefault(self.natural_key, {})
        known.update(dict.fromkeys(wanted))
        for chunk in chunks(wanted):
            rows = await ctx.session.execute(
                select(column, self.model.id).where(one_of(ctx.session, column, chunk))
            )
            for key, row_id in rows:
                plan = wanted[key]
                plan.row_id, plan.linked = int(row_id), True
                known[key] = int(row_id)

    async def check_unique(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        """Reject values of unique columns another row (or record of the page) holds."""
        for name in self.unique:
            holders: dict[Any, Plan] = {}
            for plan in plans:
                value = plan.values.get(name)
                if value is None or plan.reason is not None:
                    continue
                if value in holders:
                    plan.reject(f"{name}: another record of this page has the same {name}")
                else:
                    holders[value] = plan
            column = getattr(self.model, name)
            known = ctx.holders.get(name, {})
            taken = {value: known[value] for value in holders if value in known}
            for chunk in chunks(value for value in holders if value not in known):
                rows = await ctx.session.execute(
                    select(column, self.model.id).where(one_of(ctx.session, column, chunk))
                )
                taken.update((value, int(row_id)) for value, row_id in rows)
            for value, row_id in taken.items():
                plan = holders[value]
                if row_id is not None and plan.row_id != row_id:
                    plan.reject(f"{name}: another {self.label} in the hub has this {name}")

    async def check(self, ctx: SinkContext, plans: Sequence[Plan]) -> None:
        """Checks that need the database (subclasses); reject with ``plan.reject``."""

    async def write(self, ctx: SinkContext, inserts: list[Plan], updates: list[Plan]) -> None:
        """Insert (setting ``plan.row_id``) and update the checked plans."""
        now = ctx.now
        stamps = {"created_at": now, "updated_at": now} if _timestamped(self.model) else {}
        if inserts:
            ids = await bulk_insert(
                ctx.session,
                self.model,
                [{**stamps, **p.values} for p in inserts],
                self.insert_key,
            )
            for plan, row_id in zip(inserts, ids, strict=True):
                plan.row_id = row_id
        if updates:
            touched = {"updated_at": now} if "updated_at" in stamps else {}
            await bulk_update(
                ctx.session,
                self.model,
                [{"id": p.row_id, **p.values, **touched} for p in updates],
            )


def _timestamped(model: Any) -> bool:
    columns = model.__table__.c
    return "created_at" in columns and "updated_at" in columns
