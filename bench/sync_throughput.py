"""Sync throughput: records/s from a local REST stub into PostgreSQL, end to end, against a
raw bulk insert of the same rows, measured in the same run.

- **sync (new records)**: ``jobs.sync.run_sync`` reads products from ``RestStub``
  (``bench/connector_stubs.py``: JSON pages over HTTP on 127.0.0.1, cursor pagination) into
  an empty store — read, map (decimal and date casts, a value map), resolve refs, upsert the
  products and their external refs in bulk, save the cursor and the run's counts, commit —
  one transaction per page.
- **sync (unchanged)**: the same stream read again: every record's digest matches, nothing
  is written but the page's cursor and counts.
- **floor (COPY)**: ``asyncpg``'s ``copy_records_to_table`` of the same rows, already mapped,
  into a table shaped like ``products`` (its indexes too); **executemany** the same with one
  ``INSERT`` executed for every row. Neither parses, maps, checks or writes refs.

Printed: each path's records/s and the ratio floor / sync (median of ``--rounds`` rounds,
after ``--warmup`` unmeasured ones; each round starts from an empty store). Every sync pass
is checked: SUCCEEDED, N read, N inserted (then N unchanged), N products and N refs, each
SKU once; any miss fails the run (exit status 1).

The database is PostgreSQL only (``channelhub_bench_sync`` next to the server named by
``CHANNELHUB_BENCH_DATABASE_URL``, else ``CHANNELHUB_TEST_DATABASE_URL``, else the local
default; ``--database-url`` for another); it is created when missing and migrated; the
tables the bench uses are emptied first. Its keyring lives in ``var/bench-sync``.

Run: ``.venv/bin/python bench/sync_throughput.py [--records N] [--page-size N] [--rounds N]
[--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench._common import Log, asyncpg_dsn, ensure_database, is_postgres, log_to_stderr
from bench.connector_read import rest_config
from bench.connector_stubs import CATEGORY_CODES, RestStub, product_rows

DEFAULT_RECORDS = 20_000
PAGE_SIZE = 500
DATABASE = "channelhub_bench_sync"
DATA_DIR = Path(__file__).resolve().parent.parent / "var" / "bench-sync"
"""Its keyring (the bench database's data keys are wrapped by it)."""
TABLES = ("external_refs", "products", "sync_states", "job_runs", "quarantined_records")
FLOOR_TABLE = "bench_sync_floor"
FLOOR_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "list_price",
    "lifecycle",
    "launch_date",
    "barcode",
    "created_at",
    "updated_at",
)


class SyncCheckError(AssertionError):
    """A sync pass missed, doubled or failed records: its timing means nothing."""


