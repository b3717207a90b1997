"""The ``rest`` kind passes the conformance suite against a fake API over httpx.MockTransport.

The fake API pages with an opaque cursor, filters on ``updated_since`` (strictly after),
requires an API key header, and creates orders idempotently on ``Idempotency-Key``;
broken, it answers 400 with a body that echoes the API key.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.conformance import ConnectorConformance
from connectors.protocol import Connector
from connectors.registry import ConnectorResources, build_connector, load_registry
from connectors.rest import RestConnectorConfig
from connectors.rest.testing import BASE, body_of, json_response

API_KEY = "k3y/with+odd=chars?&x"
START = datetime(2025, 1, 1, tzinfo=UTC)
PAGE_SIZE = 4


class FakeApi:
    """Orders with increasing ``updated_at``; cursor paging; idempotent order creation."""

    def __init__(self, count: int) -> None:
        self.orders: list[dict[str, Any]] = []
        self.accepted_key = API_KEY
        self.broken = False
        self.created: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self.append(count)

    def append(self, count: int) -> int:
        for _ in range(count):
            n = len(self.orders) + 1
            updated = START + timedelta(hours=n)
            self.orders.append({"id": f"o-{n}", "total": n * 10, "updated_at": updated.isoformat()})
        return count

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("X-Api-Key")
        if key != self.accepted_key:
            return json_response({"error": f"invalid API key {key}"}, 401)
        if self.broken:  # a misbehaving gateway that echoes the request's credentials
            return json_response({"error": f"bad request with key {key}"}, 400)
        if request.method == "POST" and request.url.path == "/api/orders":
            return self._create(request)
        if request.method == "GET" and request.url.path == "/api/orders":
            return self._list(request.url.params)
        return json_response({"error": "not found"}, 404)

    def _list(self, params: httpx.QueryParams) -> httpx.Response:
        since = params.get("updated_since")
        rows = [
            row
            for row in self.orders
            if since is None
            or datetime.fromisoformat(row["updated_at"]) > datetime.fromisoformat(since)
        ]
        after = params.get("after")
        start = 0 if after is None else next(i for i, r in enumerate(rows) if r["id"] == after) + 1
        chunk = rows[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(rows)
        return json_response({"data": chunk, "next": chunk[-1]["id"] if more else None})

    def _create(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if key not in self.created:
            self.created[key] = f"SO-{next(self._numbers)}"
        return json_response({"order": {"number": self.created[key], **body_of(request)}}, 201)


def rest_config() -> RestConnectorConfig:
    return RestConnectorConfig.model_validate(
        {
            "name": "fake-erp",
            "kind": "rest",
            "connection": {
                "base_url": BASE,
                "authenticator": {"type": "api_key", "in": "header", "name": "X-Api-Key",
                                  "key": API_KEY},
                "retries": {"max_attempts": 1},
            },
            "streams": [
                {
                    "name": "orders",
                    "request": {"path": "/orders"},
                    "record_selector": "data",
                    "paginator": {"type": "cursor", "cursor_path": "next",
                                  "cursor_param": "after"},
                    "incremental": {"cursor_field": "updated_at",
                                    "request_param": "updated_since"},
                }
            ],
            "operations": [
                {"name": "create_order", "path": "/orders", "reference_path": "order.number"}
            ],
        }
    )  # fmt: skip


class TestRestConformance(ConnectorConformance):
    stream = "orders"
    expected_records = 10
    secrets = (API_KEY,)
    write_operation = "create_order"
    write_record = {"partner": "P-1", "lines": [{"sku": "A", "qty": 2}]}
    idempotent_writes = True

    @pytest.fixture(autouse=True)
    async def _remote(self, tmp_path: Path) -> AsyncIterator[None]:
        self.api = FakeApi(self.expected_records)
        async with httpx.AsyncClient(transport=httpx.MockTransport(self.api)) as client:
            self.resources = ConnectorResources(http=client, cache_dir=tmp_path)
            yield

    async def make_connector(self) -> Connector:
        return build_connector(load_registry([]), rest_config(), self.resources)

    async def provoke_error(self) -> None:
        """A broken remote whose 400 body echoes the API key (the error quotes the body)."""
        connector = await self.make_connector()
        self.api.broken = True
        try:
            await self.read_pages(connector)
        finally:
            self.api.broken = False
            await connector.aclose()

    def add_remote_records(self) -> int:
        return self.api.append(3)
