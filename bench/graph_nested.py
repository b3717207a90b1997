"""Nested-order bench: the graph against a plain-SQL floor measured in the same run.

The graph answers "the newest 100 orders with their partner (and its region) and their lines
with the product" through the ASGI app in process (``httpx.ASGITransport``: no network). The
floor fetches the same rows with two plain SQL statements through the driver directly
(asyncpg on PostgreSQL, aiosqlite on SQLite) and serializes them with ``json.dumps`` into the
same response shape. Before timing, both responses are decoded and compared field by field,
so the floor does no less work than it should. Printed: ms/request (mean, p50, p95, process
CPU) for both paths, the ratio graph/floor, and SQL statements per graph request.

Run: ``.venv/bin/python bench/graph_nested.py [--requests N] [--warmup N] [--json]`` (or
``make bench``). The first run on a new database seeds the demo channel (scale large: about
64k orders and 230k lines); later runs reuse it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from bench._common import (
    DEFAULT_DATABASE_URL,
    BenchSetupError,
    Log,
    StatementCounter,
    Stopwatch,
    Timings,
    asyncpg_dsn,
    ensure_database,
    ensure_seeded,
    is_postgres,
    log_to_stderr,
    table_counts,
)
from security.tokens import issue_token
from security.viewer import Role

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 100
QUERY = """
{ orders(first: 100) { nodes {
    number status total createdAt
    partner { code name region { name } }
    lines { quantity unitPrice lineTotal product { sku name } }
} } }
"""


class PayloadMismatchError(AssertionError):
    """The graph and the floor did not answer the same data: the comparison is void."""


# -- the floor: plain SQL through the driver, json.dumps -----------------------------------

OrderRow = tuple[int, str, str, Decimal, datetime, str, str, str | None]
LineRow = tuple[int, int, Decimal, Decimal, str, str]

_ORDERS_SQL = """
SELECT o.id, o.number, o.status, o.total, o.created_at, p.code, p.name, r.name
FROM orders o
JOIN partners p ON p.id = o.partner_id
LEFT JOIN regions r ON r.id = p.region_id
ORDER BY o.created_at DESC, o.id DESC
LIMIT {limit}
"""
_LINES_SQL = """
SELECT l.order_id, l.quantity, l.unit_price, l.line_total, pr.sku, pr.name
FROM order_lines l
JOIN products pr ON pr.id = l.product_id
WHERE l.order_id {ids}
ORDER BY l.order_id, l.line_no
"""


class Floor(Protocol):
    """Reads the rows of one response with plain SQL, bypassing the ORM and the graph."""

    async def fetch(self, limit: int) -> tuple[Sequence[OrderRow], Sequence[LineRow]]: ...

    async def close(self) -> None: ...


class AsyncpgFloor:
    """The floor on PostgreSQL: a small asyncpg pool, one checkout per request."""

    orders_sql = _ORDERS_SQL.format(limit="$1")
    lines_sql = _LINES_SQL.format(ids="= ANY($1::int[])")

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> AsyncpgFloor:
        return cls(await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2))

    async def fetch(self, limit: int) -> tuple[Sequence[OrderRow], Sequence[LineRow]]:
        async with self.pool.acquire() as conn:
            orders = await conn.fetch(self.orders_sql, limit)
            lines = await conn.fetch(self.lines_sql, [row[0] for row in orders])
        return orders, lines

    async def close(self) -> None:
        await self.pool.close()


_MONEY_FACTOR = Decimal(10) ** 4


class SqliteFloor:
    """The floor on SQLite (for the smoke test): money is a scaled integer, times are naive."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, url: str) -> SqliteFloor:
        import aiosqlite

        return cls(await aiosqlite.connect(make_url(url).database or ":memory:"))

    async def fetch(self, limit: int) -> tuple[Sequence[OrderRow], Sequence[LineRow]]:
        cursor = await self.conn.execute(_ORDERS_SQL.format(limit="?"), (limit,))
        orders: list[OrderRow] = [
            (oid, number, status, _money(total), _utc(created), code, name, region)
            for oid, number, status, total, created, code, name, region in await cursor.fetchall()
        ]
        ids = [row[0] for row in orders]
        marks = ", ".join("?" * len(ids))
        cursor = await self.conn.execute(_LINES_SQL.format(ids=f"IN ({marks})"), ids)
        lines: list[LineRow] = [
            (oid, quantity, _money(price), _money(total), sku, name)
            for oid, quantity, price, total, sku, name in await cursor.fetchall()
        ]
        return orders, lines

    async def close(self) -> None:
        await self.conn.close()


def _money(scaled: int) -> Decimal:
    return Decimal(scaled) / _MONEY_FACTOR


