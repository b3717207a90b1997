"""Live fields are scoped like their parent (a dealer reaches only its own partner's value,
and the keys and last known values are read through its scope), an unknown field name is an
error on that field alone, and no secret reaches an error, a response or the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app import create_app
from connectors.config import config_from_data
from jobs.connector_configs import apply_configs
from schema.node import encode_id
from security.viewer import Role, Viewer
from store.repositories.live_values import KnownValue, LiveValueRepository
from store.scope import Scope
from tests import factories as f
from tests.conftest import GraphQLClient, bearer, token_for
from tests.schema.live_erp import API_KEY, Clock, FinanceErp, finance_config, finance_erp

ONE = """query($id: ID!) { partner(id: $id) { code
  live(field: "creditBalance") { values stale error { kind message } } } }"""


@pytest.fixture
def erp() -> Iterator[FinanceErp]:
    with finance_erp() as stub:
        yield stub


@pytest.fixture
async def hub(app: Any, erp: FinanceErp) -> AsyncIterator[Any]:
    hub = app.state.hub
    hub.live.clock = Clock()
    await apply_configs(hub.fields, [config_from_data(finance_config(erp))])
    yield hub
    await hub.aclose()


async def _two_dealers(sessions: Any, erp: FinanceErp) -> tuple[Any, Any]:
    async with sessions.begin() as s:
        mine = await f.create_partner(s, code="MINE")
        theirs = await f.create_partner(s, code="THEIRS")
    erp.balances = {"MINE": "10.00", "THEIRS": "77777.77"}
    return mine, theirs


async def test_a_dealer_reads_only_its_own_live_value(
    hub: Any, sessions: Any, gql_as: Any, erp: FinanceErp
) -> None:
    mine, theirs = await _two_dealers(sessions, erp)
    dealer = gql_as("dealer", partner=mine)
    own = await dealer.data(ONE, id=encode_id("Partner", mine.id))
    assert own["partner"]["live"]["values"] == {"balance": "10.00", "currency": "CNY"}
    other = await dealer(ONE, id=encode_id("Partner", theirs.id))
    assert other["data"] == {"partner": None}
    listing = await dealer.data(
        '{ partners { nodes { code live(field: "creditBalance") { values } } } }'
    )
    assert [n["code"] for n in listing["partners"]["nodes"]] == ["MINE"]
    assert "77777.77" not in str(listing) and "77777.77" not in str(other)
    assert erp.asked("customers") == [["MINE"]] * len(erp.requests)


async def test_keys_and_last_values_follow_the_scope(
    hub: Any, sessions: Any, erp: FinanceErp
) -> None:
    mine, theirs = await _two_dealers(sessions, erp)
    known = KnownValue({"balance": "1"}, hub.live.now())
    async with sessions.begin() as s:
        await LiveValueRepository(s, Scope.everything()).save(
            connector="finance", stream="credit_balances", entity="partner",
            values={mine.id: known, theirs.id: known},
        )  # fmt: skip
    viewer = Viewer(subject="d", role=Role.DEALER, partner_id=mine.id)
    async with sessions() as s:
        repository = LiveValueRepository(s, Scope.for_viewer(viewer))
        keys = await repository.keys(
            connector="finance", entity="partner", key="code", ids=[mine.id, theirs.id]
        )
        last = await repository.last_known(
            connector="finance",
            stream="credit_balances",
            entity="partner",
            ids=[mine.id, theirs.id],
        )
    assert keys == {mine.id: "MINE"}
    assert set(last) == {mine.id}
    async with sessions() as s:
        nobody = LiveValueRepository(s, Scope.nothing())
        assert (
            await nobody.keys(connector="finance", entity="partner", key="code", ids=[mine.id])
            == {}
        )


async def test_an_unknown_field_fails_only_that_field(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    mine, _ = await _two_dealers(sessions, erp)
    query = """query($id: ID!) { partner(id: $id) { code
      good: live(field: "creditBalance") { stale }
      bad: live(field: "nope") { stale } } }"""
    body = await gql(query, id=encode_id("Partner", mine.id))
    assert body["data"]["partner"] == {"code": "MINE", "good": {"stale": False}, "bad": None}
    [error] = body["errors"]
    assert error["path"] == ["partner", "bad"]
    assert error["message"] == "partner has no live field 'nope' (known: creditBalance)"


async def test_anonymous_viewers_reach_no_live_field(hub: Any, gql_as: Any) -> None:
    body = await gql_as(None)("{ liveFieldDefinitions { field } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("status", [401, 400, 503])
async def test_no_secret_in_errors_responses_or_logs(
    app: Any,
    sessions: Any,
    gql: Any,
    erp: FinanceErp,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = app.state.hub
    try:
        wrong_key = "wrong-key-Hh55Jj66Kk"
        key = wrong_key if status == 401 else API_KEY
        await apply_configs(hub.fields, [config_from_data(finance_config(erp, api_key=key))])
        mine, _ = await _two_dealers(sessions, erp)
        erp.status = 200 if status == 401 else status
        with caplog.at_level(logging.DEBUG):
            response = await gql.post(ONE, id=encode_id("Partner", mine.id))
        assert response.status_code == 200
        body = response.json()
        assert "errors" not in body
        live = body["data"]["partner"]["live"]
        expected = {401: "CONFIG", 400: "PERMANENT", 503: "TRANSIENT"}[status]
        assert live["error"]["kind"] == expected and live["stale"] is True
        for secret in (API_KEY, wrong_key, erp.base_url, "127.0.0.1"):
            assert secret not in response.text
        assert API_KEY not in caplog.text and wrong_key not in caplog.text
        assert "live partner.creditBalance from finance/credit_balances failed" in caplog.text
    finally:
        await hub.aclose()


async def test_the_lifespan_closes_the_shared_client_and_connectors(
    settings: Any, sessions: Any, erp: FinanceErp
) -> None:
    quiet = settings.model_copy(update={"embedded_worker": False, "embedded_scheduler": False})
    app: Any = create_app(quiet)
    hub = app.state.hub
    try:
        await apply_configs(hub.fields, [config_from_data(finance_config(erp))])
        mine, _ = await _two_dealers(sessions, erp)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = bearer(token_for(quiet, Role.BRAND_ADMIN))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://hub.test", headers=headers
            ) as client:
                body = await GraphQLClient(client).data(ONE, id=encode_id("Partner", mine.id))
            assert body["partner"]["live"]["values"] == {"balance": "10.00", "currency": "CNY"}
            assert hub.connectors.cached() == ["finance"] and not hub.http.is_closed
        assert hub.http.is_closed and hub.connectors.cached() == []
    finally:
        await hub.engine.dispose()


async def test_a_field_two_connectors_declare_is_a_config_error(
    hub: Any, sessions: Any, gql: Any, erp: FinanceErp
) -> None:
    await apply_configs(hub.fields, [config_from_data(finance_config(erp, name="finance-2"))])
    mine, _ = await _two_dealers(sessions, erp)
    body = await gql(ONE, id=encode_id("Partner", mine.id))
    assert "errors" not in body
    live = body["data"]["partner"]["live"]
    assert live == {
        "values": None,
        "stale": False,
        "error": {
            "kind": "CONFIG",
            "message": "the field is declared by connectors 'finance' and 'finance-2'",
        },
    }
    assert erp.requests == []
