"""Bulk-load a generated demo channel into an empty database.

Rows go in with SQLAlchemy Core ``insert()`` executemany, a few thousand per statement, in
one transaction: a failed seed leaves nothing behind. Primary keys come from the generator,
so on PostgreSQL each table's id sequence is moved past them afterwards.

Given a ``FieldCrypto``, each partner's tax id, bank account, phone and e-mail are sealed
under a data key of its own (minted in bulk, wrapped by the KEK, inserted with the partners);
without one those fields stay empty.

Errors: :class:`DemoSeedError` is the root; :class:`DatabaseNotEmptyError` means the database
already has partners (seeding never appends to a real channel).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

import store.models  # noqa: F401  (registers every table)
from demo.data import DEFAULT_SEED, ORDER_TABLES, DemoChannel, generate
from demo.orders import OrderBatch
from demo.partner_contacts import seal_into
from demo.scales import Scale
from demo.values import Row
from security.field_crypto import FieldCrypto
from store.base import Base

Progress = Callable[[int, int], None]
"""Called with (rows inserted so far, rows to insert in all)."""
Target = AsyncEngine | async_sessionmaker[AsyncSession]
CHUNK_ROWS = 5_000


class DemoSeedError(Exception):
    """Seeding the demo channel failed."""


class DatabaseNotEmptyError(DemoSeedError):
    """The database already holds partners; demo data is only loaded into an empty one."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What a seed inserted: rows per table, how long it took, and the "now" it used."""

    scale: str
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


@asynccontextmanager
async def _transaction(target: Target) -> AsyncIterator[AsyncConnection]:
    if isinstance(target, AsyncEngine):
        async with target.begin() as connection:
            yield connection
    else:
        async with target.begin() as session:
            yield await session.connection()


async def _has_partners(connection: AsyncConnection) -> bool:
    partners = Base.metadata.tables["partners"]
    found = await connection.execute(select(partners.c.id).limit(1))
    return found.first() is not None


async def is_empty(target: Target) -> bool:
    """Whether the database has no partners yet (so ``seed`` would accept it)."""
    async with _transaction(target) as connection:
        return not await _has_partners(connection)


class _Writer:
    def __init__(self, connection: AsyncConnection, total: int, progress: Progress | None):
        self.connection = connection
        self.total = total
        self.progress = progress
        self.counts: dict[str, int] = {}

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    async def insert(self, table_name: str, rows: Sequence[Row]) -> None:
        table = Base.metadata.tables[table_name]
        for first in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[first : first + CHUNK_ROWS]
            await self.connection.execute(insert(table), list(chunk))
            self.counts[table_name] = self.counts.get(table_name, 0) + len(chunk)
            if self.progress:
                self.progress(min(self.done, self.total), self.total)


async def _insert_orders(writer: _Writer, batches: Iterator[OrderBatch]) -> None:
    """Insert orders batch by batch: parents before children, a bounded number in memory."""
    for batch in batches:
        await writer.insert("orders", batch.orders)
        await writer.insert("order_lines", batch.lines)
        await writer.insert("order_status_changes", batch.changes)


async def _advance_sequences(connection: AsyncConnection, tables: Sequence[Table]) -> None:
    """Move each PostgreSQL id sequence past the ids the seed assigned itself."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        highest = select(func.max(table.c.id)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, "id")
        await connection.execute(select(func.setval(sequence, highest)))


async def _sealed_reference(
    connection: AsyncConnection, channel: DemoChannel, crypto: FieldCrypto | None
) -> list[tuple[str, list[Row]]]:
    """The reference rows, with partners' sensitive fields sealed and their keys first."""
    if crypto is None:
        return channel.reference
    data_keys = Base.metadata.tables["data_keys"]
    first_key_id = int(await connection.scalar(select(func.max(data_keys.c.id))) or 0) + 1
    sealed: list[tuple[str, list[Row]]] = []
    for table_name, rows in channel.reference:
        if table_name == "partners":
            rows = [dict(row) for row in rows]
            sealed.append(("data_keys", seal_into(crypto, rows, channel.contacts, first_key_id)))
        sealed.append((table_name, rows))
    return sealed


async def load(
    target: Target,
    channel: DemoChannel,
    progress: Progress | None = None,
    crypto: FieldCrypto | None = None,
) -> SeedReport:
    """Insert a generated ``channel``; refuses a database that already has partners."""
    started = time.perf_counter()
    if crypto is not None:
        await crypto.prepare()  # the blind-index key, in its own transaction, before ours
    async with _transaction(target) as connection:
        if await _has_partners(connection):
            raise DatabaseNotEmptyError(
                "the database already has partners; demo data only goes into an empty database"
            )
        reference = await _sealed_reference(connection, channel, crypto)
        extra = sum(len(rows) for name, rows in reference if name == "data_keys")
        writer = _Writer(connection, channel.planned_rows + extra, progress)
        if progress:
            progress(0, writer.total)
        for table_name, rows in reference:
            await writer.insert(table_name, rows)
        await _insert_orders(writer, channel.order_batches())
        names = [name for name, _ in reference] + list(ORDER_TABLES)
        await _advance_sequences(connection, [Base.metadata.tables[n] for n in names])
    if progress:
        progress(writer.done, writer.done)
    elapsed = time.perf_counter() - started
    return SeedReport(channel.scale.name, channel.now, writer.counts, elapsed)


async def seed(
    target: Target,
    *,
    scale: Scale | str,
    progress: Progress | None = None,
    now: datetime | None = None,
    random_seed: int = DEFAULT_SEED,
    crypto: FieldCrypto | None = None,
) -> SeedReport:
    """Generate the demo channel of ``scale`` (orders over the 24 months before ``now``) and
    load it into the empty database behind ``target`` (an engine or a sessionmaker).

    The same ``scale``, ``now`` and ``random_seed`` always give the same data. Raises
    :class:`DatabaseNotEmptyError` when partners exist and ``ValueError`` for an unknown
    scale or a naive ``now``. ``progress`` is called after every chunk. With ``crypto``,
    partners' sensitive fields are sealed (see the module docstring).
    """
    if not await is_empty(target):  # fail fast, before spending seconds generating
        raise DatabaseNotEmptyError(
            "the database already has partners; demo data only goes into an empty database"
        )
    started = time.perf_counter()
    channel = generate(scale, now, random_seed)
    report = await load(target, channel, progress, crypto)
    elapsed = time.perf_counter() - started
    return SeedReport(report.scale, report.now, report.counts, elapsed)
