"""A REST ERP stub on 127.0.0.1 for the fault tests: ``products`` pages over real HTTP, an
outage switch (503 until a moment), and connector configs that point at it.

``GET /api/products?limit=N[&cursor=OFFSET][&updated_since=ISO]`` answers the products
ordered by ``updated_at`` (those at or after ``updated_since`` only) as ``{"data": [...],
"next": OFFSET | null}`` — the same protocol as ``tests/jobs/sync_harness.ErpStub``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.jobs.sync_harness import PRODUCT_MAPPING, connector_config, product, stream_config
from tests.local_server import serving


class FaultErp:
    """The stub's data and switches, shared with its request handler threads."""

    def __init__(self, count: int, first: int = 1) -> None:
        # ordered by updated_at (product n is updated n minutes after the epoch)
        self.products = [product(n) for n in range(first, first + count)]
        self.down_until = 0.0  # time.monotonic() before which every request gets a 503
        self.delay = 0.0  # seconds each answer takes (a slow ERP)
        self.requests = 0
        self.refused = 0
        self.lock = threading.Lock()

    def outage(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds

    def page(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        time.sleep(self.delay)
        with self.lock:
            self.requests += 1
            if time.monotonic() < self.down_until:
                self.refused += 1
                return 503, {"error": "maintenance"}
        rows = self.products
        since = query.get("updated_since", [""])[0]
        if since:
            moment = datetime.fromisoformat(since)
            rows = [r for r in rows if datetime.fromisoformat(r["updated_at"]) >= moment]
        offset = int(query.get("cursor", ["0"])[0] or 0)
        limit = int(query["limit"][0])
        following = offset + limit if offset + limit < len(rows) else None
        return 200, {"data": rows[offset : offset + limit], "next": following}

    def expected(self) -> list[tuple[str, str, Decimal]]:
        """(sku, name, list_price) of every product, as the store must end up."""
        return sorted((r["sku"], r["name"], Decimal(r["price"])) for r in self.products)

    def last_cursor(self) -> str:
        return str(self.products[-1]["updated_at"])


@contextmanager
def serving_erp(erp: FaultErp) -> Iterator[str]:
    """The stub's base URL (``http://127.0.0.1:PORT/api``) while it serves."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/api/products":
                status, body = 404, {"error": "no such stream"}
            else:
                status, body = erp.page(parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(Handler) as url:
        yield f"{url}/api"


def products_connector(base_url: str, name: str = "erp", page_size: int = 500) -> dict[str, Any]:
    """A REST connector config syncing ``products`` from the stub at ``base_url``."""
    config = connector_config([stream_config("products", PRODUCT_MAPPING, page_size=page_size)])
    config["name"] = name
    config["connection"]["base_url"] = base_url
    return config
