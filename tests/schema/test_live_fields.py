"""Live fields through the graph: many parents cost one ERP call, values are exact, answers are
reused within their TTL and asked again after it, and a failing or slow ERP answers the last
known value (stale, with its fetchedAt) or null with a classified error — never a failed
query."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from connectors.config import config_from_data
from jobs.connector_configs import apply_configs
from store.models.external import ExternalRef
from store.models.live import LiveValue
from tests import factories as f
from tests.schema.live_erp import Clock, FinanceErp, finance_config, finance_erp

PARTNERS = """
query($n: Int!) { partners(first: $n, orderBy: CODE_ASC) { nodes {
  code name
  live(field: "creditBalance") { field connector stream values fetchedAt stale
    error { kind message } }
} } }
"""

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def erp() -> Iterator[FinanceErp]:
    with finance_erp() as stub:
        yield stub


@pytest.fixture
async def hub(app: Any) -> AsyncIterator[Any]:
    """The app's hub with a hand-moved clock; its HTTP client is closed afterwards."""
    hub = app.state.hub
    hub.live.clock = Clock()
    hub.live.now = lambda: T0
    yield hub
    await hub.aclose()


async def _apply(hub: Any, erp: FinanceErp, **options: Any) -> None:
    await apply_configs(hub.fields, [config_from_data(finance_config(erp, **options))])


async def _partners(sessions: Any, erp: FinanceErp, count: int) -> list[Any]:
    async with sessions.begin() as s:
        partners = [await f.create_partner(s, code=f"C{n:03d}") for n in range(1, count + 1)]
    erp.balances = {p.code: f"{n}.{n:02d}" for n, p in enumerate(partners, 1)}
    return partners


def _nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = data["partners"]["nodes"]
    return nodes


async def test_fifty_partners_one_erp_call_exact_values(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp)
    await _partners(sessions, erp, 50)
    nodes = _nodes(await gql.data(PARTNERS, n=50))
    assert len(erp.requests) == 1
    assert sorted(erp.asked("customers")[0]) == [f"C{n:03d}" for n in range(1, 51)]
    assert len(nodes) == 50
    seventh = nodes[6]
    assert seventh["code"] == "C007"
    assert seventh["live"] == {
        "field": "creditBalance",
        "connector": "finance",
        "stream": "credit_balances",
        "values": {"balance": "7.07", "currency": "CNY"},
        "fetchedAt": "2026-03-01T09:30:00+00:00",
        "stale": False,
        "error": None,
    }
    assert Decimal(nodes[49]["live"]["values"]["balance"]) == Decimal("50.50")
    assert all(not n["live"]["stale"] for n in nodes)


async def test_batches_split_by_batch_size(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, batch_size=20)
    await _partners(sessions, erp, 50)
    nodes = _nodes(await gql.data(PARTNERS, n=50))
    assert sorted(len(keys) for keys in erp.asked("customers")) == [10, 20, 20]
    assert all(n["live"]["values"] is not None for n in nodes)


async def test_ttl_reuses_then_asks_again(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, ttl=60)
    await _partners(sessions, erp, 5)
    await gql.data(PARTNERS, n=5)
    assert len(erp.requests) == 1
    erp.balances["C001"] = "999.99"
    hub.live.clock.now += 59
    again = _nodes(await gql.data(PARTNERS, n=5))
    assert len(erp.requests) == 1  # within the TTL: no call
    assert again[0]["live"]["values"]["balance"] == "1.01"
    hub.live.clock.now += 2
    later = _nodes(await gql.data(PARTNERS, n=5))
    assert len(erp.requests) == 2
    assert later[0]["live"]["values"]["balance"] == "999.99"


async def test_erp_down_answers_the_last_value_stale(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, ttl=10)
    await _partners(sessions, erp, 3)
    await gql.data(PARTNERS, n=3)
    erp.status = 503
    hub.live.clock.now += 11
    hub.live.now = lambda: datetime(2026, 3, 1, 9, 45, tzinfo=UTC)
    body = await gql(PARTNERS, n=3)
    assert "errors" not in body
    nodes = _nodes(body["data"])
    assert [n["name"] for n in nodes] and all(n["code"] for n in nodes)  # the rest is intact
    first = nodes[0]["live"]
    assert first["stale"] is True
    assert first["values"] == {"balance": "1.01", "currency": "CNY"}
    assert first["fetchedAt"] == "2026-03-01T09:30:00+00:00"  # when it was last fetched
    assert first["error"]["kind"] == "TRANSIENT"
    assert len(erp.requests) == 2
    # a down ERP is not asked again during the backoff, then it is
    hub.live.clock.now += 1
    await gql.data(PARTNERS, n=3)
    assert len(erp.requests) == 2
    erp.status = 200
    hub.live.clock.now += 10
    fresh = _nodes(await gql.data(PARTNERS, n=3))
    assert len(erp.requests) == 3 and fresh[0]["live"]["stale"] is False
    assert fresh[0]["live"]["fetchedAt"] == "2026-03-01T09:45:00+00:00"


async def test_last_value_survives_the_process_memory(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, ttl=10)
    await _partners(sessions, erp, 2)
    await gql.data(PARTNERS, n=2)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(LiveValue)) == 2
    hub.live.cache.clear()  # as a new process would start
    erp.status = 500
    nodes = _nodes(await gql.data(PARTNERS, n=2))
    assert nodes[1]["live"]["stale"] is True
    assert nodes[1]["live"]["values"] == {"balance": "2.02", "currency": "CNY"}
    assert nodes[1]["live"]["fetchedAt"] == "2026-03-01T09:30:00+00:00"


