"""A finance ERP stub on 127.0.0.1 for live-field tests, and the connector config that reads it.

``GET /api/credit-balances?customers=C1,C2`` answers every known customer's balance at once;
``/api/delivery?orders=...`` an order's delivery status. The stub counts requests, checks the
API key, and can be made to fail (``status``) or be slow (``delay``). Its error bodies echo
the API key, so a test can prove the key never reaches a client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.local_server import serving

API_KEY = "erp-key-Zx81Vb27Nm"


@dataclass
class FinanceErp:
    """What the stub answers, and what it was asked."""

    balances: dict[str, str] = field(default_factory=dict)
    deliveries: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def asked(self, param: str) -> list[list[str]]:
        """The keys each request sent in ``param``."""
        with self.lock:
            paths = list(self.requests)
        queries = [parse_qs(urlsplit(p).query) for p in paths]
        return [q[param][0].split(",") for q in queries if param in q]


def _handler(erp: FinanceErp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with erp.lock:
                erp.requests.append(self.path)
            if erp.delay:
                time.sleep(erp.delay)
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if self.headers.get("X-Api-Key") != API_KEY:
                self._send(401, {"error": f"bad key; expected {API_KEY}"})
            elif erp.status != 200:
                self._send(erp.status, {"error": f"maintenance (key {API_KEY})"})
            elif url.path == "/api/credit-balances":
                wanted = query["customers"][0].split(",")
                items = [
                    {"customer": c, "balance": erp.balances[c], "currency": "CNY"}
                    for c in wanted
                    if c in erp.balances
                ]
                self._send(200, {"items": items})
            elif url.path == "/api/delivery":
                wanted = query["orders"][0].split(",")
                items = [
                    {"order": o, "status": erp.deliveries[o]} for o in wanted if o in erp.deliveries
                ]
                self._send(200, {"items": items})
            else:
                self._send(404, {})

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the hub gave up waiting (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def finance_erp() -> Iterator[FinanceErp]:
    erp = FinanceErp()
    with serving(_handler(erp)) as url:
        erp.base_url = f"{url}/api"
        yield erp


def finance_config(
    erp: FinanceErp,
    *,
    name: str = "finance",
    ttl: float = 60,
    timeout: float = 3,
    batch_size: int = 100,
    key: str = "code",
    api_key: str = API_KEY,
) -> dict[str, Any]:
    """A REST connector with a live partner field (creditBalance) and a live order field."""
    return {
        "name": name,
        "kind": "rest",
        "connection": {
            "base_url": erp.base_url,
            "authenticator": {
                "type": "api_key",
                "in": "header",
                "name": "X-Api-Key",
                "key": api_key,
            },
            "rate_limit": {"requests_per_second": 1000, "burst": 1000},
        },
        "streams": [
            {
                "name": "credit_balances",
                "request": {"path": "/credit-balances"},
                "record_selector": "items",
                "live": {
                    "entity": "partner",
                    "field": "creditBalance",
                    "key": key,
                    "key_param": "customers",
                    "match": "customer",
                    "batch_size": batch_size,
                    "ttl_seconds": ttl,
                    "timeout_seconds": timeout,
                    "values": {
                        "balance": {"source": "balance", "cast": "decimal", "required": True},
                        "currency": "currency",
                    },
                },
            },
            {
                "name": "delivery",
                "request": {"path": "/delivery"},
                "record_selector": "items",
                "live": {
                    "entity": "order",
                    "field": "deliveryStatus",
                    "key": "external_id",
                    "key_param": "orders",
                    "match": "order",
                    "values": {"status": "status"},
                },
            },
        ],
    }


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
