"""A third-party connector kind for the tests: ``memo`` reads and writes an in-memory remote.

Written the way an installed plugin is: a pydantic config model (``kind: Literal["memo"]``,
a ``SecretStr`` password, ``streams`` with ``mapping``/``live``, ``operations`` with
``trigger``), a connector implementing ``connectors.protocol.Connector`` and the
``ConnectorKind`` an entry point names. ``install(monkeypatch)`` makes the entry-point group
``channelhub.connectors`` hold it (and ``bare``: a plugin naming only a factory), as if a
package declared them; ``uninstall()`` forgets the cached kinds again.

A remote (``MemoRemote``) holds tables of records in insertion order; a stream's state is
the position read up to, so a read resumes after the last stored page. A refused login
raises an error that echoes the password, as a careless server does: the connector scrubs it.
"""

from __future__ import annotations

import importlib.metadata
import itertools
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import EntryPoint
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.errors import ConfigError, ConnectorError, PermanentError, scrub
from connectors.live_config import LiveField
from connectors.mapping_config import EntityMapping
from connectors.outbound import Trigger
from connectors.protocol import CheckResult, EndpointInfo, FieldInfo, JsonObject, Page, WriteResult
from connectors.registry import (
    ENTRY_POINT_GROUP,
    ConnectorKind,
    ConnectorResources,
    installed_kinds,
)

KIND = "memo"
MODULE = "tests.connectors.memo_plugin"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemoConnection(_Strict):
    remote: str = Field(min_length=1, description="Name of the in-memory remote.")
    user: str = Field(min_length=1, description="Login name.")
    password: SecretStr = Field(description="Login password (secret).")


class MemoStream(_Strict):
    name: str = Field(min_length=1)
    table: str = Field(min_length=1, description="The remote table read.")
    page_size: int = Field(default=2, ge=1)
    mapping: EntityMapping | None = None
    schedule: str | None = None
    live: LiveField | None = None


class MemoOperation(_Strict):
    name: str = Field(min_length=1)
    table: str = Field(min_length=1, description="The remote table written to.")
    trigger: Trigger | None = None


class MemoConfig(_Strict):
    """The ``memo`` kind's config."""

    name: str = Field(min_length=1)
    kind: Literal["memo"]
    connection: MemoConnection
    streams: list[MemoStream] = Field(default_factory=list)
    operations: list[MemoOperation] = Field(default_factory=list)


class MemoDenied(Exception):
    pass


class MemoRemote:
    """A remote system in memory, found by name (``MemoRemote.named``)."""

    remotes: dict[str, MemoRemote] = {}

    def __init__(self, name: str, user: str, password: str) -> None:
        self.name, self.user, self.password = name, user, password
        self.tables: dict[str, list[JsonObject]] = {}
        self.written: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self.logins = 0
        MemoRemote.remotes[name] = self

    @classmethod
    def named(cls, name: str) -> MemoRemote | None:
        return cls.remotes.get(name)

    def put(self, table: str, *records: JsonObject) -> int:
        self.tables.setdefault(table, []).extend(dict(r) for r in records)
        return len(records)

    def login(self, user: str, password: str) -> None:
        self.logins += 1
        if (user, password) != (self.user, self.password):
            raise MemoDenied(f"login refused for {user}:{password}")  # echoes the secret

    def write(self, table: str, record: Mapping[str, Any], key: str) -> str:
        if key not in self.written:
            self.written[key] = f"M-{next(self._numbers)}"
            self.put(table, {**record, "reference": self.written[key]})
        return self.written[key]


class MemoConnector:
    """``connectors.protocol.Connector`` over a ``MemoRemote``."""

    def __init__(self, config: MemoConfig, resources: ConnectorResources) -> None:
        self.name = config.name
        self.config = config
        self.resources = resources
        self.closed = 0

    def _secrets(self) -> list[str]:
        return [self.config.connection.password.get_secret_value()]

    def _remote(self) -> MemoRemote:
        connection = self.config.connection
        remote = MemoRemote.named(connection.remote)
        if remote is None:
            raise ConfigError(f"no memo remote {connection.remote!r}", connector=self.name)
        try:
            remote.login(connection.user, connection.password.get_secret_value())
        except MemoDenied as denied:
            message = scrub(f"the remote refused the login: {denied}", self._secrets())
            raise ConfigError(message, connector=self.name) from None
        return remote

    async def check(self) -> CheckResult:
        try:
            self._remote()
        except ConnectorError as error:
            return CheckResult(False, "credentials", str(error))
        return CheckResult(True)

    async def discover(self) -> list[EndpointInfo]:
        remote = self._remote()
        found: list[EndpointInfo] = []
        for stream in self.config.streams:
            sample = next(iter(remote.tables.get(stream.table, [])), {})
            fields = tuple(FieldInfo(key, type(value).__name__) for key, value in sample.items())
            found.append(EndpointInfo(stream.name, "stream", fields, f"table {stream.table}"))
        for operation in self.config.operations:
            found.append(EndpointInfo(operation.name, "operation", (), f"into {operation.table}"))
        return found

    async def read(
        self, stream: str, state: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Page]:
        config = next((s for s in self.config.streams if s.name == stream), None)
        if config is None:
            raise ConfigError(f"unknown stream {stream!r}", connector=self.name)
        rows = self._remote().tables.get(config.table, [])
        position = int((state or {}).get("position", 0))
        while True:
            page = rows[position : position + config.page_size]
            position += len(page)
            last = position >= len(rows)
            yield Page([dict(r) for r in page], {"position": position}, last=last)
            if last:
                return

    async def write(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult:
        config = next((o for o in self.config.operations if o.name == operation), None)
        if config is None:
            raise PermanentError(f"unknown operation {operation!r}", connector=self.name)
        reference = self._remote().write(config.table, record, idempotency_key)
        return WriteResult(reference)

    async def aclose(self) -> None:
        self.closed += 1


def memo_factory(config: MemoConfig, resources: ConnectorResources) -> MemoConnector:
    return MemoConnector(config, resources)


MEMO = ConnectorKind(KIND, MemoConfig, memo_factory)
"""What the ``memo`` entry point names."""


def entry_point(name: str, attribute: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{MODULE}:{attribute}", group=ENTRY_POINT_GROUP)


INSTALLED = (entry_point(KIND, "MEMO"), entry_point("bare", "memo_factory"))


def install(monkeypatch: pytest.MonkeyPatch, *entry_points: EntryPoint) -> None:
    """Make the plugin group hold ``entry_points`` (default: ``memo`` and ``bare``)."""
    chosen = list(entry_points or INSTALLED)

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return chosen if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    installed_kinds.cache_clear()


def uninstall() -> None:
    """Forget the cached kinds (call after the monkeypatch is undone)."""
    installed_kinds.cache_clear()


def memo_config(
    name: str = "memo-erp",
    *,
    remote: str = "memo-remote",
    password: str = "memo-pass-Jq8wZ2",
    mapping: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``memo`` config as data: a ``partners`` stream and a ``create_order`` operation."""
    stream: dict[str, Any] = {"name": "partners", "table": "customers", "page_size": 2}
    if mapping is not None:
        stream["mapping"] = mapping
    return {
        "name": name,
        "kind": KIND,
        "connection": {"remote": remote, "user": "hub", "password": password},
        "streams": [stream],
        "operations": [{"name": "create_order", "table": "orders", "trigger": "order.approved"}],
    }