def _utc(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


async def open_floor(url: str) -> Floor:
    if is_postgres(url):
        return await AsyncpgFloor.open(url)
    return await SqliteFloor.open(url)


_CENTS = Decimal("0.01")
_QUANT = Decimal("0.0001")


def money_text(value: Decimal) -> str:
    """The graph's money format: two decimals when the amount is whole cents, else four."""
    cents = value.quantize(_CENTS)
    return str(cents if cents == value else value.quantize(_QUANT))


def render(orders: Sequence[OrderRow], lines: Sequence[LineRow]) -> bytes:
    """The floor's response body: the graph's response shape, built from plain rows."""
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for order_id, quantity, unit_price, line_total, sku, product_name in lines:
        by_order[order_id].append(
            {
                "quantity": quantity,
                "unitPrice": money_text(unit_price),
                "lineTotal": money_text(line_total),
                "product": {"sku": sku, "name": product_name},
            }
        )
    nodes = [
        {
            "number": number,
            "status": status,
            "total": money_text(total),
            "createdAt": created_at.isoformat(),
            "partner": {
                "code": code,
                "name": partner_name,
                "region": None if region_name is None else {"name": region_name},
            },
            "lines": by_order.get(order_id, []),
        }
        for order_id, number, status, total, created_at, code, partner_name, region_name in orders
    ]
    return json.dumps({"data": {"orders": {"nodes": nodes}}}).encode()


async def floor_request(floor: Floor, limit: int = PAGE_SIZE) -> bytes:
    orders, lines = await floor.fetch(limit)
    return render(orders, lines)


# -- the graph ------------------------------------------------------------------------------


async def graph_request(client: httpx.AsyncClient) -> bytes:
    response = await client.post("/graphql", json={"query": QUERY})
    if response.status_code != 200:
        raise PayloadMismatchError(f"graph answered HTTP {response.status_code}: {response.text}")
    return response.content


def compare(graph_body: bytes, floor_body: bytes) -> tuple[int, int]:
    """Check both bodies carry the same orders; return (orders, lines) in a response."""
    graph = json.loads(graph_body)
    floor = json.loads(floor_body)
    if graph.get("errors"):
        raise PayloadMismatchError(f"graph answered errors: {graph['errors']}")
    graph_nodes = graph["data"]["orders"]["nodes"]
    floor_nodes = floor["data"]["orders"]["nodes"]

    def key_figures(nodes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (
                n["number"],
                n["total"],
                tuple((x["product"]["sku"], x["lineTotal"]) for x in n["lines"]),
            )
            for n in nodes
        ]

    if key_figures(graph_nodes) != key_figures(floor_nodes):
        raise PayloadMismatchError("order numbers, totals or line totals differ")
    if graph != floor:
        for g, f in zip(graph_nodes, floor_nodes, strict=True):
            if g != f:
                raise PayloadMismatchError(f"order differs:\n graph {g}\n floor {f}")
        raise PayloadMismatchError("responses differ outside the order nodes")
    if not graph_nodes:
        raise PayloadMismatchError("no orders: seed the database first")
    return len(graph_nodes), sum(len(n["lines"]) for n in graph_nodes)


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Measurement:
    graph: Timings
    floor: Timings
    transport: Timings
    requests: int
    warmup: int
    orders: int
    lines: int
    statements_per_request: float
    checkouts_per_request: float

    @property
    def ratio_mean(self) -> float:
        return self.graph.mean_ms / self.floor.mean_ms

    @property
    def ratio_p50(self) -> float:
        return self.graph.p50_ms / self.floor.p50_ms


def in_process_client(app: Starlette) -> httpx.AsyncClient:
    """A client of ``app`` that authenticates as a brand admin (sees the whole channel)."""
    token = issue_token(app.state.hub.settings, subject="bench", role=Role.BRAND_ADMIN)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench",
        headers={"Authorization": f"Bearer {token}"},
    )


async def measure(app: Starlette, floor: Floor, *, requests: int, warmup: int) -> Measurement:
    """Compare one graph and one floor response, then time ``requests`` of each, interleaved.

    Also times ``GET /healthz`` through the same transport: what ASGI + httpx alone cost.
    """
    if requests < 1:
        raise ValueError("requests must be at least 1")
    graph, floor_t, transport = Timings(), Timings(), Timings()
    async with in_process_client(app) as client:
        orders, lines = compare(await graph_request(client), await floor_request(floor))
        for _ in range(warmup):
            await graph_request(client)
            await floor_request(floor)
            await client.get("/healthz")
        with StatementCounter(app.state.hub.engine) as counter:
            for _ in range(requests):
                with Stopwatch(graph):
                    await graph_request(client)
                with Stopwatch(floor_t):
                    await floor_request(floor)
                with Stopwatch(transport):
                    await client.get("/healthz")
    return Measurement(
        graph=graph,
        floor=floor_t,
        transport=transport,
        requests=requests,
        warmup=warmup,
        orders=orders,
        lines=lines,
        statements_per_request=counter.statements / requests,
        checkouts_per_request=counter.checkouts / requests,
    )