async def test_slow_erp_times_out_to_the_last_value(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, ttl=10, timeout=0.3)
    await _partners(sessions, erp, 2)
    await gql.data(PARTNERS, n=2)
    erp.delay = 1.5
    hub.live.clock.now += 11
    started = datetime.now(UTC)
    body = await gql(PARTNERS, n=2)
    waited = (datetime.now(UTC) - started).total_seconds()
    assert "errors" not in body
    live = _nodes(body["data"])[0]["live"]
    assert live["stale"] is True and live["values"]["balance"] == "1.01"
    assert live["error"] == {"kind": "TIMEOUT", "message": "the ERP did not answer within 0.3 s"}
    assert waited < 1.4


async def test_nothing_known_is_null_stale_with_an_error(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp)
    await _partners(sessions, erp, 2)
    erp.status = 502
    response = await gql.post(PARTNERS, n=2)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    live = _nodes(body["data"])[0]["live"]
    assert live["values"] is None and live["stale"] is True and live["fetchedAt"] is None
    assert live["error"]["kind"] == "TRANSIENT"
    assert "ERP" in live["error"]["message"]


async def test_unknown_to_the_erp_and_unreadable_records(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp)
    await _partners(sessions, erp, 3)
    del erp.balances["C002"]
    erp.balances["C003"] = "n/a"
    nodes = _nodes(await gql.data(PARTNERS, n=3))
    assert nodes[0]["live"]["values"]["balance"] == "1.01"
    assert nodes[1]["live"] | {"fetchedAt": None} == {
        "field": "creditBalance",
        "connector": "finance",
        "stream": "credit_balances",
        "values": None,
        "fetchedAt": None,
        "stale": False,
        "error": None,
    }
    third = nodes[2]["live"]
    assert third["stale"] is True and third["values"] is None
    assert third["error"]["kind"] == "RECORD"
    assert "balance: expected a decimal number" in third["error"]["message"]
    assert "n/a" not in third["error"]["message"]


async def test_orders_by_external_id_and_not_linked(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp)
    async with sessions.begin() as s:
        partner = await f.create_partner(s, code="C001")
        product = await f.create_product(s)
        linked = await f.create_order(s, partner=partner, lines=[(product, 1)])
        unlinked = await f.create_order(s, partner=partner, lines=[(product, 1)])
        s.add(
            ExternalRef(
                connector="finance", entity="order", entity_id=linked.id, external_id="ERP-77"
            )
        )
    erp.deliveries = {"ERP-77": "SHIPPED"}
    erp.balances = {"C001": "5.00"}
    query = """{ orders(first: 10) { nodes { number
      live(field: "deliveryStatus") { values stale error { kind message } }
      partner { live(field: "creditBalance") { values } } } } }"""
    nodes = {n["number"]: n for n in (await gql.data(query))["orders"]["nodes"]}
    assert nodes[linked.number]["live"] == {
        "values": {"status": "SHIPPED"},
        "stale": False,
        "error": None,
    }
    assert nodes[unlinked.number]["live"]["error"] == {
        "kind": "NOT_LINKED",
        "message": "this order has no external id at connector 'finance'",
    }
    assert nodes[unlinked.number]["live"]["stale"] is False
    assert nodes[linked.number]["partner"]["live"]["values"] == {
        "balance": "5.00",
        "currency": "CNY",
    }
    assert erp.asked("orders") == [["ERP-77"]]
    assert erp.asked("customers") == [["C001"]]


async def test_live_fields_and_definitions(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp)
    await _partners(sessions, erp, 3)
    query = """{ partners(first: 3) { nodes { liveFields { field values } } }
      liveFieldDefinitions { entity field connector stream ttlSeconds timeoutSeconds }
      partnerOnly: liveFieldDefinitions(entity: PARTNER) { field } }"""
    data = await gql.data(query)
    assert data["partners"]["nodes"][2]["liveFields"] == [
        {"field": "creditBalance", "values": {"balance": "3.03", "currency": "CNY"}}
    ]
    assert len(erp.requests) == 1
    assert data["liveFieldDefinitions"] == [
        {
            "entity": "ORDER",
            "field": "deliveryStatus",
            "connector": "finance",
            "stream": "delivery",
            "ttlSeconds": 60.0,
            "timeoutSeconds": 3.0,
        },
        {
            "entity": "PARTNER",
            "field": "creditBalance",
            "connector": "finance",
            "stream": "credit_balances",
            "ttlSeconds": 60.0,
            "timeoutSeconds": 3.0,
        },
    ]
    assert data["partnerOnly"] == [{"field": "creditBalance"}]


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.hub.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_statements_do_not_grow_with_rows(
    app: Any, hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await _apply(hub, erp, ttl=10)
    await _partners(sessions, erp, 60)
    await gql.data(PARTNERS, n=1)  # builds the connector and reads the catalog once
    counts = []
    for n in (5, 60):
        hub.live.clock.now += 11  # every value expired: keys looked up, ERP asked, values saved
        with counting(app) as statements:
            assert len(_nodes(await gql.data(PARTNERS, n=n))) == n
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert len(erp.requests) == 3
