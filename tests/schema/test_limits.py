"""GraphQL hardening: depth, token, alias and cost limits, the introspection switch, the
persisted-query allow-list — each refused before execution as an audited request error — and
unexpected errors masked."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import create_app
from schema.persisted import PersistedQueriesFileError
from security.viewer import Role
from settings import Settings
from store.repositories.partners import PartnerRepository
from tests.conftest import ADMIN_SUBJECT, bearer, token_for
from tests.schema.channel import Channel, build_channel

GQL_JSON = "application/graphql-response+json"

COSTLY = (
    "{ partners(first: 500) { nodes { orders(first: 500) { nodes "
    "{ lines { product { sku } } } } } } }"
)
NESTED = (
    "{ partners(first: 10) { nodes { code orders(first: 5) { nodes "
    "{ number lines { quantity product { sku } } } } } } }"
)


class Hub:
    """An app with its own settings, and a client that authenticates as a brand admin."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(
            "/graphql", json=body, headers={"Accept": GQL_JSON, **headers}
        )

    async def query(self, query: str, **variables: Any) -> httpx.Response:
        return await self.post({"query": query, "variables": variables})

    async def refusals(self) -> list[dict[str, Any]]:
        """The ``query.refused`` audit entries, oldest first."""
        entries = [e async for e in self.app.state.hub.audit.entries()]
        return [
            {"actor": e.actor, "role": e.role, "outcome": e.outcome, **json.loads(e.detail)}
            for e in entries
            if e.action == "query.refused"
        ]


@pytest.fixture
def hub_with(settings: Settings):
    """``async with hub_with(max_aliases=3, ...) as hub``: an app built with those settings."""

    @contextlib.asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Hub]:
        app = create_app(settings.model_copy(update=overrides))
        transport = httpx.ASGITransport(app=app)
        headers = bearer(token_for(settings, Role.BRAND_ADMIN))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://hub.test", headers=headers
            ) as client:
                yield Hub(app, client)
        finally:
            await app.state.hub.engine.dispose()

    return make


@pytest.fixture
async def hub(hub_with) -> AsyncIterator[Hub]:
    async with hub_with() as h:
        yield h


@pytest.fixture
async def channel(hub: Hub) -> Channel:
    async with hub.app.state.hub.sessions.begin() as s:
        return await build_channel(s)


def refused(response: httpx.Response, code: str) -> dict[str, Any]:
    """The single error of a request error with ``code``: 400, no ``data``."""
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    return error  # type: ignore[no-any-return]


# --- depth, tokens, aliases -----------------------------------------------------------------


async def test_a_query_deeper_than_the_limit_is_refused_and_audited(hub):
    deep = "{ partners { nodes { " + "parent { " * 12 + "code" + " }" * 12 + " } } }"
    error = refused(await hub.query(deep), "QUERY_TOO_DEEP")
    assert error["message"] == "The query is 14 levels deep; the limit (max_query_depth) is 12."
    assert await hub.refusals() == [
        {
            "actor": ADMIN_SUBJECT,
            "role": "brand_admin",
            "outcome": "denied",
            "rule": "max_query_depth",
            "limit": 12,
            "value": 14,
        }
    ]
    assert await hub.app.state.hub.audit.verify() == []


async def test_a_query_at_the_depth_limit_runs(hub_with):
    async with hub_with(max_query_depth=3) as hub:
        response = await hub.query("{ partners { nodes { parent { code } } } }")
        assert response.status_code == 200 and "errors" not in response.json()
        refused(
            await hub.query("{ partners { nodes { parent { parent { code } } } } }"),
            "QUERY_TOO_DEEP",
        )


async def test_a_token_flood_is_refused_before_it_is_parsed_whole(hub):
    flood = "{ " + "__typename " * 5000 + "}"
    error = refused(await hub.query(flood), "TOO_MANY_TOKENS")
    assert "more than 4000 tokens" in error["message"]
    [entry] = await hub.refusals()
    assert (entry["rule"], entry["limit"]) == ("max_query_tokens", 4000)


async def test_an_alias_flood_is_refused(hub):
    flood = "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
    error = refused(await hub.query(flood), "TOO_MANY_ALIASES")
    assert error["message"] == "The query uses 31 aliases; the limit (max_aliases) is 30."
    [entry] = await hub.refusals()
    assert (entry["rule"], entry["limit"], entry["value"]) == ("max_aliases", 30, 31)
    fine = "{ " + " ".join(f"a{n}: __typename" for n in range(30)) + " }"
    assert (await hub.query(fine)).status_code == 200


async def test_aliases_inside_fragments_count_once_per_spread(hub_with):
    async with hub_with(max_aliases=3) as hub:
        query = "{ ...F ...F } fragment F on Query { a: __typename b: __typename }"
        refused(await hub.query(query), "TOO_MANY_ALIASES")


async def test_fragments_spreading_each_other_are_measured_in_linear_time(hub):
    # 40 fragments, each spreading the next twice: 2**40 paths. Strawberry's own depth and
    # alias limiters walk every path; ours measures each fragment once.
    fragments = "".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }} " for n in range(40))
    query = "{ ...F0 } " + fragments + "fragment F40 on Query { partners { nodes { code } } }"
    started = time.perf_counter()
    error = refused(await hub.query(query), "QUERY_TOO_COSTLY")
    assert time.perf_counter() - started < 2
    assert error["extensions"]["value"] > 2**40


# --- cost -----------------------------------------------------------------------------------


