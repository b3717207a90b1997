"""Authenticators: credentials land where configured; OAuth2 tokens are cached and refreshed."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from connectors.errors import ConfigError
from connectors.rest.testing import FakeTime, config, json_response, open_connector, read_all

pytestmark = pytest.mark.anyio

OK = {"data": [{"id": 1}]}
CLIENT_SECRET = "cl13nt-s3cret"
TOKEN_URL = "http://auth.test/oauth/token"
OAUTH = {
    "type": "oauth2_client_credentials",
    "token_url": TOKEN_URL,
    "client_id": "hub",
    "client_secret": CLIENT_SECRET,
    "scope": "orders.read",
}


async def _seen(auth: dict[str, Any]) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(OK)

    async with open_connector(config(auth=auth), handler) as connector:
        await read_all(connector)
    return seen[0]


async def test_basic_sends_the_authorization_header():
    request = await _seen({"type": "basic", "username": "u", "password": "p4ssw0rd"})
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"u:p4ssw0rd").decode()


async def test_bearer_sends_the_token():
    request = await _seen({"type": "bearer", "token": "t0ken-abc"})
    assert request.headers["Authorization"] == "Bearer t0ken-abc"


async def test_api_key_in_a_header():
    auth = {"type": "api_key", "in": "header", "name": "X-Api-Key", "key": "k-123456"}
    request = await _seen(auth)
    assert request.headers["X-Api-Key"] == "k-123456"
    assert "k-123456" not in str(request.url)


async def test_api_key_in_the_query():
    auth = {"type": "api_key", "in": "query", "name": "api_key", "key": "k-123456"}
    request = await _seen(auth)
    assert request.url.params["api_key"] == "k-123456"
    assert "X-Api-Key" not in request.headers


class OAuthServer:
    """Issues numbered tokens; the API accepts only tokens in ``valid``."""

    def __init__(self, *, expires_in: int | None = 3600) -> None:
        self.expires_in = expires_in
        self.issued = 0
        self.valid: set[str] = set()
        self.refuse_token_request = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            assert request.method == "POST"
            assert b"grant_type=client_credentials" in request.content
            if self.refuse_token_request:
                return json_response({"error": f"invalid_client {CLIENT_SECRET}"}, 401)
            self.issued += 1
            token = f"access-token-{self.issued}"
            self.valid.add(token)
            body: dict[str, object] = {"access_token": token, "token_type": "bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return json_response(body)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid:
            return json_response({"error": f"bad token {token}"}, 401)
        return json_response(OK)


async def test_oauth2_token_is_fetched_once_and_reused():
    server = OAuthServer()
    async with open_connector(config(auth=OAUTH), server) as connector:
        for _ in range(3):
            await read_all(connector)
    assert server.issued == 1


async def test_concurrent_reads_share_one_token_fetch():
    server = OAuthServer()

    async def slow_token_server(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            await asyncio.sleep(0.02)  # every reader finds no token while this one is fetched
        return server(request)

    async with open_connector(config(auth=OAUTH), slow_token_server) as connector:
        results = await asyncio.gather(*(read_all(connector) for _ in range(5)))
    assert [pages[0].records for pages in results] == [[{"id": 1}]] * 5
    assert server.issued == 1


async def test_oauth2_token_is_refetched_after_expiry():
    server, fake = OAuthServer(expires_in=600), FakeTime()
    async with open_connector(config(auth=OAUTH), server, fake) as connector:
        await read_all(connector)
        fake.now += 575  # inside the 30 s margin before expiry at 600 s
        await read_all(connector)
    assert server.issued == 2


async def test_oauth2_401_refreshes_once_then_succeeds():
    server = OAuthServer(expires_in=None)
    async with open_connector(config(auth=OAUTH), server) as connector:
        await read_all(connector)
        server.valid.clear()  # the API revoked the cached token
        pages = await read_all(connector)
    assert pages[0].records == [{"id": 1}]
    assert server.issued == 2


async def test_oauth2_401_after_a_fresh_token_is_a_config_error_without_the_token():
    # The API refuses every token the server issues.
    server = OAuthServer(expires_in=None)

    def handler(request: httpx.Request) -> httpx.Response:
        response = server(request)
        if str(request.url) == TOKEN_URL:
            server.valid.clear()
        return response

    async with open_connector(config(auth=OAUTH), handler) as connector:
        server.valid.clear()
        with pytest.raises(ConfigError) as caught:
            await read_all(connector)
        # first read: fresh token refused → no second refresh
        assert server.issued == 1
        with pytest.raises(ConfigError) as again:
            await read_all(connector)
        # cached token refused → refreshed once → refused again → ConfigError
        assert server.issued == 2
    for exc in (caught.value, again.value):
        assert "credentials were rejected (HTTP 401)" in str(exc)
        assert "access-token" not in str(exc)
        assert CLIENT_SECRET not in str(exc)


async def test_oauth2_refused_client_secret_is_a_config_error_without_the_secret():
    server = OAuthServer()
    server.refuse_token_request = True
    async with open_connector(config(auth=OAUTH), server) as connector:
        with pytest.raises(ConfigError) as caught:
            await read_all(connector)
        result = await connector.check()
    assert "OAuth2 token request" in str(caught.value)
    assert "HTTP 401" in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)
    assert CLIENT_SECRET not in repr(caught.value)
    assert (result.ok, result.failed) == (False, "credentials")


async def test_check_says_reachability_failed_when_the_server_is_unreachable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    async with open_connector(config(), handler) as connector:
        result = await connector.check()
    assert (result.ok, result.failed) == (False, "reachability")
    assert "could not reach the server" in result.message


async def test_check_says_credentials_failed_on_401_and_ok_otherwise():
    def refuse(request: httpx.Request) -> httpx.Response:
        return json_response({}, 401)

    async with open_connector(config(auth={"type": "bearer", "token": "t0ken-x"}), refuse) as c:
        refused = await c.check()
    async with open_connector(config(), lambda request: json_response(OK)) as connector:
        accepted = await connector.check()
    assert (refused.ok, refused.failed) == (False, "credentials")
    assert "t0ken-x" not in refused.message
    assert accepted.ok
