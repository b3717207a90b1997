"""SQL on encrypted columns, for any table in ``store.encrypted``: write sealed values, count
values per data key, scan for re-encryption, swap a ciphertext by compare-and-set, forget the
masks and indexes of a shredded row.

The data key id of a stored value is in the first 6 bytes of its ciphertext (the
``security.cipher`` header), read in SQL with ``substr`` (same on SQLite and PostgreSQL), so
counting values per key needs no decryption and no extra column. Like every repository,
nothing here commits.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import store.models  # noqa: F401  (registers every table)
from security.cipher import ALGORITHM_AES_256_GCM, FORMAT_VERSION, MIN_CIPHERTEXT_BYTES
from security.fields import EncryptedColumn, SealedValue
from store.base import Base

__all__ = [
    "ColumnUsage",
    "assign_sealed",
    "clear_derived",
    "rows_after",
    "sealed_columns",
    "swap_ciphertext",
    "values_per_key",
]

_HEADER = struct.Struct(">BBI")  # version, algorithm, data key id: security.cipher's header
_HEADER_PREFIX = _HEADER.size


def _table(column: EncryptedColumn) -> Table:
    return Base.metadata.tables[column.table]


def sealed_columns(column: EncryptedColumn, sealed: SealedValue | None) -> dict[str, Any]:
    """Column values that store ``sealed`` (or clear the field when None)."""
    values: dict[str, Any] = {
        column.ct_attr: sealed.ciphertext if sealed else None,
        column.mask_attr: sealed.masked if sealed else None,
    }
    if column.indexed:
        values[column.bidx_attr] = sealed.index if sealed else None
    return values


def assign_sealed(row: Any, sealed: Mapping[EncryptedColumn, SealedValue | None]) -> None:
    """Set the stored columns of ``row`` (an ORM object) for each sealed or cleared field."""
    for column, value in sealed.items():
        for name, stored in sealed_columns(column, value).items():
            setattr(row, name, stored)


@dataclass(frozen=True)
class ColumnUsage:
    """What one encrypted column holds: values per data key id, empty rows, and values that
    are not ciphertext at all (e.g. plaintext written around the application)."""

    by_key: dict[int, int]
    empty: int
    not_ciphertext: int


async def values_per_key(session: AsyncSession, column: EncryptedColumn) -> ColumnUsage:
    """Count the values of ``column`` per data key id, from the ciphertext headers in SQL."""
    table = _table(column)
    ct = table.c[column.ct_attr]
    head = func.substr(ct, 1, _HEADER_PREFIX)
    well_formed = func.length(ct) >= MIN_CIPHERTEXT_BYTES
    rows = await session.execute(
        select(head, well_formed, func.count()).group_by(head, well_formed)
    )
    by_key: dict[int, int] = {}
    empty = not_ciphertext = 0
    for raw, formed, count in rows:
        if raw is None:
            empty += int(count)
            continue
        prefix = bytes(raw)
        if not formed or len(prefix) < _HEADER.size:  # e.g. plaintext that got in: counted
            not_ciphertext += int(count)
            continue
        version, algorithm, key_id = _HEADER.unpack(prefix)
        if (version, algorithm) != (FORMAT_VERSION, ALGORITHM_AES_256_GCM):
            not_ciphertext += int(count)
        else:
            by_key[key_id] = by_key.get(key_id, 0) + int(count)
    return ColumnUsage(by_key, empty, not_ciphertext)


async def rows_after(
    session: AsyncSession, columns: Sequence[EncryptedColumn], last_id: int, limit: int
) -> list[tuple[Any, ...]]:
    """``(id, ciphertext per column…)`` of the next ``limit`` rows with ids above ``last_id``."""
    table = _table(columns[0])
    stmt = (
        select(table.c.id, *(table.c[c.ct_attr] for c in columns))
        .where(table.c.id > last_id)
        .order_by(table.c.id)
        .limit(limit)
    )
    return [tuple(row) for row in await session.execute(stmt)]


async def count_rows(session: AsyncSession, table_name: str, after_id: int = 0) -> int:
    table = Base.metadata.tables[table_name]
    stmt = select(func.count()).select_from(table).where(table.c.id > after_id)
    return int(await session.scalar(stmt) or 0)


async def swap_ciphertext(
    session: AsyncSession, column: EncryptedColumn, row_id: int, old: bytes, new: bytes
) -> bool:
    """Replace ``old`` by ``new`` only if the row still holds ``old`` (compare-and-set).

    False means a concurrent write changed the value first; that write used the ACTIVE key,
    so there is nothing left to move. The mask and blind index stay: same plaintext.
    """
    table = _table(column)
    ct = table.c[column.ct_attr]
    values: dict[str, Any] = {column.ct_attr: new}
    if "updated_at" in table.c:  # re-encryption is not a change of the data: keep the stamp
        values["updated_at"] = table.c.updated_at
    result = await session.execute(
        update(table).where(table.c.id == row_id, ct == old).values(values)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


async def clear_derived(
    session: AsyncSession, columns: Sequence[EncryptedColumn], row_id: int
) -> None:
    """Drop the masks and blind indexes of a shredded row: they derive from its plaintext.

    The ciphertexts stay (their key is gone), so the graph can still say "shredded".
    """
    table = _table(columns[0])
    values: dict[str, Any] = {}
    for column in columns:
        values[column.mask_attr] = None
        if column.indexed:
            values[column.bidx_attr] = None
    await session.execute(update(table).where(table.c.id == row_id).values(values))
