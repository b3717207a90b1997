"""Keyset pagination for Relay connections: stable, index-friendly, any page size.

A page is read with ``WHERE (sort, id) > (cursor sort, cursor id) ORDER BY sort, id LIMIT n+1``
(mirrored for ``last``/``before`` and for descending orders), so the cost of a page does not
grow with its offset. A cursor is an opaque token carrying the ordering name, the sort value
and the row id; a cursor from another ordering is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class PaginationError(ValueError):
    """A window argument or cursor that cannot be honoured (a client error)."""


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class SortKey:
    """One named ordering: a column, a direction and how to parse its cursor value."""

    name: str
    column: Any
    descending: bool = False
    parse: Callable[[str], Any] = str


INT = int
DATETIME = datetime.fromisoformat
DATE = date.fromisoformat
DECIMAL = Decimal


@dataclass(frozen=True)
class Cursor:
    ordering: str
    value: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.ordering, self.value, self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            ordering, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
            if not (isinstance(ordering, str) and isinstance(value, str)):
                raise TypeError
            return cls(ordering, value, int(row_id))
        except (ValueError, TypeError) as exc:
            raise PaginationError(f"invalid cursor: {token!r}") from exc


@dataclass(frozen=True)
class Window:
    """The Relay arguments, validated: either ``first``/``after`` or ``last``/``before``."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def validate(self, *, default_size: int, max_size: int) -> Window:
        for name, value in (("first", self.first), ("last", self.last)):
            if value is not None and not 0 <= value <= max_size:
                raise PaginationError(f"`{name}` must be between 0 and {max_size}, got {value}")
        if self.first is not None and self.last is not None:
            raise PaginationError("pass either `first` or `last`, not both")
        if self.first is None and self.last is None:
            return Window(first=default_size, after=self.after, before=self.before)
        return self

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        size = self.last if self.backwards else self.first
        assert size is not None
        return size


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def _seek(key: SortKey, id_column: Any, cursor: Cursor, forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (``forward``) or before ``cursor`` in the key's order."""
    ascending = forward != key.descending
    if key.column is id_column:
        return id_column > cursor.id if ascending else id_column < cursor.id  # type: ignore[no-any-return]
    left = tuple_(key.column, id_column)
    right = tuple_(key.parse(cursor.value), cursor.id)
    return left > right if ascending else left < right


def window_predicates(key: SortKey, id_column: Any, window: Window) -> list[ColumnElement[bool]]:
    """The seek predicates for ``after`` and ``before``; a foreign cursor is refused."""
    predicates = []
    for token, forward in ((window.after, True), (window.before, False)):
        if token is None:
            continue
        cursor = Cursor.decode(token)
        if cursor.ordering != key.name:
            raise PaginationError(f"cursor belongs to ordering {cursor.ordering}, not {key.name}")
        try:
            predicates.append(_seek(key, id_column, cursor, forward))
        except (ValueError, ArithmeticError) as exc:
            raise PaginationError(f"invalid cursor: {token!r}") from exc
    return predicates


def window_order(key: SortKey, id_column: Any, window: Window) -> list[Any]:
    """ORDER BY columns for reading ``window`` (reversed when reading backwards)."""
    ascending = key.descending == window.backwards
    columns = [key.column, id_column] if key.column is not id_column else [id_column]
    return [c.asc() if ascending else c.desc() for c in columns]


def apply_window(stmt: Select[Any], key: SortKey, id_column: Any, window: Window) -> Select[Any]:
    """Add the seek predicates, the ordering and the look-ahead limit of ``window``."""
    stmt = stmt.where(*window_predicates(key, id_column, window))
    return stmt.order_by(*window_order(key, id_column, window)).limit(window.size + 1)


def cursor_for(key: SortKey, row: Any) -> str:
    value = getattr(row, key.column.key)
    return Cursor(key.name, _text(value), int(row.id)).encode()


def make_page(rows: Sequence[T], key: SortKey, window: Window) -> Page[T]:
    """Trim the extra look-ahead row, restore order for backward windows, cut cursors."""
    items = list(rows)
    has_more = len(items) > window.size
    items = items[: window.size]
    if window.backwards:
        items.reverse()
        return Page(items, [cursor_for(key, r) for r in items], window.before is not None, has_more)
    return Page(items, [cursor_for(key, r) for r in items], has_more, window.after is not None)


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], key: SortKey, id_column: Any, window: Window
) -> Page[Any]:
    result = await session.scalars(apply_window(stmt, key, id_column, window))
    return make_page(result.all(), key, window)
