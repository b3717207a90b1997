"""The shared shape of a scoped repository: page, count, fetch by ids, group by a parent key.

A subclass names its model, its orderings and two builders: ``scoped()`` (every row the
viewer may see) and ``filtered(filter)`` (those matching a filter). Everything else is here,
so each read path applies the scope the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import Base
from store.pagination import Page, PaginationError, SortKey, Window, fetch_page
from store.scope import Scope

M = TypeVar("M", bound=Base)
F = TypeVar("F")


class ScopedRepository(Generic[M, F]):
    model: ClassVar[type[Any]]
    orderings: ClassVar[Mapping[str, SortKey]]

    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def visible(self) -> ColumnElement[bool]:
        """The scope predicate on this repository's model."""
        raise NotImplementedError

    def matching(self, filter_: F) -> list[ColumnElement[bool]]:
        """The filter's predicates on this repository's model."""
        raise NotImplementedError

    def select_matching(self, filter_: F | None) -> Select[tuple[M]]:
        stmt = select(self.model).where(self.visible())
        if filter_ is not None:
            stmt = stmt.where(*self.matching(filter_))
        return stmt

    def sort_key(self, ordering: str) -> SortKey:
        try:
            return self.orderings[ordering]
        except KeyError:
            raise PaginationError(f"unknown ordering {ordering!r}") from None

    async def page(self, filter_: F | None, ordering: str, window: Window) -> Page[M]:
        key = self.sort_key(ordering)
        return await fetch_page(
            self.session, self.select_matching(filter_), key, self.model.id, window
        )

    async def count(self, filter_: F | None) -> int:
        stmt = select(func.count()).select_from(self.model).where(self.visible())
        if filter_ is not None:
            stmt = stmt.where(*self.matching(filter_))
        return int(await self.session.scalar(stmt) or 0)

    async def by_ids(self, ids: Iterable[int]) -> dict[int, M]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        stmt = select(self.model).where(self.model.id.in_(wanted), self.visible())
        return {row.id: row for row in await self.session.scalars(stmt)}

    async def grouped_by(
        self, column: Any, keys: Iterable[int], *order_by: Any
    ) -> dict[int, list[M]]:
        """Visible rows whose ``column`` is one of ``keys``, grouped by that key."""
        wanted = sorted(set(keys))
        groups: dict[int, list[M]] = defaultdict(list)
        if not wanted:
            return groups
        stmt = (
            select(self.model)
            .where(column.in_(wanted), self.visible())
            .order_by(*(order_by or (self.model.id,)))
        )
        for row in await self.session.scalars(stmt):
            groups[getattr(row, column.key)].append(row)
        return groups
