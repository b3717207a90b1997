"""Incremental sync: the state keeps the largest cursor, the next run sends it minus lookback."""

from __future__ import annotations

import httpx
import pytest

from connectors.rest.testing import config, json_response, open_connector, read_all

pytestmark = pytest.mark.anyio

ROWS = [
    {"id": 1, "updated_at": "2025-01-10T08:00:00+00:00"},
    {"id": 2, "updated_at": "2025-01-12T09:30:00+00:00"},
    {"id": 3, "updated_at": "2025-01-11T00:00:00+00:00"},
]


def _cfg(**incremental: object):
    return config(
        streams=[
            {
                "name": "orders",
                "request": {"path": "/orders"},
                "record_selector": "data",
                "paginator": {"type": "offset", "page_size": 2},
                "incremental": {
                    "cursor_field": "updated_at",
                    "request_param": "updated_since",
                    "lookback_seconds": 3600,
                    **incremental,
                },
            }
        ]
    )


class Server:
    def __init__(self) -> None:
        self.since: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.since.append(request.url.params.get("updated_since"))
        offset = int(request.url.params["offset"])
        return json_response({"data": ROWS[offset : offset + 2]})


async def test_state_advances_and_next_read_sends_cursor_minus_lookback():
    server = Server()
    async with open_connector(_cfg(), server) as connector:
        first_run = await read_all(connector)
        assert server.since == [None, None]
        state = first_run[-1].state
        assert state == {"cursor": "2025-01-12T09:30:00+00:00"}
        await read_all(connector, state=state)
    assert server.since[2:] == ["2025-01-12T08:30:00+00:00"] * 2


async def test_cursor_format_shapes_the_request_parameter():
    server = Server()
    async with open_connector(_cfg(format="%Y-%m-%d %H:%M"), server) as connector:
        await read_all(connector, state={"cursor": "2025-01-12T09:30:00Z"})
    assert server.since[0] == "2025-01-12 08:30"


async def test_numeric_cursor_subtracts_lookback_seconds():
    rows = [{"id": 1, "version": 5000}, {"id": 2, "version": 7200}]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params.get("updated_since", ""))
        return json_response({"data": rows if len(seen) == 1 else []})

    cfg = _cfg(cursor_field="version")
    async with open_connector(cfg, handler) as connector:
        pages = await read_all(connector, state={"cursor": 4000})
        assert pages[-1].state == {"cursor": 7200}
        await read_all(connector, state=pages[-1].state)
    assert seen == ["400", "400", "3600"]


async def test_resuming_mid_run_keeps_the_cursor_the_run_started_from():
    server = Server()
    start = {"cursor": "2025-01-01T00:00:00+00:00"}
    async with open_connector(_cfg(), server) as connector:
        reader = connector.read("orders", start)
        first = await anext(reader)
        await reader.aclose()
        assert first.state["run_cursor"] == start["cursor"]
        assert first.state["cursor"] == "2025-01-12T09:30:00+00:00"
        rest = await read_all(connector, state=first.state)
    assert server.since == ["2024-12-31T23:00:00+00:00"] * 2
    assert rest[-1].state == {"cursor": "2025-01-12T09:30:00+00:00"}
