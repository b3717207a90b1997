"""ConnectorCache: one connector per stored config, built once with the shared HTTP client,
rebuilt when the stored config changes, UnknownConnector for a missing or deleted one,
retired connectors closed after their grace period and on aclose (never the HTTP client)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.config import parse_config
from connectors.protocol import Connector
from connectors.registry import BUILTIN_KINDS, ConnectorResources
from connectors.rest.connector import RestConnector
from jobs.connector_cache import ConnectorCache
from jobs.connector_configs import apply_configs
from jobs.errors import UnknownConnector
from store.repositories.connectors import ConnectorRepository

REST = """
name: erp-rest
kind: rest
connection:
  base_url: http://127.0.0.1:9/api
  authenticator: {type: bearer, token: "tok-Ab12Cd34Ef56"}
streams:
  - name: products
    request: {path: /products}
    paginator: {type: offset, page_size: 50}
"""


class Built:
    """A counting ``rest`` factory that records which connectors were closed."""

    def __init__(self) -> None:
        self.connectors: list[Connector] = []
        self.closed: list[Connector] = []

    def __call__(self, config: Any, resources: ConnectorResources) -> Connector:
        connector = BUILTIN_KINDS["rest"](config, resources)
        assert isinstance(connector, RestConnector)
        original = connector.aclose

        async def aclose() -> None:
            self.closed.append(connector)
            await original()

        connector.aclose = aclose  # type: ignore[method-assign]
        self.connectors.append(connector)
        return connector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> Any:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


def _cache(app: Any, http: httpx.AsyncClient, tmp_path: Path, built: Built, **kw: Any) -> Any:
    return ConnectorCache(app.state.hub.fields, {"rest": built}, http, tmp_path / "cache", **kw)


async def test_built_once_with_the_shared_client(app: Any, http: Any, tmp_path: Path) -> None:
    await apply_configs(app.state.hub.fields, [parse_config(REST)])
    built = Built()
    cache = _cache(app, http, tmp_path, built)
    try:
        first, config = await cache.get("erp-rest")
        second, again = await cache.get("erp-rest")
        assert first is second and config == again == parse_config(REST)
        assert len(built.connectors) == 1
        assert isinstance(first, RestConnector) and first.requester._client is http
        assert cache.cached() == ["erp-rest"]
    finally:
        await cache.aclose()
    assert built.closed == built.connectors
    assert not http.is_closed  # the shared client belongs to its owner


async def test_concurrent_gets_build_once(app: Any, http: Any, tmp_path: Path) -> None:
    await apply_configs(app.state.hub.fields, [parse_config(REST)])
    built = Built()
    cache = _cache(app, http, tmp_path, built)
    try:
        results = await asyncio.gather(*(cache.get("erp-rest") for _ in range(10)))
        assert len({id(connector) for connector, _ in results}) == 1
        assert len(built.connectors) == 1
    finally:
        await cache.aclose()


async def test_rebuilt_when_the_stored_config_changes(app: Any, http: Any, tmp_path: Path) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST)])
    built, clock = Built(), Clock()
    cache = _cache(app, http, tmp_path, built, retire_grace_seconds=60, clock=clock)
    try:
        old, _ = await cache.get("erp-rest")
        changed = parse_config(REST.replace("page_size: 50", "page_size: 25"))
        await apply_configs(crypto, [changed])
        new, config = await cache.get("erp-rest")
        assert new is not old and config == changed
        assert len(built.connectors) == 2
        assert built.closed == []  # the old one may still be in use: not closed at once
        clock.now += 59
        assert (await cache.get("erp-rest"))[0] is new and built.closed == []
        clock.now += 2
        assert (await cache.get("erp-rest"))[0] is new
        assert built.closed == [old]
    finally:
        await cache.aclose()
    assert built.closed == [old, new]


async def test_a_new_secret_alone_rebuilds(app: Any, http: Any, tmp_path: Path) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST)])
    built = Built()
    cache = _cache(app, http, tmp_path, built)
    try:
        await cache.get("erp-rest")
        rotated = parse_config(REST.replace("tok-Ab12Cd34Ef56", "tok-Zz98Yy76Xx54"))
        await apply_configs(crypto, [rotated])
        _, config = await cache.get("erp-rest")
        assert config == rotated and len(built.connectors) == 2
    finally:
        await cache.aclose()


async def test_unknown_and_deleted_connectors(app: Any, http: Any, tmp_path: Path) -> None:
    crypto = app.state.hub.fields
    await apply_configs(crypto, [parse_config(REST)])
    built = Built()
    cache = _cache(app, http, tmp_path, built)
    try:
        with pytest.raises(UnknownConnector) as missing:
            await cache.get("nope")
        assert missing.value.name == "nope" and missing.value.kind == "config_error"
        connector, _ = await cache.get("erp-rest")
        async with app.state.hub.sessions.begin() as session:
            assert await ConnectorRepository(session, crypto).delete("erp-rest")
        with pytest.raises(UnknownConnector):
            await cache.get("erp-rest")
        assert cache.cached() == []
        # applied again (a new row): a new connector
        await apply_configs(crypto, [parse_config(REST)])
        again, _ = await cache.get("erp-rest")
        assert again is not connector and len(built.connectors) == 2
    finally:
        await cache.aclose()
    assert set(map(id, built.closed)) == set(map(id, built.connectors))


async def test_closed_cache_refuses(app: Any, http: Any, tmp_path: Path) -> None:
    cache = _cache(app, http, tmp_path, Built())
    await cache.aclose()
    await cache.aclose()  # twice is fine
    with pytest.raises(RuntimeError):
        await cache.get("erp-rest")
