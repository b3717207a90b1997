"""Create and update for rows whose rules are declarative: the permission needed, required
texts, amounts, references to other rows, unique columns, plus an optional extra check.

The target and every referenced row are read through the caller's scope, and the written row
must still be visible to the caller, so nobody creates or moves a row out of their reach.

``values`` maps model attributes to new values; a reference is given as a ``Ref``. On update,
only the attributes present in ``values`` change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.mutations.common import (
    Caller,
    Problems,
    Ref,
    RefRule,
    check_amounts,
    check_texts,
    check_unique,
    field_name,
    load,
    ref_problems,
    refuse,
    require_visible,
    resolve_refs,
    unit_of_work,
)
from security.viewer import Permission
from store.base import Base
from store.repositories.common_writes import RowWrites

M = TypeVar("M", bound=Base)

Check = Callable[[AsyncSession, Any, dict[str, Any], dict[str, Any]], Awaitable[None]]
"""``check(session, row or None when creating, resolved values, referenced rows)``."""


class WriteExtra(Protocol):
    """Inputs stored beside the row's columns (encrypted fields): their problems join the
    others, ``prepare`` runs before the transaction, ``after_write`` once the row has its id."""

    def problems(self) -> Problems: ...

    async def prepare(self) -> None: ...

    async def after_write(self, session: AsyncSession, row: Any) -> None: ...


@dataclass(frozen=True)
class EntitySpec(Generic[M]):
    model: type[M]
    target: RefRule
    permission: Permission
    required: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    refs: Mapping[str, RefRule] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    check: Check | None = None

    def writes(self, session: AsyncSession) -> RowWrites[M]:
        return RowWrites(session, self.model)

    def validated(
        self, values: Mapping[str, Any], target: Ref | None = None, extra: Problems | None = None
    ) -> dict[str, Any]:
        """A trimmed copy of ``values``; ``InvalidInput`` with every field-level problem."""
        copy = dict(values)
        problems = ref_problems({"id": target})
        problems += ref_problems({field_name(a): v for a, v in copy.items()})
        problems += check_texts(self.model, copy, self.required)
        problems += check_amounts(copy, self.amounts)
        problems += extra or []
        refuse(problems)
        return copy


async def create_entity(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    spec: EntitySpec[M],
    values: Mapping[str, Any],
    extra: WriteExtra | None = None,
) -> M:
    doing = f"create a {spec.target.what}"
    caller.require(spec.permission, doing)
    values = spec.validated(values, extra=extra.problems() if extra else None)
    if extra is not None:
        await extra.prepare()
    async with unit_of_work(sessions, values) as session:
        resolved, rows = await resolve_refs(session, caller.scope, values, spec.refs)
        if spec.check is not None:
            await spec.check(session, None, resolved, rows)
        writes = spec.writes(session)
        await check_unique(writes, resolved, spec.unique)
        row = await writes.create(resolved)
        if extra is not None:
            await extra.after_write(session, row)
        row_id: int = row.id  # type: ignore[attr-defined]
        await require_visible(session, caller.scope, spec.target, row_id, doing)
        return row


async def update_entity(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    spec: EntitySpec[M],
    ref: Ref,
    values: Mapping[str, Any],
    extra: WriteExtra | None = None,
) -> M:
    doing = f"change a {spec.target.what}"
    caller.require(spec.permission, doing)
    values = spec.validated(values, ref, extra.problems() if extra else None)
    if extra is not None:
        await extra.prepare()
    async with unit_of_work(sessions, values) as session:
        row: M = await load(session, caller.scope, spec.target, ref, "id")
        resolved, rows = await resolve_refs(session, caller.scope, values, spec.refs)
        if spec.check is not None:
            await spec.check(session, row, resolved, rows)
        writes = spec.writes(session)
        row_id: int = row.id  # type: ignore[attr-defined]
        await check_unique(writes, resolved, spec.unique, except_id=row_id)
        row = await writes.update(row, resolved)
        if extra is not None:
            await extra.after_write(session, row)
        await require_visible(session, caller.scope, spec.target, row_id, doing)
        return row
