"""GraphQL over HTTP in-process: status codes, media types, limits, GraphiQL, health, WebSocket.

Pins the behaviour ``schema/http.py`` adds to Strawberry's view (the spec audit in
``tests/e2e/test_http_audit.py`` checks the same against a real server).
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message

from app import create_app
from settings import Settings

GQL_JSON = "application/graphql-response+json"
JSON = "application/json"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def error_messages(response: httpx.Response) -> list[str]:
    """The messages of a GraphQL-shaped error body; asserts the body has that shape."""
    body = response.json()
    assert isinstance(body["errors"], list)
    assert body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["message"], str)
    return [error["message"] for error in body["errors"]]


async def post(
    client: httpx.AsyncClient, payload: Any, accept: str | None = GQL_JSON
) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return await client.post("/graphql", json=payload, headers=headers)


# --- malformed requests: 400 whatever the media type -----------------------------------------


@pytest.mark.parametrize("accept", [GQL_JSON, JSON])
async def test_malformed_json_body_is_400(client, accept):
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"',
        headers={"content-type": JSON, "accept": accept},
    )
    assert response.status_code == 400
    assert media_type(response) == accept
    assert error_messages(response) == ["The request body is not valid JSON."]
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert "data" not in response.json()


async def test_empty_body_is_400(client):
    response = await client.post("/graphql", headers={"content-type": JSON, "accept": GQL_JSON})
    assert response.status_code == 400
    assert "empty" in error_messages(response)[0]


async def test_body_that_is_not_an_object_is_400(client):
    response = await post(client, ["{ __typename }"])
    assert response.status_code == 400
    assert error_messages(response) == ["Batched requests are not supported; send one JSON object."]
    response = await post(client, "{ __typename }")
    assert response.status_code == 400
    assert error_messages(response) == ["The request body must be a JSON object with a `query`."]


@pytest.mark.parametrize("accept", [GQL_JSON, JSON])
async def test_missing_query_is_400(client, accept):
    response = await post(client, {"qeury": "{ __typename }"}, accept=accept)
    assert response.status_code == 400
    assert media_type(response) == accept
    assert error_messages(response) == ["The request has no `query`."]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": {"obj": "ect"}}, "The `query` parameter must be a string."),
        ({"query": 0}, "The `query` parameter must be a string."),
        (
            {"query": "{ __typename }", "operationName": 1},
            "The `operationName` parameter must be a string or null.",
        ),
        (
            {"query": "{ __typename }", "variables": "x"},
            "The `variables` parameter must be an object or null.",
        ),
        (
            {"query": "{ __typename }", "extensions": ["x"]},
            "The `extensions` parameter must be an object or null.",
        ),
    ],
)
async def test_parameter_of_the_wrong_type_is_400(client, payload, message):
    response = await post(client, payload)
    assert response.status_code == 400
    assert error_messages(response) == [message]


async def test_null_optional_parameters_are_allowed(client):
    payload = {"query": "{ __typename }", "operationName": None, "variables": None}
    response = await post(client, {**payload, "extensions": None})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


# --- request errors: 400 under graphql-response+json, 200 under application/json ------------


async def test_syntax_error_is_400_without_data(client):
    response = await post(client, {"query": "{ orders { "})
    assert response.status_code == 400
    assert media_type(response) == GQL_JSON
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error:")
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 12}]


async def test_syntax_error_is_200_for_a_client_accepting_only_json(client):
    response = await post(client, {"query": "{ orders { "}, accept=JSON)
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert "data" not in response.json()
    assert error_messages(response)[0].startswith("Syntax Error:")


async def test_unknown_field_is_400(client):
    response = await post(client, {"query": "{ nope }"})
    assert response.status_code == 400
    assert media_type(response) == GQL_JSON
    assert "data" not in response.json()
    [message] = error_messages(response)
    assert message.startswith("Cannot query field 'nope' on type 'Query'.")


async def test_wrong_variable_type_is_400(client):
    query = "query Orders($first: Int) { orders(first: $first) { totalCount } }"
    response = await post(client, {"query": query, "variables": {"first": "ten"}})
    assert response.status_code == 400
    assert media_type(response) == GQL_JSON
    assert "data" not in response.json()
    [message] = error_messages(response)
    assert message.startswith("Variable '$first' has invalid value")
    assert "Int cannot represent non-integer value: 'ten'" in message


async def test_unknown_operation_name_is_a_request_error(client):
    payload = {"query": "query A { __typename }", "operationName": "B"}
    response = await post(client, payload)
    assert response.status_code == 400
    assert error_messages(response) == ['Unknown operation named "B".']
    response = await post(client, payload, accept=JSON)
    assert response.status_code == 200
    assert "data" not in response.json()


async def test_field_error_keeps_data_and_200(client):
    response = await post(client, {"query": '{ partner(id: "not-an-id") { code } }'})
    assert response.status_code == 200
    assert media_type(response) == GQL_JSON
    body = response.json()
    assert body["data"] == {"partner": None}
    assert body["errors"][0]["path"] == ["partner"]


async def test_successful_query(client):
    response = await post(client, {"query": "{ orders { totalCount } }"})
    assert response.status_code == 200
    assert media_type(response) == GQL_JSON
    assert response.json() == {"data": {"orders": {"totalCount": 0}}}
    assert "accept" in response.headers["vary"].lower()


# --- methods, media types and negotiation ---------------------------------------------------


@pytest.mark.parametrize("accept", [GQL_JSON, JSON])
async def test_mutation_via_get_is_405_with_allow(client, accept):
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"accept": accept}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert media_type(response) == accept
    assert error_messages(response) == ["Mutations must be sent with POST."]


async def test_other_methods_are_405_with_allow(client):
    response = await client.delete("/graphql")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


async def test_query_via_get_executes_with_json_variables(client):
    query = "query T($name: String!) { __type(name: $name) { name } }"
    response = await client.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"name": "Order"})},
        headers={"accept": GQL_JSON},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": {"name": "Order"}}}


async def test_get_with_variables_that_are_not_json_is_400(client):
    response = await client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{oops"}
    )
    assert response.status_code == 400
    assert error_messages(response) == ["The `variables` parameter is not valid JSON."]


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/graphql"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "application/json; charset=latin-1"},
        {},
    ],
)
async def test_unsupported_media_type_is_415(client, headers):
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"accept": JSON, **headers}
    )
    assert response.status_code == 415
    assert media_type(response) == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_utf8_charset_is_accepted(client):
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": '{ __type(name: "Run🏃") { name } }'}).encode(),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": None}}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GQL_JSON, GQL_JSON),
        (f"{GQL_JSON}, {JSON};q=0.9", GQL_JSON),
        (f"{JSON}, {GQL_JSON}", GQL_JSON),
        (f"{JSON}, {GQL_JSON};q=0.5", JSON),
        (f"{GQL_JSON};q=0, */*", JSON),
        (BROWSER_ACCEPT, JSON),
    ],
)
async def test_response_media_type_follows_accept(client, accept, expected):
    headers = {"content-type": JSON, **({"accept": accept} if accept else {})}
    request = client.build_request(
        "POST", "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
    )
    if accept is None:
        del request.headers["accept"]
    response = await client.send(request)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_unacceptable_accept_is_406(client):
    response = await post(client, {"query": "{ __typename }"}, accept="text/csv")
    assert response.status_code == 406
    assert media_type(response) == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


# --- body size limit ------------------------------------------------------------------------

LIMIT = 2048


@pytest.fixture
async def small_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": LIMIT}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c
    await app.state.hub.engine.dispose()


def padded_query(size: int) -> bytes:
    """A valid request body of exactly ``size`` bytes (the query is padded with spaces)."""
    body = json.dumps({"query": "{ __typename }"}).encode()
    return body.replace(b"}", b" " * (size - len(body)) + b"}", 1)


async def test_body_at_the_limit_is_executed(small_client):
    response = await small_client.post(
        "/graphql", content=padded_query(LIMIT), headers={"content-type": JSON}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_body_over_the_declared_limit_is_413(small_client):
    response = await small_client.post(
        "/graphql", content=padded_query(LIMIT + 1), headers={"content-type": JSON}
    )
    assert response.status_code == 413
    assert media_type(response) == JSON
    assert response.headers["connection"] == "close"
    assert error_messages(response) == [f"The request body is larger than {LIMIT} bytes."]
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_streamed_body_over_the_limit_is_413_before_it_is_all_read(small_client):
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "{ __typename '
        for _ in range(1000):
            sent += 1
            yield b" " * 512
        yield b'}"}'

    response = await small_client.post("/graphql", content=chunks(), headers={"content-type": JSON})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert error_messages(response) == [f"The request body is larger than {LIMIT} bytes."]
    assert sent < 10  # refused after the limit, not after reading 500 kB


async def test_invalid_content_length_is_400(client):
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": JSON, "content-length": "lots"},
    )
    assert response.status_code == 400


# --- GraphiQL -------------------------------------------------------------------------------


async def test_browser_get_serves_graphiql(client):
    response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert "graphiql" in response.text.lower()


async def test_browser_get_with_query_executes(client):
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_non_browser_get_without_query_is_400(client):
    response = await client.get("/graphql", headers={"accept": "*/*"})
    assert response.status_code == 400
    assert media_type(response) == JSON
    assert error_messages(response) == ["The request has no `query`."]


async def test_graphiql_can_be_turned_off(settings):
    app = create_app(settings.model_copy(update={"graphiql": False}))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
            response = await c.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    finally:
        await app.state.hub.engine.dispose()
    assert response.status_code == 400
    assert "graphiql" not in response.text.lower()


# --- health ---------------------------------------------------------------------------------


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_the_database_answers(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path):
    with socket.socket() as closed_port:
        # Bound but not listening: connections to it are refused, and no one else can take it.
        closed_port.bind(("127.0.0.1", 0))
        port = closed_port.getsockname()[1]
        url = f"postgresql+asyncpg://hub:hub@127.0.0.1:{port}/hub"
        app = create_app(Settings(data_dir=tmp_path, database_url=url, auto_migrate=False))
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
                response = await c.get("/readyz")
        finally:
            await app.state.hub.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


# --- WebSocket subprotocols -----------------------------------------------------------------


async def websocket_handshake(app: Any, subprotocols: list[str], first: Message) -> list[Message]:
    """Open a WebSocket to ``/graphql`` offering ``subprotocols``, send ``first`` after the
    handshake, and return what the server sent until it closed (or went quiet)."""
    to_app: list[Message] = [{"type": "websocket.connect"}, first]
    sent: list[Message] = []
    closed = anyio.Event()

    async def receive() -> Message:
        if to_app:
            return to_app.pop(0)
        await closed.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "websocket.close" or len(sent) >= 2:
            closed.set()

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"hub.test")],
        "subprotocols": subprotocols,
        "client": ("127.0.0.1", 50000),
        "server": ("hub.test", 80),
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return sent


async def test_legacy_graphql_ws_subprotocol_is_refused(app):
    sent = await websocket_handshake(app, ["graphql-ws"], {"type": "websocket.receive"})
    assert sent[0]["type"] == "websocket.accept"
    assert sent[0].get("subprotocol") is None
    assert sent[-1]["type"] == "websocket.close"
    assert sent[-1]["code"] == 4406
    assert sent[-1]["reason"] == "Subprotocol not acceptable"


async def test_graphql_transport_ws_subprotocol_is_accepted(app):
    init = {"type": "websocket.receive", "text": json.dumps({"type": "connection_init"})}
    sent = await websocket_handshake(app, ["graphql-ws", "graphql-transport-ws"], init)
    assert sent[0] == {
        "type": "websocket.accept",
        "subprotocol": "graphql-transport-ws",
        "headers": [],
    }
    assert sent[1]["type"] == "websocket.send"
    assert json.loads(sent[1]["text"]) == {"type": "connection_ack"}
