"""Each paginator reads every record exactly once, and a saved position resumes the read."""

from __future__ import annotations

import httpx
import pytest

from connectors.rest.testing import config, json_response, open_connector, read_all

pytestmark = pytest.mark.anyio

RECORDS = [{"id": n} for n in range(7)]


def _stream(paginator: dict[str, object], selector: str = "data") -> list[dict[str, object]]:
    return [
        {
            "name": "orders",
            "request": {"path": "/orders", "params": {"status": "open"}},
            "record_selector": selector,
            "paginator": paginator,
        }
    ]


def offset_handler(request: httpx.Request) -> httpx.Response:
    assert request.url.params["status"] == "open"
    offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
    return json_response({"data": RECORDS[offset : offset + limit]})


def page_handler(request: httpx.Request) -> httpx.Response:
    page, size = int(request.url.params["p"]), int(request.url.params["size"])
    return json_response({"data": RECORDS[page * size : (page + 1) * size]})


def cursor_handler(request: httpx.Request) -> httpx.Response:
    start = int(request.url.params.get("after", "0"))
    chunk = RECORDS[start : start + 3]
    following = str(start + 3) if start + 3 < len(RECORDS) else None
    return json_response({"data": chunk, "meta": {"next": following}})


def link_handler(request: httpx.Request) -> httpx.Response:
    start = int(request.url.params.get("from", "0"))
    headers: dict[str, str] = {}
    if start + 3 < len(RECORDS):
        headers["Link"] = f'</api/orders?from={start + 3}>; rel="next", </api/orders>; rel="first"'
    return httpx.Response(200, json={"data": RECORDS[start : start + 3]}, headers=headers)


@pytest.mark.parametrize(
    ("paginator", "handler"),
    [
        ({"type": "offset", "page_size": 3}, offset_handler),
        (
            {"type": "page_number", "page_size": 3, "start": 0, "page_param": "p",
             "size_param": "size"},
            page_handler,
        ),
        ({"type": "cursor", "cursor_path": "meta.next", "cursor_param": "after"}, cursor_handler),
        ({"type": "link_header"}, link_handler),
    ],
    ids=["offset", "page_number", "cursor", "link_header"],
)  # fmt: skip
async def test_each_paginator_reads_every_record_exactly_once(paginator, handler):
    async with open_connector(config(streams=_stream(paginator)), handler) as connector:
        pages = await read_all(connector)
    ids = [record["id"] for page in pages for record in page.records]
    assert ids == list(range(7))
    assert [page.last for page in pages] == [False] * (len(pages) - 1) + [True]
    assert "position" not in pages[-1].state


async def test_offset_exact_multiple_ends_on_an_empty_page():
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return json_response({"data": RECORDS[:6][offset : offset + 3]})

    cfg = config(streams=_stream({"type": "offset", "page_size": 3}))
    async with open_connector(cfg, handler) as connector:
        pages = await read_all(connector)
    assert [len(p.records) for p in pages] == [3, 3, 0]


async def test_saved_position_resumes_after_the_last_stored_page():
    cfg = config(streams=_stream({"type": "offset", "page_size": 3}))
    async with open_connector(cfg, offset_handler) as connector:
        reader = connector.read("orders")
        first = await anext(reader)
        await reader.aclose()
        rest = await read_all(connector, state=first.state)
    assert first.state == {"position": {"offset": 3}}
    ids = [r["id"] for page in [first, *rest] for r in page.records]
    assert ids == list(range(7))


async def test_no_paginator_reads_one_page_with_the_root_selector():
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(RECORDS)

    cfg = config(streams=[{"name": "orders", "request": {"path": "/orders"}}])
    async with open_connector(cfg, handler) as connector:
        pages = await read_all(connector)
    assert len(pages) == 1
    assert pages[0].records == RECORDS
    assert pages[0].last


async def test_link_header_state_never_keeps_an_echoed_api_key():
    key = "k-echoed-secret-123"

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["api_key"] == key  # the authenticator adds it to every page
        start = int(request.url.params.get("from", "0"))
        headers: dict[str, str] = {}
        if start + 3 < len(RECORDS):  # the server echoes the key into its links
            headers["Link"] = f'</api/orders?from={start + 3}&api_key={key}>; rel="next"'
        return httpx.Response(200, json={"data": RECORDS[start : start + 3]}, headers=headers)

    auth = {"type": "api_key", "in": "query", "name": "api_key", "key": key}
    cfg = config(streams=_stream({"type": "link_header"}), auth=auth)
    async with open_connector(cfg, handler) as connector:
        pages = await read_all(connector)
    assert [r["id"] for page in pages for r in page.records] == list(range(7))
    states = [str(page.state) for page in pages]
    assert all(key not in state for state in states)
    assert "from=3" in states[0]
