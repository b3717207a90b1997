"""The ``rest`` requester: one HTTP exchange with rate limit, auth, retries and classification.

``Requester.send`` waits for the connector's rate limiter (``bucket``: the process's shared
bucket of this connector, ``connectors.limits``; else its own ``TokenBucket``), sends
through the shared client with the connector's authenticator, retries 429, 5xx, timeouts
and connection errors with backoff (bounded in attempts and time, honouring
``Retry-After``) and raises a classified ``ConnectorError`` otherwise. Every message passes
through ``scrub`` with the connector's secrets, and no httpx exception is chained (its text
may hold a URL with a key).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from connectors.errors import (
    ConfigError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    RetriableError,
    scrub,
)
from connectors.limits import RateLimiter
from connectors.rest.auth import ApiKeyAuth, RestAuth
from connectors.rest.config import RestConnection
from connectors.rest.ratelimit import TokenBucket
from connectors.rest.retry import Action, Backoff, classify, parse_retry_after

SNIPPET = 200


class Requester:
    def __init__(
        self,
        name: str,
        connection: RestConnection,
        client: httpx.AsyncClient,
        auth: RestAuth,
        *,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        now: Callable[[], datetime],
        jitter: Callable[[], float] = random.random,
        bucket: RateLimiter | None = None,
    ) -> None:
        self.name = name
        self.connection = connection
        self._client = client
        self._auth = auth
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._jitter = jitter
        timeouts = connection.timeouts
        self._timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
        limit = connection.rate_limit
        if bucket is None:
            bucket = TokenBucket(limit.requests_per_second, limit.burst, clock=clock, sleep=sleep)
        self._bucket: RateLimiter = bucket

    def secrets(self) -> list[str]:
        """Every secret of this connector, with the encodings a URL or header would use."""
        secrets = self._auth.secrets()
        if isinstance(self._auth, ApiKeyAuth):
            secrets += [str(httpx.QueryParams({"k": s})).removeprefix("k=") for s in secrets]
        return secrets

    def scrub(self, message: str) -> str:
        return scrub(message, self.secrets())

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.connection.base_url.rstrip("/") + "/" + path.lstrip("/")

    def config_error(self, message: str) -> ConfigError:
        return ConfigError(self.scrub(f"{self.name}: {message}"), connector=self.name)

    def permanent_error(self, message: str) -> PermanentError:
        return PermanentError(self.scrub(f"{self.name}: {message}"), connector=self.name)

    async def send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        max_attempts: int | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """A successful (< 400) response, or a classified, scrubbed ConnectorError.

        A status in ``accept`` (e.g. 404 for a lookup) is returned as an answer, not raised.
        """
        policy = self.connection.retries
        if max_attempts is not None:
            policy = policy.model_copy(update={"max_attempts": max_attempts})
        backoff = Backoff(policy, started=self._clock(), random=self._jitter)
        while True:
            backoff.attempts += 1
            await self._bucket.acquire()
            request = self._client.build_request(
                method,
                url,
                params=params or None,
                headers=headers,
                json=json,
                timeout=self._timeout,
            )
            label = f"{self.name}: {what}: {method} {request.url}"
            retry_after: float | None = None
            try:
                response = await self._client.send(request, auth=self._auth)
            except httpx.TimeoutException as exc:
                error: ConnectorError = RetriableError(f"{label}: timed out ({type(exc).__name__})")
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise self.config_error(f"{what}: bad URL {url}: {exc}") from None
            except httpx.TransportError as exc:
                reason = str(exc) or type(exc).__name__
                error = RetriableError(f"{label}: could not reach the server: {reason}")
            except RetriableError as exc:
                error = RetriableError(f"{self.name}: {what}: {exc}")
            except ConnectorError as exc:
                message = self.scrub(f"{self.name}: {what}: {exc}")
                raise type(exc)(message, connector=self.name) from None
            else:
                action = classify(response.status_code)
                if action is Action.SUCCESS or response.status_code in accept:
                    return response
                status = f"{label}: HTTP {response.status_code}"
                if action is Action.RATE_LIMITED:
                    header = response.headers.get("retry-after")
                    retry_after = parse_retry_after(header, self._now())
                    error = RateLimitedError(f"{status}: rate limited", retry_after=retry_after)
                elif action is Action.RETRY:
                    error = RetriableError(f"{status}: server error")
                elif action is Action.CONFIG:
                    raise self.config_error(
                        f"{what}: credentials were rejected (HTTP {response.status_code}) "
                        f"by {method} {request.url}"
                    )
                else:
                    raise self.permanent_error(
                        f"{what}: {method} {request.url}: HTTP {response.status_code}: "
                        f"{_snippet(response)}"
                    )
            delay = backoff.delay(retry_after)
            if not backoff.allows(delay, self._clock()):
                raise self._final(error, backoff.attempts)
            await self._sleep(delay)

    def _final(self, error: ConnectorError, attempts: int) -> ConnectorError:
        message = self.scrub(f"{error} (gave up after {attempts} attempt(s))")
        if isinstance(error, RateLimitedError):
            return RateLimitedError(message, retry_after=error.retry_after, connector=self.name)
        return type(error)(message, connector=self.name)


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    if not text:
        return "(empty body)"
    return text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")
