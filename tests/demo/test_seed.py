"""The demo seed: one small channel is loaded per module and checked from every side in SQL."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Executable, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import store.models  # noqa: F401  (registers every table)
from demo import DatabaseNotEmptyError, SeedReport, is_empty, seed
from demo.data import generate
from demo.loader import load
from demo.order_plan import LINE_COUNT_WEIGHTS, months_before
from demo.scales import SCALES, Scale
from demo.values import ean13, is_valid_ean13, money
from domain.enums import LocationKind, OrderStatus, PartnerStatus, PartnerType
from settings import Settings
from store.base import Base
from store.engine import create_engine, create_sessionmaker
from store.migrate import upgrade
from store.models import Partner

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
T = Base.metadata.tables
# Tables whose rows the migrations themselves create (the audit chain's head).
MIGRATION_ROWS = {"audit_head"}
TINY = Scale("tiny", provinces=2, cities_per_province=2, partners=12, products=30, orders=300)


@dataclass
class Seeded:
    settings: Settings
    report: SeedReport
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    settings = Settings(data_dir=tmp_path_factory.mktemp("seed"), database_url="")
    calls: list[tuple[int, int]] = []

    async def run() -> SeedReport:
        engine = create_engine(settings)
        try:
            await upgrade(engine)
            assert await is_empty(engine)
            return await seed(
                engine, scale="small", now=NOW, progress=lambda d, t: calls.append((d, t))
            )
        finally:
            await engine.dispose()

    return Seeded(settings, asyncio.run(run()), calls)


@pytest.fixture
async def conn(seeded: Seeded, anyio_backend: str) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(seeded.settings)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def rows(conn: AsyncConnection, statement: Executable) -> list[Any]:
    return list((await conn.execute(statement)).all())


async def scalar(conn: AsyncConnection, statement: Executable) -> Any:
    return (await conn.execute(statement)).scalar_one()


async def test_counts_match_the_small_scale(conn, seeded):
    counts = {name: await scalar(conn, select(func.count()).select_from(T[name])) for name in T}
    assert counts["partners"] == 200
    assert counts["products"] == 500
    assert counts["orders"] == 20_000
    assert counts["tiers"] == 4
    assert counts["regions"] == 1 + 6 + 6 * 4
    assert 20_000 * 2 < counts["order_lines"] < 20_000 * 6
    assert counts["locations"] in (202, 203)
    seeded_tables = {k: v for k, v in counts.items() if v and k not in MIGRATION_ROWS}
    assert seeded_tables == seeded.report.counts
    for table, low, high in (("partner_documents", 1, 3), ("cooperation_events", 2, 6)):
        partner_id = T[table].c.partner_id
        per_partner = await rows(conn, select(partner_id, func.count()).group_by(partner_id))
        assert len(per_partner) == 200
        assert all(low <= n <= high for _, n in per_partner)


async def test_progress_climbs_to_every_inserted_row(seeded):
    done = [d for d, _ in seeded.progress]
    assert done == sorted(done) and done[0] == 0
    assert seeded.progress[-1] == (seeded.report.total_rows, seeded.report.total_rows)


async def test_region_tree_paths_and_levels_follow_parents(conn):
    regions = {r.id: r for r in await rows(conn, select(T["regions"]))}
    for region in regions.values():
        parent = regions.get(region.parent_id) if region.parent_id else None
        expected = f"{parent.path if parent else '/'}{region.id}/"
        assert region.path == expected
        assert region.level == (parent.level + 1 if parent else 0)
    assert Counter(r.level for r in regions.values()) == {0: 1, 1: 6, 2: 24}


async def test_partners_form_a_channel(conn):
    p, parent = T["partners"], T["partners"].alias("parent")
    partners = await rows(conn, select(p.c.type, p.c.status, p.c.credit_limit, p.c.tier_id))
    assert {r.type for r in partners} == set(PartnerType)
    statuses = Counter(r.status for r in partners)
    assert set(statuses) == set(PartnerStatus)
    assert statuses[PartnerStatus.ACTIVE] > 150
    assert all(isinstance(r.credit_limit, Decimal) for r in partners)
    parent_types = await rows(
        conn, select(p.c.type, parent.c.type).join(parent, p.c.parent_id == parent.c.id)
    )
    assert parent_types and {pt for _, pt in parent_types} == {PartnerType.DISTRIBUTOR}
    assert PartnerType.DISTRIBUTOR not in {child for child, _ in parent_types}
    r = T["regions"]
    levels = await rows(conn, select(r.c.level).join(p, p.c.region_id == r.c.id).distinct())
    assert levels == [(2,)]


async def test_order_totals_are_exact_sums_of_line_totals(conn):
    lines = T["order_lines"]
    sums = (
        select(
            lines.c.order_id,
            func.sum(lines.c.line_total).label("lines_total"),
            func.count().label("line_count"),
        )
        .group_by(lines.c.order_id)
        .subquery()
    )
    o = T["orders"]
    joined = select(func.count()).select_from(o.join(sums, sums.c.order_id == o.c.id))
    assert await scalar(conn, joined) == 20_000
    assert await scalar(conn, joined.where(o.c.total != sums.c.lines_total)) == 0
    assert await scalar(conn, select(func.max(sums.c.line_count))) <= 6
    wrong = select(func.count()).where(lines.c.line_total != lines.c.quantity * lines.c.unit_price)
    assert await scalar(conn, wrong) == 0
    sample = await rows(conn, select(lines.c.unit_price, lines.c.line_total).limit(200))
    assert all(u == u.quantize(Decimal("0.01")) and u > 0 for u, _ in sample)


async def test_status_history_chains_end_in_the_order_status(conn):
    c, o = T["order_status_changes"], T["orders"]
    by_order, in_time = c.c.order_id, (c.c.changed_at, c.c.id)
    chain = select(
        c.c.from_status,
        c.c.changed_at,
        func.lag(c.c.to_status).over(partition_by=by_order, order_by=in_time).label("prev_status"),
        func.lag(c.c.changed_at).over(partition_by=by_order, order_by=in_time).label("prev_at"),
    ).subquery()

    def how_many(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    broken_links, not_later = (
        await rows(
            conn,
            select(
                how_many(chain.c.from_status.is_distinct_from(chain.c.prev_status)),
                how_many(chain.c.changed_at <= chain.c.prev_at),
            ),
        )
    )[0]
    assert (broken_links, not_later) == (0, 0)  # each change starts where the last one ended
    last_id = select(func.max(c.c.id).label("id")).group_by(c.c.order_id).subquery()
    last = c.join(last_id, last_id.c.id == c.c.id).join(o, o.c.id == c.c.order_id)
    ends = select(
        func.count(),
        how_many(c.c.to_status != o.c.status),
        how_many(c.c.changed_at != o.c.updated_at),
    ).select_from(last)
    assert tuple((await rows(conn, ends))[0]) == (20_000, 0, 0)
    first = select(func.count()).where(c.c.from_status.is_(None), c.c.to_status != "DRAFT")
    assert await scalar(conn, first) == 0
    assert await rows(conn, select(c.c.changed_by).distinct()) == [("demo-seed",)]


async def test_order_statuses_fit_their_age(conn):
    o = T["orders"]
    orders = await rows(conn, select(o.c.status, o.c.created_at))
    old = Counter(s for s, at in orders if (NOW - at).days > 90)
    assert set(old) == {OrderStatus.CLOSED, OrderStatus.CANCELLED}
    assert 0.02 < old[OrderStatus.CANCELLED] / sum(old.values()) < 0.12
    recent = {s for s, at in orders if (NOW - at).days < 10}
    assert {OrderStatus.SUBMITTED, OrderStatus.APPROVED, OrderStatus.SHIPPED} <= recent


async def test_orders_spread_over_two_years_with_growth_and_seasons(conn):
    o = T["orders"]
    created = [at for (at,) in await rows(conn, select(o.c.created_at))]
    assert all(at.tzinfo is UTC for at in created)
    start, middle = months_before(NOW, 24), months_before(NOW, 12)
    assert start < min(created) and max(created) <= NOW
    months = Counter((at.year, at.month) for at in created)
    assert len(months) == 25  # a window from mid-month to mid-month touches 25 months
    first_year = sum(1 for at in created if at < middle)
    assert len(created) - first_year > first_year * 1.08
    assert months[2025, 11] > months[2025, 10] * 1.2  # Singles' Day
    assert months[2026, 1] > months[2025, 9]  # stocking up before Chinese New Year


async def test_only_trading_partners_order_and_numbers_are_unique(conn):
    o, p = T["orders"], T["partners"]
    buyers = await rows(conn, select(p.c.status).join(o, o.c.partner_id == p.c.id).distinct())
    assert {s for (s,) in buyers} <= {PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED}
    early = select(func.count()).select_from(o.join(p, o.c.partner_id == p.c.id))
    assert await scalar(conn, early.where(o.c.created_at < p.c.joined_on)) == 0
    numbers = await rows(conn, select(o.c.number, o.c.created_at))
    assert len({n for n, _ in numbers}) == 20_000
    assert all(re.fullmatch(rf"SO-{at.year}-\d{{6}}", n) for n, at in numbers)


async def test_products_have_valid_barcodes_and_cent_prices(conn):
    p = T["products"]
    products = await rows(conn, select(p.c.barcode, p.c.list_price, p.c.category))
    assert all(is_valid_ean13(b) for b, _, _ in products)
    assert len({b for b, _, _ in products}) == 500
    assert all(isinstance(x, Decimal) and x > 0 and x == x.quantize(Decimal("0.01"))
               for _, x, _ in products)  # fmt: skip
    assert len({c for _, _, c in products}) == 10


async def test_stock_at_every_location(conn):
    loc, st = T["locations"], T["stock_levels"]
    kinds = Counter(k for (k,) in await rows(conn, select(loc.c.kind)))
    assert kinds[LocationKind.PARTNER_SITE] == 200 and kinds[LocationKind.BRAND_WAREHOUSE] in (2, 3)
    per_site = await rows(
        conn,
        select(func.count())
        .select_from(st.join(loc, st.c.location_id == loc.c.id))
        .where(loc.c.kind == LocationKind.PARTNER_SITE)
        .group_by(loc.c.id),
    )
    assert len(per_site) == 200 and all(40 <= n <= 80 for (n,) in per_site)
    below = select(func.count()).where(st.c.on_hand < st.c.min_quantity)
    assert await scalar(conn, below) > 500
    times = await rows(conn, select(st.c.last_sale_at, st.c.last_received_at).limit(500))
    assert all(t is None or (t.tzinfo is UTC and t <= NOW) for pair in times for t in pair)


async def test_seeding_twice_is_refused(seeded, anyio_backend):
    engine = create_engine(seeded.settings)
    try:
        assert not await is_empty(engine)
        with pytest.raises(DatabaseNotEmptyError):
            await seed(engine, scale="small", now=NOW)
        async with engine.connect() as c:
            assert await scalar(c, select(func.count()).select_from(T["orders"])) == 20_000
    finally:
        await engine.dispose()


def test_generation_is_deterministic_and_unknown_scales_are_refused():
    one, two = generate(TINY, NOW), generate(TINY, NOW)
    assert one.reference == two.reference
    assert list(one.order_batches(100)) == list(two.order_batches(100))
    assert generate(TINY, NOW, seed=7).reference != one.reference
    with pytest.raises(ValueError, match="unknown scale"):
        generate("huge", NOW)


def test_value_helpers():
    assert ean13("400638133393") == "4006381333931"
    assert is_valid_ean13("4006381333931") and not is_valid_ean13("4006381333932")
    assert money(12345) == Decimal("123.45") and money(-5) == Decimal("-0.05")


async def test_a_tiny_channel_loads_through_a_sessionmaker_and_ids_continue(settings):
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        report = await load(sessions, generate(TINY, NOW))
        assert report.counts["partners"] == 12 and report.counts["orders"] == 300
        async with sessions.begin() as session:
            newcomer = Partner(code="NEW-1", name="Newcomer", type=PartnerType.DEALER)
            session.add(newcomer)
        assert newcomer.id == 13  # the id sequence moved past the seeded ids
        assert not await is_empty(sessions)
    finally:
        await engine.dispose()


def test_scales_grow_as_promised():
    small, medium, large = SCALES["small"], SCALES["medium"], SCALES["large"]
    assert medium.orders == small.orders * 5 // 2
    assert large.orders >= 50_000
    mean_lines = sum(n * w for n, w in enumerate(LINE_COUNT_WEIGHTS, 1)) / sum(LINE_COUNT_WEIGHTS)
    assert large.orders * mean_lines > 200_000 * 1.1  # lines per order vary very little