def default_url() -> str:
    base = (
        os.environ.get("CHANNELHUB_BENCH_DATABASE_URL")
        or os.environ.get("CHANNELHUB_TEST_DATABASE_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)


# -- the floor -----------------------------------------------------------------------------


def mapped_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The stub's records as ``products`` rows: what the sync's mapping makes of them."""
    now = datetime.now(UTC)
    return [
        (
            row["sku"],
            row["name"],
            CATEGORY_CODES[row["category_code"]],
            row["unit"],
            Decimal(row["price"]),
            "ACTIVE",
            date.fromisoformat(row["launched_on"]),
            row["barcode"],
            now,
            now,
        )
        for row in rows
    ]


async def floor_pass(dsn: str, rows: list[tuple[Any, ...]], how: str) -> float:
    """Seconds to bulk insert ``rows`` into an empty copy of ``products`` (indexes included)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        await conn.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE products INCLUDING ALL)")
        started = time.perf_counter()
        async with conn.transaction():
            if how == "copy":
                await conn.copy_records_to_table(FLOOR_TABLE, records=rows, columns=FLOOR_COLUMNS)
            else:
                marks = ", ".join(f"${n}" for n in range(1, len(FLOOR_COLUMNS) + 1))
                await conn.executemany(
                    f"INSERT INTO {FLOOR_TABLE} ({', '.join(FLOOR_COLUMNS)}) VALUES ({marks})",
                    rows,
                )
        seconds = time.perf_counter() - started
        stored = await conn.fetchval(f"SELECT count(*) FROM {FLOOR_TABLE}")
        if stored != len(rows):
            raise SyncCheckError(f"floor ({how}): {stored:,} rows stored for {len(rows):,}")
        return seconds
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        await conn.close()


# -- the sync ------------------------------------------------------------------------------


async def empty_tables(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


async def sync_pass(resources: Any, expected: int, *, fresh: bool) -> tuple[float, int]:
    """Seconds and pages of one run of the products stream; checked."""
    from jobs.runs import create_run, get_run
    from jobs.sync import run_sync
    from store.models import ExternalRef, Product

    async with resources.sessions.begin() as session:
        run = await create_run(
            session, kind="sync", connector="bench-rest-erp", stream="products", trigger="bench"
        )
    started = time.perf_counter()
    await run_sync(resources, run.id, will_retry=False)
    seconds = time.perf_counter() - started
    async with resources.sessions() as session:
        done = await get_run(session, run.id)
        products = await session.scalar(select(func.count()).select_from(Product))
        skus = await session.scalar(select(func.count(func.distinct(Product.sku))))
        refs = await session.scalar(select(func.count()).select_from(ExternalRef))
    assert done is not None
    wanted = (expected, 0) if fresh else (0, expected)
    got = (done.records_inserted, done.records_unchanged)
    if (
        done.status != "SUCCEEDED"
        or done.records_read != expected
        or got != wanted
        or (products, skus, refs) != (expected, expected, expected)
    ):
        raise SyncCheckError(
            f"sync ({'new' if fresh else 'unchanged'}): {done.status} {done.error_message or ''}; "
            f"read {done.records_read:,}, inserted {done.records_inserted:,}, unchanged "
            f"{done.records_unchanged:,}; {products:,} products ({skus:,} SKUs), {refs:,} refs "
            f"for {expected:,} records"
        )
    return seconds, done.pages


@dataclass
class Report:
    records: int
    page_size: int
    rounds: int
    warmup: int
    pages: int = 0
    sync_new: list[float] = field(default_factory=list)
    sync_unchanged: list[float] = field(default_factory=list)
    copy: list[float] = field(default_factory=list)
    executemany: list[float] = field(default_factory=list)

    def rate(self, seconds: list[float]) -> float:
        return self.records / statistics.median(seconds)

    def as_json(self) -> dict[str, Any]:
        new, same = self.rate(self.sync_new), self.rate(self.sync_unchanged)
        copy, many = self.rate(self.copy), self.rate(self.executemany)
        return {
            "bench": "sync_throughput",
            "records": self.records,
            "page_size": self.page_size,
            "pages": self.pages,
            "rounds": self.rounds,
            "warmup": self.warmup,
            "sync_new_records_per_s": round(new),
            "sync_unchanged_records_per_s": round(same),
            "copy_records_per_s": round(copy),
            "executemany_records_per_s": round(many),
            "ratio_copy_to_sync": round(copy / new, 2),
            "ratio_executemany_to_sync": round(many / new, 2),
            "exactly_once": True,
        }

    def as_text(self) -> str:
        j = self.as_json()
        return "\n".join(
            [
                f"sync_throughput: {self.records:,} products from a REST stub into PostgreSQL, "
                f"pages of {self.page_size} ({self.pages} pages); median of {self.rounds} "
                f"round(s) after {self.warmup} warm-up",
                f"  sync, new records        {j['sync_new_records_per_s']:12,} records/s "
                "(read, map, upsert + refs, cursor commit per page)",
                f"  sync, unchanged re-read  {j['sync_unchanged_records_per_s']:12,} records/s",
                f"  floor: COPY              {j['copy_records_per_s']:12,} records/s "
                "(the same rows, mapped, into a copy of products)",
                f"  floor: executemany       {j['executemany_records_per_s']:12,} records/s",
                f"  COPY/sync                {j['ratio_copy_to_sync']:12.1f}x",
                f"  executemany/sync         {j['ratio_executemany_to_sync']:12.1f}x",
                "  every sync pass: SUCCEEDED, N read, N inserted then N unchanged, N rows, N refs",
            ]
        )


async def run(
    database_url: str | None = None,
    records: int = DEFAULT_RECORDS,
    *,
    page_size: int = PAGE_SIZE,
    rounds: int = 3,
    warmup: int = 1,
    data_dir: Path | None = None,
    log: Log = log_to_stderr,
) -> Report:
    from jobs.connector_configs import apply_configs
    from jobs.runtime import close_resources, open_resources
    from settings import Settings
    from store.engine import create_engine
    from store.migrate import upgrade

    if records < 1 or rounds < 1 or warmup < 0 or page_size < 1:
        raise ValueError("records, rounds and page size must be at least 1, warm-up at least 0")
    url = database_url or default_url()
    if not is_postgres(url):
        raise ValueError("the sync bench measures PostgreSQL: give a postgresql+asyncpg URL")
    dsn = asyncpg_dsn(url)
    await ensure_database(url)
    rows = product_rows(records)
    floor_rows = mapped_rows(rows)
    report = Report(records, page_size, rounds, warmup)
    with RestStub(rows, page_size) as stub:
        settings = Settings(database_url=url, data_dir=data_dir or DATA_DIR, auto_migrate=False)
        engine = create_engine(settings)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        resources = await open_resources(settings)
        try:
            config = rest_config(stub.base_url, page_size)
            for number in range(warmup + rounds):
                measured = number >= warmup
                log(f"round {number + 1 - warmup if measured else 'warm-up'} …")
                await empty_tables(dsn)
                await apply_configs(resources.crypto, [config])
                new, pages = await sync_pass(resources, records, fresh=True)
                same, _ = await sync_pass(resources, records, fresh=False)
                copy = await floor_pass(dsn, floor_rows, "copy")
                many = await floor_pass(dsn, floor_rows, "executemany")
                if measured:
                    report.sync_new.append(new)
                    report.sync_unchanged.append(same)
                    report.copy.append(copy)
                    report.executemany.append(many)
                    report.pages = pages
        finally:
            await close_resources(resources)
            await empty_tables(dsn)
            await _drop_connectors(dsn)
    return report


async def _drop_connectors(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM connectors")
    finally:
        await conn.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help=f"PostgreSQL URL (default: {DATABASE} next to …)")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records per pass")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="records per page")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (median)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(
            run(
                args.database_url,
                args.records,
                page_size=args.page_size,
                rounds=args.rounds,
                warmup=args.warmup,
            )
        )
    except (SyncCheckError, ValueError) as exc:
        print(f"sync_throughput: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_json()) if args.json else report.as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
