"""No N+1: the statements a nested query issues depend on its depth, not on its row count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from tests import factories as f

NESTED = """query($n: Int!) { orders(first: $n) { nodes { number total
  partner { code region { name parent { name } } tier { name } }
  lines { quantity lineTotal product { sku stock { onHand } } } history { toStatus } } } }"""


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.state.hub.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def seed_orders(sessions: Any, count: int) -> None:
    async with sessions.begin() as s:
        country = await f.create_region(s, name="China")
        tier = await f.create_tier(s)
        products = [await f.create_product(s) for _ in range(12)]
        partners = []
        for i in range(25):
            region = await f.create_region(s, name=f"City {i}", parent=country)
            partner = await f.create_partner(s, region=region, tier=tier)
            location = await f.create_location(s, partner=partner)
            await f.create_stock(s, location=location, product=products[i % 12])
            partners.append(partner)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for i in range(count):
            lines = [(products[(i + k) % 12], k + 1) for k in range(1 + i % 4)]
            await f.create_order(
                s, partner=partners[i % 25], lines=lines, created_at=start + timedelta(hours=i)
            )


async def test_nested_orders_query_issues_the_same_statements_for_10_and_100_orders(
    app, gql, sessions
):
    await seed_orders(sessions, 100)
    with counting(app) as ten:
        small = await gql.data(NESTED, n=10)
    with counting(app) as hundred:
        large = await gql.data(NESTED, n=100)
    assert len(small["orders"]["nodes"]) == 10
    assert len(large["orders"]["nodes"]) == 100
    assert all(o["lines"] and o["partner"]["region"]["parent"] for o in large["orders"]["nodes"])
    # orders, partners, tiers, regions (twice: own and parent level), lines, products,
    # stock, history: one statement per relation and level.
    assert len(ten) == len(hundred) == 9, hundred
