"""Shared plumbing for the benchmarks: the bench database, demo seeding, timings, SQL counting.

The bench database is a PostgreSQL database of its own (``channelhub_bench`` by default, never
the tests' ``test`` database): it is created when missing, migrated, and seeded with the demo
channel once; later runs find the data already at the wanted scale and reuse it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from store.base import Base
from store.migrate import upgrade

DEFAULT_DATABASE_URL = os.environ.get(
    "CHANNELHUB_BENCH_DATABASE_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/channelhub_bench",
)

Log = Callable[[str], None]


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BenchSetupError(RuntimeError):
    """The bench database cannot be used as it is (e.g. it holds other data)."""


# -- the database -------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """A plain ``postgresql://`` DSN for asyncpg from a SQLAlchemy URL."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if it is missing; True if it was created."""
    if not is_postgres(url):
        return False
    name = make_url(url).database
    if not name:
        raise BenchSetupError(f"no database name in {url!r}")
    conn = await asyncpg.connect(asyncpg_dsn(url, database="postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        await conn.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await conn.close()


async def table_counts(engine: AsyncEngine, *names: str) -> dict[str, int]:
    """Row counts of the named tables (exact ``count(*)``)."""
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for name in names:
            table = Base.metadata.tables[name]
            counts[name] = int(await conn.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def _reset_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


async def _analyze(url: str) -> None:
    """VACUUM ANALYZE a freshly seeded PostgreSQL database so plans and visibility are settled."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _progress(log: Log) -> Callable[[int, int], None]:
    shown = {-1}

    def report(done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if tenth not in shown:
            shown.add(tenth)
            log(f"  seeding: {done:,}/{total:,} rows ({tenth * 10}%)")

    return report


async def ensure_seeded(
    engine: AsyncEngine, url: str, scale: str, *, reseed: bool = False, log: Log = log_to_stderr
) -> float | None:
    """Migrate and seed the demo channel at ``scale`` unless it is already there.

    Returns the seeding time in seconds, or None when an already-seeded database was reused.
    A database holding other data is refused unless ``reseed`` (which drops everything).
    """
    from demo.scales import get_scale

    wanted = get_scale(scale)
    if reseed:
        log("dropping the bench database's tables (--reseed)")
        await _reset_schema(engine)
    await upgrade(engine)
    counts = await table_counts(engine, "partners", "products", "orders")
    if counts["partners"]:
        if (counts["partners"], counts["products"]) == (wanted.partners, wanted.products) and (
            counts["orders"] > 0
        ):
            return None
        raise BenchSetupError(
            f"the bench database holds other data ({counts['partners']:,} partners, "
            f"{counts['products']:,} products, {counts['orders']:,} orders), not the demo "
            f"channel at scale {scale!r}; pass --reseed to drop it and seed again"
        )
    from demo import seed

    log(f"seeding the demo channel at scale {scale!r} …")
    started = time.perf_counter()
    await seed(engine, scale=scale, progress=_progress(log))
    elapsed = time.perf_counter() - started
    if is_postgres(url):
        await _analyze(url)
    log(f"seeded in {elapsed:.1f} s")
    return elapsed


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Timings:
    """Wall-clock and process-CPU seconds of each measured request."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.wall) * 1000

    @property
    def p50_ms(self) -> float:
        return percentile(self.wall, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.wall, 95) * 1000

    @property
    def cpu_mean_ms(self) -> float:
        return statistics.fmean(self.cpu) * 1000

    def summary(self) -> dict[str, float]:
        return {
            "mean": round(self.mean_ms, 3),
            "p50": round(self.p50_ms, 3),
            "p95": round(self.p95_ms, 3),
            "cpu_mean": round(self.cpu_mean_ms, 3),
        }


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` with linear interpolation between ranks."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Stopwatch:
    """Times one block in wall-clock and process-CPU seconds: ``with Stopwatch(t): ...``."""

    def __init__(self, timings: Timings | None) -> None:
        self.timings = timings

    def __enter__(self) -> Stopwatch:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self.timings is not None and _type is None:
            self.timings.add(time.perf_counter() - self.wall, time.process_time() - self.cpu)


class StatementCounter:
    """Counts SQL statements and pool checkouts on an engine while active (a context manager)."""

    def __init__(self, engine: AsyncEngine | Engine) -> None:
        self.engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
        self.statements = 0
        self.checkouts = 0

    def _on_statement(self, *_args: Any) -> None:
        self.statements += 1

    def _on_checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_statement)
        event.listen(self.engine, "checkout", self._on_checkout)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_statement)
        event.remove(self.engine, "checkout", self._on_checkout)
