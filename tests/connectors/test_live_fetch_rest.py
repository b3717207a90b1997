"""REST ``fetch`` (the LiveReader capability) against a real HTTP server on 127.0.0.1: keys
joined in one parameter and split by ``batch_size``, one request per key with ``{key}`` in
the path, no retries on 503, secrets scrubbed from errors, unknown or non-live streams."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from connectors.errors import ConfigError, RetriableError
from connectors.live import LiveReader, read_values
from connectors.rest import RestConnector, RestConnectorConfig
from tests.local_server import serving

API_KEY = "live-key-Qw3rTy7788"


@dataclass
class Finance:
    balances: dict[str, str]
    requests: list[str] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(finance: Finance) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with finance.lock:
                finance.requests.append(self.path)
            url = urlsplit(self.path)
            if self.headers.get("X-Api-Key") != API_KEY:
                self._send(401, {"error": "bad key"})
            elif finance.status != 200:
                self._send(finance.status, {"error": f"down, key {API_KEY}"})
            elif url.path == "/api/credit-balances":
                wanted = parse_qs(url.query)["customers"][0].split(",")
                self._send(200, {"items": self._items(wanted)})
            elif url.path.startswith("/api/credit-balances/"):
                key = unquote(url.path.rsplit("/", 1)[1])
                self._send(200, self._items([key]))
            else:
                self._send(404, {})

        def _items(self, keys: list[str]) -> list[dict[str, Any]]:
            return [
                {"customer": k, "balance": finance.balances[k], "currency": "CNY"}
                for k in keys
                if k in finance.balances
            ]

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def finance() -> Iterator[tuple[Finance, str]]:
    state = Finance(balances={f"C{n}": f"{n}.{n:02d}" for n in range(1, 251)})
    with serving(_handler(state)) as url:
        yield state, f"{url}/api"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _config(base_url: str, *, per_key: bool = False, batch_size: int = 100) -> RestConnectorConfig:
    live: dict[str, Any] = {
        "entity": "partner",
        "field": "creditBalance",
        "key": "code",
        "match": "customer",
        "batch_size": batch_size,
        "values": {"balance": {"source": "balance", "cast": "decimal"}, "currency": "currency"},
    }
    stream: dict[str, Any] = {
        "name": "credit_balances",
        "request": {"path": "/credit-balances/{key}" if per_key else "/credit-balances"},
        "live": live,
    }
    if not per_key:
        live["key_param"] = "customers"
        stream["record_selector"] = "items"
    return RestConnectorConfig.model_validate(
        {
            "name": "finance",
            "kind": "rest",
            "connection": {
                "base_url": base_url,
                "authenticator": {
                    "type": "api_key",
                    "in": "header",
                    "name": "X-Api-Key",
                    "key": API_KEY,
                },
                "rate_limit": {"requests_per_second": 1000, "burst": 1000},
            },
            "streams": [stream, {"name": "plain", "request": {"path": "/plain"}}],
        }
    )


async def test_many_keys_in_one_request(finance: Any, http: httpx.AsyncClient) -> None:
    state, url = finance
    connector = RestConnector(_config(url), http)
    assert isinstance(connector, LiveReader)
    keys = [f"C{n}" for n in range(1, 51)] + ["C404"]
    records = await connector.fetch("credit_balances", keys)
    assert len(state.requests) == 1
    assert parse_qs(urlsplit(state.requests[0]).query)["customers"] == [",".join(keys)]
    assert len(records) == 50
    live = connector.config.streams[0].live
    assert live is not None
    answer = read_values(live, records, keys)
    assert answer.values["C7"] == {"balance": "7.07", "currency": "CNY"}
    assert "C404" not in answer.values and not answer.problems


async def test_batches_of_batch_size(finance: Any, http: httpx.AsyncClient) -> None:
    state, url = finance
    connector = RestConnector(_config(url, batch_size=100), http)
    keys = [f"C{n}" for n in range(1, 251)] + ["C1", "C2"]  # duplicates asked once
    records = await connector.fetch("credit_balances", keys)
    assert len(state.requests) == 3
    sent = sorted(
        len(parse_qs(urlsplit(r).query)["customers"][0].split(",")) for r in state.requests
    )
    assert sent == [50, 100, 100]
    assert sorted(r["customer"] for r in records) == sorted(f"C{n}" for n in range(1, 251))


async def test_one_request_per_key_with_key_in_the_path(
    finance: Any, http: httpx.AsyncClient
) -> None:
    state, url = finance
    connector = RestConnector(_config(url, per_key=True), http)
    records = await connector.fetch("credit_balances", ["C1", "C2", "C3"])
    assert sorted(state.requests) == [f"/api/credit-balances/C{n}" for n in (1, 2, 3)]
    assert sorted(r["balance"] for r in records) == ["1.01", "2.02", "3.03"]


async def test_a_503_is_not_retried_and_names_no_secret(
    finance: Any, http: httpx.AsyncClient
) -> None:
    state, url = finance
    state.status = 503
    connector = RestConnector(_config(url), http)
    with pytest.raises(RetriableError) as failed:
        await connector.fetch("credit_balances", ["C1"])
    assert len(state.requests) == 1
    assert API_KEY not in str(failed.value)


async def test_unknown_and_not_live_streams(finance: Any, http: httpx.AsyncClient) -> None:
    _, url = finance
    connector = RestConnector(_config(url), http)
    with pytest.raises(ConfigError, match="unknown stream 'nope'"):
        await connector.fetch("nope", ["C1"])
    with pytest.raises(ConfigError, match="stream 'plain' is not live"):
        await connector.fetch("plain", ["C1"])
    assert await connector.fetch("credit_balances", []) == []
