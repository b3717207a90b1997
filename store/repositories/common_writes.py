"""Shared write helpers: insert or change a row and read it back, uniqueness checks, and
recognising which unique constraint an ``IntegrityError`` broke on SQLite and PostgreSQL.

Like every repository, these never commit: the caller's unit of work does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.base import Base

M = TypeVar("M", bound=Base)

_PG_UNIQUE = re.compile(r'unique constraint "uq_(?P<name>\w+)"')
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<table>\w+)\.(?P<column>\w+)")


def unique_violation(error: IntegrityError) -> str | None:
    """``"table.column"`` of the unique constraint ``error`` broke (first column), or None.

    PostgreSQL names the constraint (``uq_<table>_<column>`` by our naming convention);
    SQLite names the columns.
    """
    text = str(error.orig)
    if found := _SQLITE_UNIQUE.search(text):
        return f"{found['table']}.{found['column']}"
    if found := _PG_UNIQUE.search(text):
        tables = {t.name for t in Base.metadata.sorted_tables}
        name = found["name"]
        for table in sorted(tables, key=len, reverse=True):
            if name.startswith(table + "_"):
                return f"{table}.{name[len(table) + 1 :]}"
    return None


def column_length(model: type[Base], column: str) -> int | None:
    """The declared maximum length of a string column, if it has one."""
    return getattr(model.__table__.c[column].type, "length", None)


async def value_taken(
    session: AsyncSession, model: type[Base], column: str, value: Any, except_id: int | None
) -> bool:
    """True if another row of ``model`` already holds ``value`` in ``column``."""
    attribute = getattr(model, column)
    condition = attribute == value
    if except_id is not None:
        condition = condition & (model.id != except_id)  # type: ignore[attr-defined]
    return bool(await session.scalar(select(exists().where(condition))))


async def insert_row(session: AsyncSession, model: type[M], values: Mapping[str, Any]) -> M:
    """Insert a row, then read it back so its values are exactly what a query returns."""
    row = model(**values)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def update_row(session: AsyncSession, row: M, values: Mapping[str, Any]) -> M:
    """Set ``values`` on ``row``, write them, and read the row back."""
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    await session.refresh(row)
    return row


class RowWrites(Generic[M]):
    """Insert and change rows of one model; ``taken`` checks a unique column."""

    model: type[M]

    def __init__(self, session: AsyncSession, model: type[M] | None = None) -> None:
        self.session = session
        if model is not None:
            self.model = model

    async def create(self, values: Mapping[str, Any]) -> M:
        return await insert_row(self.session, self.model, values)

    async def update(self, row: M, values: Mapping[str, Any]) -> M:
        return await update_row(self.session, row, values)

    async def taken(self, column: str, value: Any, except_id: int | None = None) -> bool:
        return await value_taken(self.session, self.model, column, value, except_id)
