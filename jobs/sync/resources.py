"""What a sync needs from its process: sessions, keys, audit, events and built connectors.

A read-only Protocol, so the worker's ``jobs.runtime.Resources`` (and a test's own bundle)
fits it without importing the runtime here.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.protocol import Connector
from jobs.connector_configs import StoredConfig
from security.audit import AuditLog
from security.field_crypto import FieldCrypto
from security.key_service import KeyService

__all__ = ["ConnectorSource", "EventSink", "SyncResources"]


class EventSink(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...


class ConnectorSource(Protocol):
    async def get(self, name: str) -> tuple[Connector, StoredConfig]: ...


class SyncResources(Protocol):
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def keys(self) -> KeyService: ...

    @property
    def crypto(self) -> FieldCrypto: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def events(self) -> EventSink: ...

    @property
    def connectors(self) -> ConnectorSource: ...
