"""Analytics bench: the sales trend and partner ranking queries against the bare SQL
aggregate, on ≥ 1M order lines in PostgreSQL, measured in the same run.

Measured, per case, mean wall ms over ``--repeats`` runs (after ``--warmup``):
- **hub**: the service the graph calls (``resolvers.analytics.sales_trends`` /
  ``partner_ranking``: SQLAlchemy statement + scoping + growth / Pareto in Python);
- **floor**: the same GROUP BY hand-written, sent through asyncpg directly, rows fetched.
Printed: both means, the ratio hub/floor, and the rows each answer returned (they must agree).

Cases: trends per root region subtree × category × month over 12 months (with the 12 months
before for year-over-year); the ranking of every partner over a quarter; the same ranking
seen by a region manager of one root region (scope predicate inside the statement).

The bench database (``channelhub_bench_analytics``; ``--url`` to change) is created, migrated
and seeded once with ``--lines`` order lines (default 1,000,000), generated inside PostgreSQL
with ``generate_series`` (no rows cross the wire; faster than COPY); later runs reuse it.

Run: ``.venv/bin/python bench/analytics.py [--repeats N] [--warmup N] [--lines N] [--json]``
(or ``make bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench._common import asyncpg_dsn, ensure_database, log_to_stderr
from resolvers import analytics as service
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.migrate import upgrade
from store.scope import Scope

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/channelhub_bench_analytics"
LINES_PER_ORDER = 4
ROOTS, CHILDREN, LEAVES = 4, 5, 5  # 4 + 20 + 100 regions
PARTNERS, PRODUCTS, CATEGORIES = 2000, 200, 10
TREND_FROM, TREND_TO = date(2025, 1, 1), date(2025, 12, 31)
RANK_FROM, RANK_TO = date(2025, 10, 1), date(2025, 12, 31)
SALES = "('APPROVED','SHIPPED','DELIVERED','CLOSED')"

SEED = [
    # regions: roots 1-4, children 5-24, leaves 25-124, paths /root/child/leaf/
    """INSERT INTO regions (id, code, name, parent_id, level, path, created_at, updated_at)
       SELECT r, 'R' || r, 'Region ' || r, NULL, 0, '/' || r || '/', now(), now()
       FROM generate_series(1, {roots}) r""",
    """INSERT INTO regions (id, code, name, parent_id, level, path, created_at, updated_at)
       SELECT {roots} + c, 'R' || ({roots} + c), 'Region ' || ({roots} + c),
              (c - 1) / {children} + 1, 1,
              '/' || ((c - 1) / {children} + 1) || '/' || ({roots} + c) || '/', now(), now()
       FROM generate_series(1, {roots} * {children}) c""",
    """INSERT INTO regions (id, code, name, parent_id, level, path, created_at, updated_at)
       SELECT {first_leaf} + l, 'R' || ({first_leaf} + l), 'Region ' || ({first_leaf} + l),
              p.id, 2, p.path || ({first_leaf} + l) || '/', now(), now()
       FROM generate_series(1, {roots} * {children} * {leaves}) l
       JOIN regions p ON p.id = {roots} + 1 + (l - 1) / {leaves}""",
    "SELECT setval(pg_get_serial_sequence('regions', 'id'), (SELECT max(id) FROM regions))",
    """INSERT INTO partners (id, code, name, type, status, region_id, credit_limit,
                             created_at, updated_at)
       SELECT p, 'P' || lpad(p::text, 6, '0'), 'Partner ' || p, 'DEALER', 'ACTIVE',
              {first_leaf} + 1 + (p * 7919) % ({roots} * {children} * {leaves}), 10000,
              now(), now()
       FROM generate_series(1, {partners}) p""",
    "SELECT setval(pg_get_serial_sequence('partners', 'id'), {partners})",
    """INSERT INTO products (id, sku, name, category, unit, list_price, lifecycle,
                             created_at, updated_at)
       SELECT p, 'SKU-' || p, 'Product ' || p, 'Category ' || (p % {categories}), 'EA',
              (1 + (p * 37) % 500) / 10.0, 'ACTIVE', now(), now()
       FROM generate_series(1, {products}) p""",
    "SELECT setval(pg_get_serial_sequence('products', 'id'), {products})",
    """INSERT INTO orders (id, number, partner_id, status, currency, total, created_at,
                           updated_at)
       SELECT o, 'SO-' || o, 1 + (o * 104729) % {partners},
              (ARRAY['APPROVED','SHIPPED','DELIVERED','CLOSED','CLOSED','CLOSED',
                     'SUBMITTED','CANCELLED'])[1 + o % 8],
              'CNY', 0,
              timestamptz '2024-01-01 00:00:00+00' + (o * 7919 % 730) * interval '1 day'
                + (o % 86400) * interval '1 second',
              now()
       FROM generate_series(1::bigint, {orders}) o""",
    "SELECT setval(pg_get_serial_sequence('orders', 'id'), {orders})",
    """INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price, line_total)
       SELECT o, n, pr.id, q, pr.list_price, pr.list_price * q
       FROM generate_series(1::bigint, {orders}) o
       CROSS JOIN generate_series(1, {per_order}) n
       CROSS JOIN LATERAL (SELECT 1 + (o * 31 + n * 17) % 12 AS q) qty
       JOIN products pr ON pr.id = 1 + (o * 13 + n * 71) % {products}""",
    """INSERT INTO locations (id, code, name, kind, partner_id, region_id, created_at,
                              updated_at)
       SELECT p.id, 'L' || p.id, 'Site', 'PARTNER_SITE', p.id, p.region_id, now(), now()
       FROM partners p""",
    "SELECT setval(pg_get_serial_sequence('locations', 'id'), {partners})",
    """INSERT INTO stock_levels (location_id, product_id, on_hand, reserved, in_transit)
       SELECT l, 1 + (l * 3 + k * 19) % {products}, (l + k) % 40, 0, 0
       FROM generate_series(1, {partners}) l CROSS JOIN generate_series(1, 10) k
       ON CONFLICT DO NOTHING""",
]

TREND_FLOOR = f"""
SELECT (extract(year FROM timezone('UTC', o.created_at)) * 100
        + extract(month FROM timezone('UTC', o.created_at)))::int AS month,
       p.category, g.id, sum(l.line_total), sum(l.quantity)
