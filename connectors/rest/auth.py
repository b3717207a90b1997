"""Authenticators of the ``rest`` kind, as ``httpx.Auth`` flows built from config.

none, basic, bearer, an API key in a header or the query, and OAuth2 client credentials
(the token is fetched through the same client, cached until shortly before it expires and
refreshed once when the API answers 401; on the async client one fetch at a time: concurrent
requests that find the token expired wait for that one fetch instead of each fetching).
Each authenticator lists its ``secrets()`` so the connector can scrub them from every error;
nothing here logs or formats a secret.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from connectors.errors import ConfigError, RetriableError, scrub
from connectors.rest.config import (
    ApiKeyAuthenticator,
    Authenticator,
    BasicAuthenticator,
    BearerAuthenticator,
    OAuth2ClientCredentials,
)

Flow = Generator[httpx.Request, httpx.Response, None]


class RestAuth(httpx.Auth):
    """Base: no credentials. Subclasses add them and list what must be scrubbed."""

    def secrets(self) -> list[str]:
        return []

    def query_params(self) -> frozenset[str]:
        """Query parameters this authenticator adds to every request (never saved in state)."""
        return frozenset()

    def auth_flow(self, request: httpx.Request) -> Flow:
        yield request


class BasicAuth(RestAuth):
    def __init__(self, username: str, password: str) -> None:
        self._password = password
        credentials = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(credentials).decode()

    def secrets(self) -> list[str]:
        return [self._password, self._header.removeprefix("Basic ")]

    def auth_flow(self, request: httpx.Request) -> Flow:
        request.headers["Authorization"] = self._header
        yield request


class BearerAuth(RestAuth):
    def __init__(self, token: str) -> None:
        self._token = token

    def secrets(self) -> list[str]:
        return [self._token]

    def auth_flow(self, request: httpx.Request) -> Flow:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class ApiKeyAuth(RestAuth):
    def __init__(self, config: ApiKeyAuthenticator) -> None:
        self._where = config.in_
        self._name = config.name
        self._key = config.key.get_secret_value()
        self._value = config.prefix + self._key

    def secrets(self) -> list[str]:
        return [self._key]

    def query_params(self) -> frozenset[str]:
        return frozenset({self._name}) if self._where == "query" else frozenset()

    def auth_flow(self, request: httpx.Request) -> Flow:
        if self._where == "header":
            request.headers[self._name] = self._value
        else:
            request.url = request.url.copy_merge_params({self._name: self._value})
        yield request


class OAuth2ClientCredentialsAuth(RestAuth):
    """Client-credentials grant; the token lives until ``expires_in`` minus a margin."""

    requires_response_body = True

    def __init__(
        self, config: OAuth2ClientCredentials, *, clock: Callable[[], float], connector: str
    ) -> None:
        self._config = config
        self._secret = config.client_secret.get_secret_value()
        self._clock = clock
        self._connector = connector
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock: asyncio.Lock | None = None
        self.fetches = 0

    def secrets(self) -> list[str]:
        return [self._secret] + ([self._token] if self._token else [])

    def _valid(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at

    def auth_flow(self, request: httpx.Request) -> Flow:
        fresh = False
        if not self._valid():
            yield from self._fetch(request)
            fresh = True
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401 and not fresh:
            yield from self._fetch(request)
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """As ``auth_flow``, with token fetches single-flighted under one lock."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        fresh = False
        if not self._valid():
            async with self._lock:  # a fetch in flight finishes before anyone looks again
                if not self._valid():
                    fetch = self._fetch(request)
                    token_response = yield next(fetch)
                    await token_response.aread()
                    _finish(fetch, token_response)
                    fresh = True
        used = self._token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401 or fresh:
            return
        async with self._lock:
            if self._token == used:  # nobody refreshed it meanwhile: refresh once
                fetch = self._fetch(request)
                token_response = yield next(fetch)
                await token_response.aread()
                _finish(fetch, token_response)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def _fetch(self, original: httpx.Request) -> Flow:
        config = self._config
        form = {"grant_type": "client_credentials"}
        if config.scope:
            form["scope"] = config.scope
        headers: dict[str, str] = {"Accept": "application/json"}
        if config.client_auth == "basic":
            pair = f"{config.client_id}:{self._secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form |= {"client_id": config.client_id, "client_secret": self._secret}
        token_request = httpx.Request(
            "POST",
            config.token_url,
            data=form,
            headers=headers,
            extensions={"timeout": original.extensions.get("timeout", {})},
        )
        self._token = None
        self._expires_at = None
        self.fetches += 1
        response = yield token_request
        self._accept(response)

    def _accept(self, response: httpx.Response) -> None:
        where = f"{self._connector}: OAuth2 token request to {self._config.token_url}"
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableError(self._scrub(f"{where} failed (HTTP {status})"))
        if status >= 400:
            raise ConfigError(
                self._scrub(f"{where} was refused (HTTP {status}): check client id and secret"),
            )
        try:
            body: Any = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                self._scrub(f"{where}: the response has no access_token (HTTP {status})")
            ) from None
        if not isinstance(token, str) or not token:
            raise ConfigError(self._scrub(f"{where}: access_token is not a string"))
        self._token = token
        expires_in = body.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            margin = min(self._config.expiry_margin_seconds, float(expires_in) / 2)
            self._expires_at = self._clock() + float(expires_in) - margin

    def _scrub(self, message: str) -> str:
        return scrub(message, [self._secret])


def _finish(flow: Flow, response: httpx.Response) -> None:
    """Hand the token response to a ``_fetch`` flow and run it to its end."""
    try:
        flow.send(response)
    except StopIteration:
        return
    raise RuntimeError("token flow yielded more than one request")  # pragma: no cover


def build_auth(config: Authenticator, *, clock: Callable[[], float], connector: str) -> RestAuth:
    """The ``httpx.Auth`` for one connector's authenticator config."""
    if isinstance(config, BasicAuthenticator):
        return BasicAuth(config.username, config.password.get_secret_value())
    if isinstance(config, BearerAuthenticator):
        return BearerAuth(config.token.get_secret_value())
    if isinstance(config, ApiKeyAuthenticator):
        return ApiKeyAuth(config)
    if isinstance(config, OAuth2ClientCredentials):
        return OAuth2ClientCredentialsAuth(config, clock=clock, connector=connector)
    return RestAuth()
