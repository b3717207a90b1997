"""Create and update for rows whose rules are declarative: required texts, amounts,
references to other rows, unique columns, plus an optional extra check per entity.

``values`` maps model attributes to new values; a reference is given as a ``Ref``. On update,
only the attributes present in ``values`` change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.mutations.common import (
    Ref,
    RefRule,
    check_amounts,
    check_texts,
    check_unique,
    field_name,
    load,
    ref_problems,
    refuse,
    resolve_refs,
    unit_of_work,
)
from store.base import Base
from store.repositories.common_writes import RowWrites
from store.scope import Scope

M = TypeVar("M", bound=Base)

Check = Callable[[AsyncSession, Any, dict[str, Any], dict[str, Any]], Awaitable[None]]
"""``check(session, row or None when creating, resolved values, referenced rows)``."""


@dataclass(frozen=True)
class EntitySpec(Generic[M]):
    model: type[M]
    target: RefRule
    required: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    refs: Mapping[str, RefRule] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    check: Check | None = None

    def writes(self, session: AsyncSession) -> RowWrites[M]:
        return RowWrites(session, self.model)

    def validated(self, values: Mapping[str, Any], target: Ref | None = None) -> dict[str, Any]:
        """A trimmed copy of ``values``; ``InvalidInput`` with every field-level problem."""
        copy = dict(values)
        problems = ref_problems({"id": target})
        problems += ref_problems({field_name(a): v for a, v in copy.items()})
        problems += check_texts(self.model, copy, self.required)
        problems += check_amounts(copy, self.amounts)
        refuse(problems)
        return copy


async def create_entity(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    spec: EntitySpec[M],
    values: Mapping[str, Any],
) -> M:
    values = spec.validated(values)
    async with unit_of_work(sessions, values) as session:
        resolved, rows = await resolve_refs(session, scope, values, spec.refs)
        if spec.check is not None:
            await spec.check(session, None, resolved, rows)
        writes = spec.writes(session)
        await check_unique(writes, resolved, spec.unique)
        return await writes.create(resolved)


async def update_entity(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    spec: EntitySpec[M],
    ref: Ref,
    values: Mapping[str, Any],
) -> M:
    values = spec.validated(values, ref)
    async with unit_of_work(sessions, values) as session:
        row: M = await load(session, scope, spec.target, ref, "id")
        resolved, rows = await resolve_refs(session, scope, values, spec.refs)
        if spec.check is not None:
            await spec.check(session, row, resolved, rows)
        writes = spec.writes(session)
        await check_unique(writes, resolved, spec.unique, except_id=row.id)  # type: ignore[attr-defined]
        return await writes.update(row, resolved)
