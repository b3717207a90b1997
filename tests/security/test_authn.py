"""Authentication over HTTP and WebSocket: bearer JWTs, API keys, 401s and their audit entries."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from schema.node import encode_id
from security.viewer import Role
from store.base import Base
from store.models import ApiKey, AuditEntry
from tests import factories as f
from tests.conftest import bearer, token_for

PARTNERS = "{ partners { totalCount nodes { code } } }"
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename
  ... on ApiKeyCreated { secret apiKey { id name prefix grants createdAt createdBy
                                         revokedAt partner { code } } }
  ... on UserError { message }
  ... on ForbiddenError { permission } } }"""
REVOKE_KEY = """mutation($id: ID!) { revokeApiKey(id: $id) {
  __typename ... on ApiKeyPayload { apiKey { revokedAt } } ... on UserError { message } } }"""


async def audit_entries(sessions, action: str | None = None) -> list[AuditEntry]:
    async with sessions() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            stmt = stmt.where(AuditEntry.action == action)
        return list(await s.scalars(stmt))


async def database_text(sessions) -> str:
    """Every value of every table, as text: to prove a secret was stored nowhere."""
    parts: list[str] = []
    async with sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in await s.execute(text(f"SELECT * FROM {table.name}")):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


async def two_partners(sessions) -> tuple[Any, Any]:
    async with sessions.begin() as s:
        mine = await f.create_partner(s, code="MINE")
        await f.create_partner(s, code="MINE-SUB", parent=mine)
        other = await f.create_partner(s, code="OTHER")
    return mine, other


# --- anonymous ------------------------------------------------------------------------------


async def test_no_credentials_gets_no_channel_data_but_typename_and_introspection_work(gql_as):
    anonymous = gql_as(None)
    assert await anonymous("{ __typename }") == {"data": {"__typename": "Query"}}
    schema = await anonymous.data("{ __schema { queryType { name } } }")
    assert schema["__schema"]["queryType"]["name"] == "Query"
    body = await anonymous(PARTNERS)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"].startswith("authentication required")


# --- bad tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason", "credential"),
    [
        ({"Authorization": "Bearer not-a-jwt"}, "malformed", "jwt"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed", "header"),
        ({"Authorization": "Bearer chk_0123456789ab_" + "x" * 43}, "unknown_api_key", "api_key"),
        ({"X-API-Key": "chk_nope"}, "malformed", "api_key"),
    ],
)
async def test_bad_credentials_are_401_and_audited(gql_as, sessions, headers, reason, credential):
    response = await gql_as(headers=headers).post("{ __typename }")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    [entry] = await audit_entries(sessions, "auth.failed")
    assert (entry.actor, entry.outcome) == ("anonymous", "denied")
    assert json.loads(entry.detail)["reason"] == reason
    assert json.loads(entry.detail)["credential"] == credential
    for value in headers.values():
        assert value.split()[-1] not in entry.detail + (entry.reason or "")


async def test_expired_and_wrongly_signed_tokens_are_refused_with_their_reason(
    gql_as, settings, sessions
):
    expired = token_for(settings, Role.BRAND_ADMIN, ttl_seconds=-3600)
    forged = token_for(
        settings.model_copy(update={"jwt_secret": SecretStr("x" * 40)}), Role.BRAND_ADMIN
    )
    for token, message in ((expired, "expired"), (forged, "signature")):
        response = await gql_as(headers=bearer(token)).post(PARTNERS)
        assert response.status_code == 401
        assert message in response.json()["errors"][0]["message"]
    reasons = [json.loads(e.detail)["reason"] for e in await audit_entries(sessions)]
    assert reasons == ["expired", "bad_signature"]
    assert expired not in await database_text(sessions)


async def test_both_authorization_and_x_api_key_is_refused(gql_as, settings):
    headers = bearer(token_for(settings, Role.BRAND_ADMIN)) | {"X-API-Key": "chk_x"}
    assert (await gql_as(headers=headers).post("{ __typename }")).status_code == 401


# --- API keys -------------------------------------------------------------------------------


