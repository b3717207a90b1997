"""Connector calls are timed per connector and operation, and failures counted by kind, for
``/metrics``: an instrumented REST connector still passes the whole conformance suite, each
page read is one call, and a failure is counted without keeping its message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import tests.connectors.test_conformance_rest as rest_suite
from connectors.errors import ConfigError, PermanentError
from connectors.protocol import Connector
from connectors.registry import ConnectorResources, build_connector, load_registry
from jobs.connector_calls import CALL_BUCKETS, ConnectorCalls, instrument, instrument_kinds


class TestInstrumentedRestConformance(rest_suite.TestRestConformance):
    """The wrapper is transparent: the REST kind's conformance suite passes through it."""

    async def make_connector(self) -> Connector:
        self.calls = ConnectorCalls()
        kinds = instrument_kinds(load_registry([]), self.calls)
        return build_connector(kinds, rest_suite.rest_config(), self.resources)


async def _connector(tmp_path: Path, api: Any, calls: ConnectorCalls) -> tuple[Connector, Any]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(api))
    resources = ConnectorResources(http=client, cache_dir=tmp_path)
    kinds = instrument_kinds(load_registry([]), calls)
    return build_connector(kinds, rest_suite.rest_config(), resources), client


async def test_each_page_read_and_each_write_is_one_timed_call(tmp_path: Path) -> None:
    calls = ConnectorCalls()
    api = rest_suite.FakeApi(10)  # 4 records a page: 3 pages
    connector, client = await _connector(tmp_path, api, calls)
    try:
        pages = [page async for page in connector.read("orders")]
        await connector.write("create_order", {"partner": "P-1"}, idempotency_key="k-1")
    finally:
        await connector.aclose()
        await client.aclose()
    assert len(pages) == 3
    stats = calls.calls()
    assert set(stats) == {("fake-erp", "read:orders"), ("fake-erp", "write:create_order")}
    read = stats[("fake-erp", "read:orders")]
    assert read.count == 3 and read.total_seconds > 0
    assert read.buckets[-1] == 3  # every call is within the largest bucket
    assert stats[("fake-erp", "write:create_order")].count == 1
    assert calls.errors() == {}


async def test_failures_are_counted_by_kind_without_their_message(tmp_path: Path) -> None:
    calls = ConnectorCalls()
    api = rest_suite.FakeApi(2)
    api.broken = True  # answers 400 quoting the API key
    connector, client = await _connector(tmp_path, api, calls)
    try:
        with pytest.raises(PermanentError):
            [page async for page in connector.read("orders")]
        with pytest.raises(ConfigError):
            await connector.write("no_such_operation", {}, idempotency_key="k")
    finally:
        await connector.aclose()
        await client.aclose()
    assert calls.errors() == {("fake-erp", "permanent_error"): 1, ("fake-erp", "config_error"): 1}
    assert calls.calls()[("fake-erp", "read:orders")].count == 1
    assert rest_suite.API_KEY not in repr(calls.calls()) + repr(calls.errors())


class _Live:
    """A connector with the optional live-read capability, answering after no I/O."""

    name = "live-erp"

    async def fetch(self, stream: str, keys: list[str]) -> list[dict[str, Any]]:
        return [{"key": key} for key in keys]

    async def aclose(self) -> None:
        return None


async def test_optional_capabilities_are_passed_through_and_timed() -> None:
    calls = ConnectorCalls()
    wrapped: Any = instrument(_Live(), calls)  # type: ignore[arg-type]
    assert await wrapped.fetch("balances", ["C1", "C2"]) == [{"key": "C1"}, {"key": "C2"}]
    assert not hasattr(wrapped, "lookup")  # absent on the connector: absent on the wrapper
    assert calls.calls()[("live-erp", "fetch:balances")].count == 1
    assert instrument(wrapped, calls) is wrapped  # never wrapped twice


def test_bucket_counts_are_cumulative() -> None:
    calls = ConnectorCalls()
    for seconds in (0.001, 0.2, 7.0, 100.0):
        calls.record("erp", "read:x", seconds, None)
    stats = calls.calls()[("erp", "read:x")]
    assert stats.count == 4
    expected = [sum(1 for s in (0.001, 0.2, 7.0, 100.0) if s <= b) for b in CALL_BUCKETS]
    assert stats.buckets == expected
    assert stats.total_seconds == pytest.approx(107.201)