async def test_a_costly_query_is_refused_before_execution_naming_cost_and_limit(hub, channel):
    error = refused(await hub.query(COSTLY), "QUERY_TOO_COSTLY")
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "limit": 100_000, "value": 1_001_000}
    assert "1,001,000 rows" in error["message"]
    assert "the limit (max_query_cost) is 100,000" in error["message"]
    [entry] = await hub.refusals()
    assert (entry["rule"], entry["limit"], entry["value"]) == ("max_query_cost", 100_000, 1_001_000)


async def test_a_normal_nested_query_is_accepted(hub, channel):
    response = await hub.query(NESTED)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    assert len(body["data"]["partners"]["nodes"]) == 5
    assert await hub.refusals() == []


async def test_the_cost_uses_variables_and_the_default_page_size(hub_with):
    query = (
        "query($n: Int) { partners(first: $n) { nodes { orders(first: $n) "
        "{ nodes { number } } } } }"
    )
    async with hub_with(max_query_cost=1000, default_page_size=20) as hub:
        assert (await hub.query(query, n=10)).status_code == 200
        refused(await hub.query(query, n=40), "QUERY_TOO_COSTLY")
        # no `first`: the default page size, 20 × (1 + 20 × (1 + 1)) = 820 fits
        assert (await hub.query(query)).status_code == 200
        refused(await hub.query(query.replace("Int)", "Int = 40)")), "QUERY_TOO_COSTLY")


# --- introspection --------------------------------------------------------------------------


async def test_introspection_can_be_switched_off(hub_with):
    async with hub_with(introspection=False) as hub:
        refused(await hub.query("{ __schema { types { name } } }"), "INTROSPECTION_DISABLED")
        refused(await hub.query('{ __type(name: "Partner") { name } }'), "INTROSPECTION_DISABLED")
        response = await hub.query("{ __typename partners { nodes { code } } }")
        assert response.status_code == 200 and "errors" not in response.json()
        assert [e["rule"] for e in await hub.refusals()] == ["introspection"] * 2


async def test_introspection_is_on_by_default(hub):
    response = await hub.query("{ __schema { queryType { name } } }")
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


# --- persisted queries ----------------------------------------------------------------------

LISTED = "{ partners(first: 2) { nodes { code } } }"
LISTED_HASH = hashlib.sha256(LISTED.encode()).hexdigest()


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture
def allow_list(tmp_path: Path) -> Path:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({LISTED_HASH: LISTED}))
    return path


@pytest.fixture
async def locked(hub_with, allow_list) -> AsyncIterator[Hub]:
    async with hub_with(persisted_queries_file=allow_list) as h:
        yield h


async def test_a_listed_query_runs_by_its_full_text(locked, channel):
    response = await locked.query(LISTED)
    assert response.status_code == 200
    assert len(response.json()["data"]["partners"]["nodes"]) == 2


async def test_a_listed_query_runs_by_its_hash_alone_over_post_and_get(locked, channel):
    response = await locked.post({"extensions": persisted(LISTED_HASH)})
    assert response.status_code == 200, response.json()
    assert len(response.json()["data"]["partners"]["nodes"]) == 2
    params = {"extensions": json.dumps(persisted(LISTED_HASH))}
    response = await locked.client.get("/graphql", params=params, headers={"Accept": GQL_JSON})
    assert response.status_code == 200, response.json()
    assert len(response.json()["data"]["partners"]["nodes"]) == 2


async def test_an_unknown_hash_is_refused_as_not_found_and_audited(locked):
    unknown = "ab" * 32
    error = refused(
        await locked.post({"extensions": persisted(unknown)}), "PERSISTED_QUERY_NOT_FOUND"
    )
    assert error["message"] == "No persisted query has this sha256 hash."
    [entry] = await locked.refusals()
    assert (entry["rule"], entry["value"]) == ("persisted_queries", unknown)


async def test_a_query_not_on_the_list_is_refused_even_when_harmless(locked):
    error = refused(await locked.query("{ __typename }"), "PERSISTED_QUERY_NOT_ALLOWED")
    assert "only persisted queries" in error["message"]
    response = await locked.post({"query": LISTED + " ", "extensions": persisted(LISTED_HASH)})
    refused(response, "PERSISTED_QUERY_NOT_ALLOWED")  # text and hash disagree
    assert [e["rule"] for e in await locked.refusals()] == ["persisted_queries"] * 2


async def test_a_malformed_persisted_query_extension_is_refused(locked):
    response = await locked.post({"extensions": {"persistedQuery": {"version": 2}}})
    refused(response, "PERSISTED_QUERY_NOT_FOUND")


async def test_without_an_allow_list_a_hash_alone_is_not_supported(hub):
    response = await hub.post({"extensions": persisted(LISTED_HASH)})
    refused(response, "PERSISTED_QUERY_NOT_SUPPORTED")
    assert await hub.refusals() == []


async def test_an_allow_list_with_a_wrong_hash_stops_the_app_from_starting(settings, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"0" * 64: LISTED}))
    with pytest.raises(PersistedQueriesFileError, match="is not the sha256 of its query"):
        create_app(settings.model_copy(update={"persisted_queries_file": path}))


# --- masking --------------------------------------------------------------------------------


async def test_an_unexpected_error_in_a_resolver_is_masked(hub, monkeypatch):
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret FROM partners WHERE api_key = 'hunter2'")

    monkeypatch.setattr(PartnerRepository, "page", broken)
    response = await hub.query("{ partners { nodes { code } } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    for leak in ("SELECT", "secret", "hunter2", "Traceback", "RuntimeError"):
        assert leak not in response.text
