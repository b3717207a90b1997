"""Test helpers for the ``rest`` kind: fake time and a connector over ``httpx.MockTransport``.

Like ``starlette.testclient``, shipped so tests (ours and the registry's conformance suite)
drive a connector without sockets or real waiting. Never used at run time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.protocol import Page
from connectors.rest import RestConnector, RestConnectorConfig

BASE = "http://erp.test/api"
WALL = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def config(
    *,
    streams: list[dict[str, Any]] | None = None,
    operations: list[dict[str, Any]] | None = None,
    auth: dict[str, Any] | None = None,
    **connection: Any,
) -> RestConnectorConfig:
    return RestConnectorConfig.model_validate(
        {
            "name": "erp",
            "kind": "rest",
            "connection": {
                "base_url": BASE,
                "authenticator": auth or {"type": "none"},
                "rate_limit": {"requests_per_second": 1000, "burst": 1000},
                "retries": {"max_attempts": 4, "max_elapsed_seconds": 120, "base_delay": 1},
                **connection,
            },
            "streams": streams
            or [{"name": "orders", "request": {"path": "/orders"}, "record_selector": "data"}],
            "operations": operations or [],
        }
    )


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def html_response(status: int = 200) -> httpx.Response:
    page = "<html><body><h1>Bad Gateway</h1></body></html>"
    return httpx.Response(status, text=page, headers={"content-type": "text/html"})


@asynccontextmanager
async def open_connector(
    cfg: RestConnectorConfig,
    handler: (
        Callable[[httpx.Request], httpx.Response]
        | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
    ),
    fake: FakeTime | None = None,
) -> AsyncIterator[RestConnector]:
    fake = fake or FakeTime()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        yield RestConnector(cfg, client, sleep=fake.sleep, clock=fake.clock, now=lambda: WALL)


async def read_all(
    connector: RestConnector, stream: str = "orders", state: dict[str, Any] | None = None
) -> list[Page]:
    return [page async for page in connector.read(stream, state)]


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)
