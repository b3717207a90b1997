"""Connectors built once per process from their stored configs, and rebuilt when they change.

``ConnectorCache.get(name)`` answers the connector for a stored config and the config
itself (secrets opened: build with it, never show it). A connector is built once, through
the kind registry, with the process's one shared ``httpx.AsyncClient``, cache directory
(a SOAP connector's parsed WSDL is reused by every later call) and rate limits (``limits``,
owned and closed by the caller: a rebuilt connector keeps drawing from the same bucket).
Each ``get`` reads only the stored row's id and ``config_hash`` (one small query, nothing
decrypted) and rebuilds when either differs from what the cached connector was built from,
so ``channelhub connectors apply`` takes effect on the next call without a restart. A
missing or deleted connector raises ``jobs.errors.UnknownConnector``; a stored config that
no longer validates raises ``connectors.errors.ConfigError`` (both are config errors: not
retried).

A replaced connector may still be in use by a call that got it before the change, so it is
not closed at once: it is closed once it has been retired for ``retire_grace_seconds`` (on a
later ``get``) or by ``aclose``. ``aclose`` closes every connector built here, never the
shared HTTP client (its owner closes it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from connectors.limits import RateLimiterFactory
from connectors.protocol import Connector
from connectors.registry import ConnectorFactory, ConnectorResources, build_connector
from jobs.connector_configs import StoredConfig, stored_config
from jobs.errors import UnknownConnector
from security.field_crypto import FieldCrypto
from store.models.connector import ConnectorRow

__all__ = ["ConnectorCache"]

_Stamp = tuple[int, str]  # (row id, config_hash): a new id means deleted and applied again


@dataclass
class _Entry:
    stamp: _Stamp
    connector: Connector
    config: StoredConfig


class ConnectorCache:
    """One built connector per stored connector name, shared by every caller of a process."""

    def __init__(
        self,
        crypto: FieldCrypto,
        kinds: dict[str, ConnectorFactory],
        http: httpx.AsyncClient,
        cache_dir: Path,
        *,
        retire_grace_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        limits: RateLimiterFactory | None = None,
    ) -> None:
        self.crypto = crypto
        self.kinds = kinds
        self.resources = ConnectorResources(http=http, cache_dir=cache_dir, limits=limits)
        self.retire_grace_seconds = retire_grace_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._retired: list[tuple[float, Connector]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"ConnectorCache(connectors={sorted(self._entries)})"

    async def get(self, name: str) -> tuple[Connector, StoredConfig]:
        """The connector ``name`` and its config; raises ``UnknownConnector``."""
        if self._closed:
            raise RuntimeError("ConnectorCache is closed")
        await self._close_expired()
        stamp = await self._stamp(name)
        if stamp is None:
            self._retire(name)
            raise UnknownConnector(name)
        entry = self._entries.get(name)
        if entry is not None and entry.stamp == stamp:
            return entry.connector, entry.config
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            entry = self._entries.get(name)
            if entry is not None and entry.stamp == stamp:
                return entry.connector, entry.config  # built by a concurrent caller
            config = await stored_config(self.crypto, name)
            if config is None:
                self._retire(name)
                raise UnknownConnector(name)
            connector = build_connector(self.kinds, config, self.resources)
            self._retire(name)
            # the stamp read before loading: a change in between rebuilds on the next get
            self._entries[name] = _Entry(stamp, connector, config)
            return connector, config

    def cached(self) -> list[str]:
        """Names of the connectors built and current in this process."""
        return sorted(self._entries)

    async def aclose(self) -> None:
        """Close every connector built here (current and retired); safe to call twice."""
        self._closed = True
        connectors = [entry.connector for entry in self._entries.values()]
        connectors += [connector for _, connector in self._retired]
        self._entries.clear()
        self._retired.clear()
        for connector in connectors:
            await connector.aclose()

    async def _stamp(self, name: str) -> _Stamp | None:
        stmt = select(ConnectorRow.id, ConnectorRow.config_hash).where(ConnectorRow.name == name)
        async with self.crypto.keys.sessions() as session:
            row = (await session.execute(stmt)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def _retire(self, name: str) -> None:
        entry = self._entries.pop(name, None)
        if entry is not None:
            self._retired.append((self._clock(), entry.connector))

    async def _close_expired(self) -> None:
        if not self._retired:
            return
        limit = self._clock() - self.retire_grace_seconds
        expired = [connector for since, connector in self._retired if since <= limit]
        self._retired = [(since, c) for since, c in self._retired if since > limit]
        for connector in expired:
            await connector.aclose()
