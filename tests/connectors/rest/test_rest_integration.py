"""End to end against a real HTTP server on 127.0.0.1: two pages over the Link header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connectors.rest import RestConnector, RestConnectorConfig
from tests.local_server import serving

pytestmark = pytest.mark.anyio

RECORDS = [{"id": n, "sku": f"SKU-{n}"} for n in range(5)]


class Orders(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if self.headers.get("X-Api-Key") != "integration-key":
            self.send_response(401)
            self.end_headers()
            return
        start = int(query.get("from", ["0"])[0])
        body = json.dumps({"items": RECORDS[start : start + 3]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if start + 3 < len(RECORDS):
            self.send_header("Link", f'</v1/products?from={start + 3}>; rel="next"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_url() -> Iterator[str]:
    with serving(Orders) as url:
        yield f"{url}/v1"


async def test_reads_two_pages_from_a_real_server(server_url):
    config = RestConnectorConfig.model_validate(
        {
            "name": "local",
            "kind": "rest",
            "connection": {
                "base_url": server_url,
                "authenticator": {
                    "type": "api_key",
                    "in": "header",
                    "name": "X-Api-Key",
                    "key": "integration-key",
                },
                "timeouts": {"connect": 2, "read": 5},
            },
            "streams": [
                {
                    "name": "products",
                    "request": {"path": "/products"},
                    "record_selector": "items",
                    "paginator": {"type": "link_header"},
                }
            ],
        }
    )
    async with httpx.AsyncClient() as client:
        connector = RestConnector(config, client)
        assert (await connector.check()).ok
        pages = [page async for page in connector.read("products")]
        await connector.aclose()
    assert [len(page.records) for page in pages] == [3, 2]
    assert [r["id"] for page in pages for r in page.records] == [0, 1, 2, 3, 4]
    assert pages[0].state == {"position": {"url": f"{server_url}/products?from=3"}}
    assert pages[1].last
