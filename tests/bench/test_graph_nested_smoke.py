"""Keeps ``bench/graph_nested.py`` working: a few requests on a tiny channel, payloads compared.

Asserts that the graph and the plain-SQL floor answer the same data (the bench's honesty
check), never anything about timing.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bench._common import BenchSetupError, ensure_seeded
from bench.graph_nested import (
    PayloadMismatchError,
    compare,
    floor_request,
    graph_request,
    in_process_client,
    measure,
    open_floor,
)
from tests import factories as f

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


async def _tiny_channel(sessions) -> tuple[int, int]:
    """Orders with and without a region, sub-cent prices and tied timestamps; (orders, lines)."""
    async with sessions.begin() as s:
        region = await f.create_region(s, name="Zhejiang")
        with_region = await f.create_partner(s, name="Alpha Trading", region=region)
        without_region = await f.create_partner(s, name="Beta Foods")
        tea = await f.create_product(s, price=Decimal("12.50"))
        odd = await f.create_product(s, price=Decimal("0.3333"))
        lines = 0
        for day in range(6):
            order_lines = [(tea, day + 1), (odd, 3)][: 1 + day % 2]
            lines += len(order_lines)
            await f.create_order(
                s,
                partner=with_region if day % 3 else without_region,
                lines=order_lines,
                created_at=START + timedelta(days=day // 2),  # pairs share a timestamp
            )
    return 6, lines


async def test_graph_and_floor_answer_the_same_orders(app, sessions):
    orders, lines = await _tiny_channel(sessions)
    floor = await open_floor(app.state.hub.settings.resolved_database_url)
    try:
        measured = await measure(app, floor, requests=3, warmup=1)
    finally:
        await floor.close()
    assert (measured.orders, measured.lines) == (orders, lines)
    assert len(measured.graph.wall) == len(measured.floor.wall) == 3
    assert measured.statements_per_request >= 1


async def test_compare_refuses_a_floor_that_differs(app, sessions):
    await _tiny_channel(sessions)
    floor = await open_floor(app.state.hub.settings.resolved_database_url)
    try:
        async with in_process_client(app) as client:
            graph_body = await graph_request(client)
        floor_body = await floor_request(floor)
    finally:
        await floor.close()
    compare(graph_body, floor_body)
    tampered = json.loads(floor_body)
    tampered["data"]["orders"]["nodes"][0]["partner"]["name"] = "Someone Else"
    with pytest.raises(PayloadMismatchError):
        compare(graph_body, json.dumps(tampered).encode())


async def test_a_database_holding_other_data_is_not_reseeded_silently(app, sessions):
    await _tiny_channel(sessions)
    hub = app.state.hub
    with pytest.raises(BenchSetupError, match="--reseed"):
        await ensure_seeded(hub.engine, hub.settings.resolved_database_url, "large")