async def test_api_key_create_use_revoke_then_refused(gql, gql_as, sessions):
    mine, _other = await two_partners(sessions)
    created = await gql.data(
        CREATE_KEY,
        input={
            "name": "ERP sync",
            "grants": ["CHANNEL_READ"],
            "partner": encode_id("Partner", mine.id),
        },
    )
    result = created["createApiKey"]
    assert result["__typename"] == "ApiKeyCreated"
    secret, key = result["secret"], result["apiKey"]
    assert secret.startswith(f"chk_{key['prefix']}_") and key["grants"] == ["CHANNEL_READ"]
    assert (key["createdBy"], key["revokedAt"], key["partner"]) == (
        "test-admin",
        None,
        {"code": "MINE"},
    )

    async with sessions() as s:
        [row] = list(await s.scalars(select(ApiKey)))
    assert row.secret_hash != secret and len(row.secret_hash) == 64
    stored = await database_text(sessions)
    assert secret not in stored and secret.split("_", 2)[2] not in stored

    for headers in (bearer(secret), {"X-API-Key": secret}):
        seen = await gql_as(headers=headers).data(PARTNERS)
        assert [n["code"] for n in seen["partners"]["nodes"]] == ["MINE", "MINE-SUB"]
    async with sessions() as s:
        assert (await s.scalar(select(ApiKey.last_used_at))) is not None

    revoked = await gql.data(REVOKE_KEY, id=key["id"])
    assert revoked["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    response = await gql_as(headers=bearer(secret)).post(PARTNERS)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "the API key was revoked"
    actions = [
        (e.action, json.loads(e.detail).get("reason")) for e in await audit_entries(sessions)
    ]
    assert actions == [
        ("api_key.created", None),
        ("api_key.revoked", None),
        ("auth.failed", "revoked_api_key"),
    ]
    assert secret not in await database_text(sessions)


async def test_a_key_with_a_wrong_secret_is_refused(gql, gql_as, sessions):
    created = await gql.data(CREATE_KEY, input={"name": "k", "grants": ["CHANNEL_READ"]})
    secret = created["createApiKey"]["secret"]
    tampered = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert (await gql_as(headers=bearer(tampered)).post(PARTNERS)).status_code == 401


async def test_a_brand_wide_key_without_channel_read_is_forbidden_channel_data(gql, gql_as):
    created = await gql.data(CREATE_KEY, input={"name": "orders", "grants": ["ORDERS_PLACE"]})
    secret = created["createApiKey"]["secret"]
    body = await gql_as(headers={"X-API-Key": secret})(PARTNERS)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_key_managers_create_keys_and_only_with_permissions_they_hold(
    gql, gql_as, sessions
):
    mine, _ = await two_partners(sessions)
    dealer = gql_as(Role.DEALER, partner=mine)
    refused = await dealer.data(CREATE_KEY, input={"name": "k", "grants": ["CHANNEL_READ"]})
    assert refused["createApiKey"]["__typename"] == "ForbiddenError"
    assert refused["createApiKey"]["permission"] == "API_KEYS_MANAGE"
    manager = await gql.data(
        CREATE_KEY, input={"name": "key manager", "grants": ["API_KEYS_MANAGE", "CHANNEL_READ"]}
    )
    as_key = gql_as(headers={"X-API-Key": manager["createApiKey"]["secret"]})
    beyond = await as_key.data(CREATE_KEY, input={"name": "k", "grants": ["ORDERS_PLACE"]})
    assert beyond["createApiKey"]["__typename"] == "ForbiddenError"
    assert beyond["createApiKey"]["message"] == "you may not grant orders:place: you do not hold it"
    within = await as_key.data(CREATE_KEY, input={"name": "reader", "grants": ["CHANNEL_READ"]})
    assert within["createApiKey"]["__typename"] == "ApiKeyCreated"
    empty = await gql.data(CREATE_KEY, input={"name": " ", "grants": []})
    assert empty["createApiKey"]["__typename"] == "InvalidInputError"
    denied = await audit_entries(sessions, "authz.denied")
    prefix = manager["createApiKey"]["apiKey"]["prefix"]
    assert [(e.actor, e.role) for e in denied] == [
        ("test-dealer", "dealer"),
        (f"api_key:{prefix}", "service"),
    ]
    async with sessions() as s:
        assert len(list(await s.scalars(select(ApiKey)))) == 2


async def test_revoking_an_unknown_key_is_not_found(gql):
    gone = await gql.data(REVOKE_KEY, id=encode_id("ApiKey", 999))
    assert gone["revokeApiKey"]["__typename"] == "NotFoundError"


# --- WebSocket ------------------------------------------------------------------------------


async def ws_session(app: Any, init_payload: dict[str, Any]) -> list[dict[str, Any]]:
    """connection_init with ``init_payload`` over graphql-transport-ws; what the server sent."""
    init = {"type": "connection_init", "payload": init_payload}
    to_app = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": json.dumps(init)},
    ]
    sent: list[dict[str, Any]] = []
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        if to_app:
            return to_app.pop(0)
        await done.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.close" or len(sent) >= 2:
            done.set()

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"hub.test")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 50000),
        "server": ("hub.test", 80),
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return sent


async def test_websocket_authenticates_in_connection_init(app, settings, sessions):
    good = await ws_session(app, {"Authorization": f"Bearer {token_for(settings, 'brand_admin')}"})
    assert json.loads(good[1]["text"]) == {"type": "connection_ack"}
    bad = await ws_session(app, {"Authorization": "Bearer forged.token.here"})
    assert bad[-1]["type"] == "websocket.close" and bad[-1]["code"] == 4403
    [entry] = await audit_entries(sessions, "auth.failed")
    assert json.loads(entry.detail)["credential"] == "jwt"