async def profile_graph(app: Starlette, requests: int, top: int = 30) -> str:
    """cProfile ``requests`` graph requests; the hottest functions by own time and in total."""
    profiler = cProfile.Profile()
    async with in_process_client(app) as client:
        await graph_request(client)
        profiler.enable()
        for _ in range(requests):
            await graph_request(client)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"== profile of {requests} graph request(s): own time by package ==\n")
    out.write(own_time_by_package(stats))
    out.write("== by own time ==\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _package(filename: str) -> str:
    """A profile entry's package: third-party distribution, stdlib module or our folder."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(ROOT)):
        return "ours:" + Path(filename).relative_to(ROOT).parts[0].removesuffix(".py")
    if "/lib/python3" in filename:
        return "stdlib:" + filename.split("/lib/python3", 1)[1].split("/")[1].removesuffix(".py")
    return "builtins" if filename == "~" else filename


def own_time_by_package(stats: pstats.Stats, top: int = 15) -> str:
    """Own (not cumulative) profiled time summed per package, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), entry in stats.stats.items():  # type: ignore[attr-defined]
        totals[_package(filename)] += entry[2]
    overall = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return "".join(f"  {t:8.3f} s {t / overall:6.1%}  {name}\n" for name, t in ranked)


# -- the command ----------------------------------------------------------------------------


@dataclass
class Report:
    database: str
    scale: str
    seed_seconds: float | None
    order_count: int
    line_count: int
    measurement: Measurement

    def as_json(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "bench": "graph_nested",
            "database": self.database,
            "scale": self.scale,
            "seed_seconds": None if self.seed_seconds is None else round(self.seed_seconds, 1),
            "orders_in_db": self.order_count,
            "lines_in_db": self.line_count,
            "requests": m.requests,
            "warmup": m.warmup,
            "orders_per_response": m.orders,
            "lines_per_response": m.lines,
            "graph_ms": m.graph.summary(),
            "floor_ms": m.floor.summary(),
            "transport_ms": m.transport.summary(),
            "ratio_mean": round(m.ratio_mean, 2),
            "ratio_p50": round(m.ratio_p50, 2),
            "statements_per_request": m.statements_per_request,
            "checkouts_per_request": m.checkouts_per_request,
            "payloads_match": True,
        }

    def as_text(self) -> str:
        m = self.measurement

        def row(name: str, t: Timings) -> str:
            return (
                f"  {name:<9} mean {t.mean_ms:8.2f}   p50 {t.p50_ms:8.2f}   "
                f"p95 {t.p95_ms:8.2f}   cpu {t.cpu_mean_ms:8.2f}"
            )

        seeded = (
            "reused the seeded database"
            if self.seed_seconds is None
            else f"seeded in {self.seed_seconds:.1f} s"
        )
        return "\n".join(
            [
                f"graph_nested on {self.database} (scale {self.scale}: {self.order_count:,} "
                f"orders, {self.line_count:,} lines; {seeded})",
                f"  {m.requests} requests after {m.warmup} warm-up; each response: {m.orders} "
                f"orders, {m.lines} lines; payloads identical",
                "  ms/request",
                row("graph", m.graph),
                row("floor", m.floor),
                row("transport", m.transport) + "   (GET /healthz: ASGI + httpx alone)",
                f"  graph/floor: {m.ratio_mean:.1f}x (mean), {m.ratio_p50:.1f}x (p50)",
                f"  graph: {m.statements_per_request:g} SQL statements/request, "
                f"{m.checkouts_per_request:g} pool checkouts/request",
            ]
        )


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def run(
    database_url: str,
    *,
    scale: str,
    requests: int,
    warmup: int,
    reseed: bool = False,
    profile: int = 0,
    log: Log = log_to_stderr,
) -> Report:
    from app import create_app
    from settings import Settings
    from store.engine import create_engine

    if await ensure_database(database_url):
        log(f"created database {make_url(database_url).database}")
    settings = Settings(database_url=database_url, auto_migrate=False, graphiql=False)
    seeding_engine = create_engine(settings)
    try:
        seed_seconds = await ensure_seeded(
            seeding_engine, database_url, scale, reseed=reseed, log=log
        )
        counts = await table_counts(seeding_engine, "orders", "order_lines")
    finally:
        await seeding_engine.dispose()
    app = create_app(settings)
    floor = await open_floor(database_url)
    try:
        log(f"measuring {requests} requests after {warmup} warm-up …")
        measurement = await measure(app, floor, requests=requests, warmup=warmup)
        if profile:
            log(await profile_graph(app, profile))
    finally:
        await floor.close()
        await app.state.hub.engine.dispose()
    return Report(
        _display_url(database_url),
        scale,
        seed_seconds,
        counts["orders"],
        counts["order_lines"],
        measurement,
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per path")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests first")
    parser.add_argument("--scale", default="large", help="demo scale to seed (small|medium|large)")
    parser.add_argument("--reseed", action="store_true", help="drop the bench data and seed again")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also cProfile N graph requests"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(
            run(
                args.database_url,
                scale=args.scale,
                requests=args.requests,
                warmup=args.warmup,
                reseed=args.reseed,
                profile=args.profile,
            )
        )
    except (BenchSetupError, PayloadMismatchError) as exc:
        print(f"graph_nested: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_json()) if args.json else report.as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
