"""Building blocks of the mutation services: the caller and its permissions, references to
rows, checks of text, amounts and uniqueness, and the unit of work that maps unique
violations to ``Duplicate``.

Every service takes a ``Caller`` and calls ``caller.require(permission)`` before it reads or
writes anything; rows are then loaded through the caller's scope, so a row outside it is
``NotFound`` (``OutOfScope`` underneath, which the schema layer audits).

Problems are reported under GraphQL field names (``credit_limit`` → ``creditLimit``,
``region_id`` → ``region``) because they go straight back to the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.orders import amount_problem
from resolvers.mutations.errors import Duplicate, Forbidden, InvalidInput, NotFound, OutOfScope
from security.viewer import Permission, Viewer
from store.base import Base
from store.repositories.base import ScopedRepository
from store.repositories.common_writes import RowWrites, column_length, unique_violation
from store.scope import Scope

ANONYMOUS = "anonymous"

Problems = list[tuple[str, str]]


def actor_of(context: object) -> str:
    """Who is changing things, as recorded in history rows: the viewer's subject."""
    viewer = getattr(context, "viewer", None)
    return viewer.subject if isinstance(viewer, Viewer) and viewer.subject else ANONYMOUS


@dataclass(frozen=True)
class Caller:
    """Who runs a mutation: the viewer (None when anonymous), its scope, its name in history."""

    viewer: Viewer | None
    scope: Scope

    @classmethod
    def of(cls, context: Any) -> Caller:
        """The caller of a request ``Context`` (its ``viewer`` and ``scope``)."""
        return cls(context.viewer, context.scope)

    @property
    def subject(self) -> str:
        return self.viewer.subject if self.viewer is not None else ANONYMOUS

    def require(self, permission: Permission, doing: str) -> None:
        """``Forbidden`` unless the caller holds ``permission``; ``doing`` names the action."""
        if self.viewer is None:
            raise Forbidden(f"authentication required to {doing}")
        if not self.viewer.can(permission):
            raise Forbidden(f"you may not {doing} (needs {permission})", permission)


def field_name(attribute: str) -> str:
    """The GraphQL input field of a model attribute: ``tier_id`` → ``tier``."""
    head, *rest = attribute.removesuffix("_id").split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Ref:
    """A row referenced by a mutation input: its primary key and the id as the client gave it.

    An id that could not be decoded (malformed, or of the wrong type) is a ``Ref`` with a
    ``problem``, so it is reported with the input's other problems, never looked up.
    """

    pk: int
    given: str
    problem: str | None = None

    @classmethod
    def invalid(cls, given: str, problem: str) -> Ref:
        return cls(0, given, problem)


def ref_problems(refs: Mapping[str, object]) -> Problems:
    """The problems of the undecodable ``Ref`` values in ``refs`` (keys are field names)."""
    return [
        (field, ref.problem)
        for field, ref in refs.items()
        if isinstance(ref, Ref) and ref.problem is not None
    ]


@dataclass(frozen=True)
class RefRule:
    """How to resolve a reference: through which (scoped) repository, named how in messages."""

    repository: type[ScopedRepository[Any, Any]]
    what: str


async def not_found(
    session: AsyncSession,
    scope: Scope,
    repository: type[ScopedRepository[Any, Any]],
    ref: Ref,
    field: str,
    what: str,
) -> NotFound:
    """The failure for a row the caller could not see: ``OutOfScope`` when it exists.

    The existence check is the one read that ignores the scope: it only decides whether the
    refusal is audited, and the client gets the same ``NotFound`` either way.
    """
    if not scope.all_partners and await repository(session, Scope.everything()).by_ids([ref.pk]):
        return OutOfScope(field, ref.given, what, repository.model.__tablename__, ref.pk)
    return NotFound(field, ref.given, what)


async def load(session: AsyncSession, scope: Scope, rule: RefRule, ref: Ref, field: str) -> Any:
    """The referenced row, or ``NotFound`` if it does not exist or the viewer may not see it."""
    if ref.problem is not None:
        raise InvalidInput.one(field, ref.problem)
    found = await rule.repository(session, scope).by_ids([ref.pk])
    if ref.pk not in found:
        raise await not_found(session, scope, rule.repository, ref, field, rule.what)
    return found[ref.pk]


async def require_visible(
    session: AsyncSession, scope: Scope, rule: RefRule, row_id: int, doing: str
) -> None:
    """``Forbidden`` when a row just written is outside the caller's scope: nobody may create
    or move a partner (or a location) out of their own reach."""
    if scope.all_partners:
        return
    if row_id not in await rule.repository(session, scope).by_ids([row_id]):
        raise Forbidden(f"you may not {doing} outside your scope")


async def resolve_refs(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], rules: Mapping[str, RefRule]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replace each ``Ref`` in ``values`` by its primary key; also return the rows found."""
    resolved = dict(values)
    rows: dict[str, Any] = {}
    for attribute, rule in rules.items():
        ref = values.get(attribute)
        if isinstance(ref, Ref):
            rows[attribute] = await load(session, scope, rule, ref, field_name(attribute))
            resolved[attribute] = ref.pk
    return resolved, rows


def check_texts(
    model: type[Base], values: dict[str, Any], required: Iterable[str] = ()
) -> Problems:
    """Trim text values in place; refuse empty required ones and ones longer than the column."""
    problems: Problems = []
    for attribute, value in values.items():
        if not isinstance(value, str):
            continue
        values[attribute] = value = value.strip()
        limit = column_length(model, attribute)
        if attribute in required and not value:
            problems.append((field_name(attribute), "must not be empty"))
        elif limit is not None and len(value) > limit:
            problems.append((field_name(attribute), f"must be at most {limit} characters"))
    return problems


def check_amounts(values: Mapping[str, Any], attributes: Iterable[str]) -> Problems:
    return [
        (field_name(a), message)
        for a in attributes
        if isinstance(values.get(a), Decimal) and (message := amount_problem(values[a]))
    ]


def check_counts(values: Mapping[str, Any], attributes: Iterable[str]) -> Problems:
    """Whole quantities that must not be negative."""
    return [
        (field_name(a), "must not be negative")
        for a in attributes
        if isinstance(values.get(a), int) and values[a] < 0
    ]


def refuse(problems: Problems) -> None:
    if problems:
        raise InvalidInput(problems)


async def check_unique(
    writes: RowWrites[Any],
    values: Mapping[str, Any],
    columns: Iterable[str],
    except_id: int | None = None,
) -> None:
    for column in columns:
        value = values.get(column)
        if value is not None and await writes.taken(column, value, except_id):
            raise Duplicate(field_name(column), str(value))


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], values: Mapping[str, Any] | None = None
) -> AsyncIterator[AsyncSession]:
    """One transaction; a unique violation (a race the up-front check lost) → ``Duplicate``."""
    try:
        async with sessions.begin() as session:
            yield session
    except IntegrityError as error:
        where = unique_violation(error)
        if where is None:
            raise
        column = where.partition(".")[2]
        value = (values or {}).get(column)
        raise Duplicate(field_name(column), "" if value is None else str(value)) from error