FROM order_lines l
JOIN orders o ON o.id = l.order_id
JOIN products p ON p.id = l.product_id
JOIN partners pa ON pa.id = o.partner_id
JOIN regions own ON own.id = pa.region_id
JOIN regions g ON own.path LIKE g.path || '%'
WHERE o.status IN {SALES} AND o.created_at >= $1 AND o.created_at < $2 AND g.id = ANY($3)
GROUP BY 1, 2, 3"""

RANK_FLOOR = f"""
WITH sold AS (
  SELECT o.partner_id, sum(l.line_total) AS amount, sum(l.quantity) AS quantity
  FROM order_lines l JOIN orders o ON o.id = l.order_id
  WHERE o.status IN {SALES} AND o.created_at >= $1 AND o.created_at < $2 {{scope}}
  GROUP BY o.partner_id),
held AS (
  SELECT lo.partner_id, sum(s.on_hand) AS qty FROM stock_levels s
  JOIN locations lo ON lo.id = s.location_id
  WHERE lo.partner_id IN (SELECT partner_id FROM sold) GROUP BY lo.partner_id)
SELECT pa.id, pa.code, sold.amount, sold.quantity, coalesce(held.qty, 0)
FROM partners pa JOIN sold ON sold.partner_id = pa.id
LEFT JOIN held ON held.partner_id = pa.id
ORDER BY sold.amount DESC, pa.code"""

REGION_SCOPE = """AND o.partner_id IN (SELECT id FROM partners WHERE region_id IN
  (SELECT id FROM regions WHERE path LIKE (SELECT path FROM regions WHERE id = 1) || '%'))"""


async def seed(dsn: str, lines: int, log: Any = log_to_stderr) -> float | None:
    """Seed the analytics channel unless the database already holds ``lines`` order lines."""
    conn = await asyncpg.connect(dsn)
    try:
        have = await conn.fetchval("SELECT count(*) FROM order_lines")
        if have >= lines:
            return None
        if have or await conn.fetchval("SELECT count(*) FROM partners"):
            raise SystemExit("the bench database holds other data: drop it and run again")
        orders = -(-lines // LINES_PER_ORDER)
        values = {
            "roots": ROOTS,
            "children": CHILDREN,
            "leaves": LEAVES,
            "first_leaf": ROOTS + ROOTS * CHILDREN,
            "partners": PARTNERS,
            "products": PRODUCTS,
            "categories": CATEGORIES,
            "orders": orders,
            "per_order": LINES_PER_ORDER,
        }
        log(f"seeding {orders:,} orders × {LINES_PER_ORDER} lines …")
        started = time.perf_counter()
        async with conn.transaction():
            for statement in SEED:
                await conn.execute(statement.format(**values))
        await conn.execute("VACUUM ANALYZE")
        elapsed = time.perf_counter() - started
        log(f"seeded in {elapsed:.1f} s")
        return elapsed
    finally:
        await conn.close()


@dataclass
class Case:
    name: str
    hub: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    rows: tuple[int, int] = (0, 0)

    def summary(self) -> dict[str, Any]:
        hub, floor = statistics.fmean(self.hub) * 1000, statistics.fmean(self.floor) * 1000
        return {
            "case": self.name,
            "hub_ms": round(hub, 2),
            "floor_ms": round(floor, 2),
            "ratio": round(hub / floor, 3),
            "rows_hub": self.rows[0],
            "rows_floor": self.rows[1],
        }


def _bounds(start: date, end: date) -> tuple[Any, Any]:
    from datetime import UTC, datetime, timedelta

    return (
        datetime(start.year, start.month, start.day, tzinfo=UTC),
        datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1),
    )


Call = Callable[[], Awaitable[int]]


async def run_cases(
    sessions: async_sessionmaker[AsyncSession],
    floor: Any,
    *,
    repeats: int,
    warmup: int,
    trend: tuple[date, date] = (TREND_FROM, TREND_TO),
    rank: tuple[date, date] = (RANK_FROM, RANK_TO),
    roots: tuple[int, ...] = tuple(range(1, ROOTS + 1)),
) -> list[Case]:
    """Time each case ``repeats`` times (alternating hub and floor) after ``warmup`` rounds."""
    manager = Scope(region_ids=frozenset({roots[0]}), reference_data=True)
    trend_lo, _ = _bounds(date(trend[0].year - 1, trend[0].month, 1), trend[0])
    _, trend_hi = _bounds(trend[1], date(trend[1].year, 12, 31))
    rank_lo, rank_hi = _bounds(*rank)

    async def hub_trends(scope: Scope) -> int:
        found = await service.sales_trends(
            sessions, scope, start=trend[0], end=trend[1], region_ids=roots, by_category=True
        )
        return sum(len(s.points) for s in found)

    async def hub_rank(scope: Scope) -> int:
        found = await service.partner_ranking(sessions, scope, start=rank[0], end=rank[1])
        return len(found.partners)

    async def floor_trends() -> int:
        rows = await floor.fetch(TREND_FLOOR, trend_lo, trend_hi, list(roots))
        return sum(1 for r in rows if r[0] >= trend[0].year * 100 + trend[0].month)

    async def floor_rank(scope_sql: str) -> int:
        return len(await floor.fetch(RANK_FLOOR.format(scope=scope_sql), rank_lo, rank_hi))

    plans: list[tuple[str, Call, Call]] = [
        (
            "trends: root regions × category × month",
            lambda: hub_trends(Scope.everything()),
            floor_trends,
        ),
        (
            "ranking: all partners, a quarter",
            lambda: hub_rank(Scope.everything()),
            lambda: floor_rank(""),
        ),
        (
            "ranking: region manager of one root",
            lambda: hub_rank(manager),
            lambda: floor_rank(REGION_SCOPE),
        ),
    ]
    cases = []
    for name, hub, bare in plans:
        case = Case(name)
        for i in range(warmup + repeats):
            started = time.perf_counter()
            hub_rows = await hub()
            middle = time.perf_counter()
            floor_rows = await bare()
            ended = time.perf_counter()
            if i >= warmup:
                case.hub.append(middle - started)
                case.floor.append(ended - middle)
            case.rows = (hub_rows, floor_rows)
        cases.append(case)
    return cases


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    await ensure_database(args.url)
    engine = create_engine(Settings(database_url=args.url), args.url)
    try:
        await upgrade(engine)
        dsn = asyncpg_dsn(args.url)
        seeded = await seed(dsn, args.lines)
        floor = await asyncpg.connect(dsn)
        try:
            lines = await floor.fetchval("SELECT count(*) FROM order_lines")
            cases = await run_cases(
                create_sessionmaker(engine), floor, repeats=args.repeats, warmup=args.warmup
            )
        finally:
            await floor.close()
    finally:
        await engine.dispose()
    report = {
        "order_lines": lines,
        "seed_s": None if seeded is None else round(seeded, 1),
        "cases": [c.summary() for c in cases],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"analytics bench: {lines:,} order lines in PostgreSQL, {args.repeats} runs each")
    for c in report["cases"]:
        print(
            f"  {c['case']:<42} hub {c['hub_ms']:9.2f} ms   floor {c['floor_ms']:9.2f} ms   "
            f"hub/floor {c['ratio']:5.2f}x   rows {c['rows_hub']}/{c['rows_floor']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
