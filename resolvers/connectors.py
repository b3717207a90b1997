"""Connector management for the graph: list, apply, delete, test, discover, preview.

Every service takes a ``Caller`` and requires ``connectors:manage`` before it reads or
writes anything (``Forbidden`` otherwise). Secrets are write-only: rows come back with their
public config only, and every message from a connector is scrubbed of its secrets.

Expected failures are ``MutationFailure`` (``InvalidInput``, ``NotFound``, ``Forbidden``);
a failing connector raises its classified ``ConnectorError`` (already scrubbed), which the
schema shows as ``ConnectorFailure``. ``preview`` reads and maps the first page of a stream,
resolving its references as a sync does (``jobs.preview``), and writes nothing. Connectors
built here wait on the hub's shared rate limits (``hub.limits``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from connectors.config import ConfigFileError, config_from_data
from connectors.errors import ConnectorError, scrub
from connectors.protocol import CheckResult, Connector, EndpointInfo
from connectors.secrets import secret_values
from jobs.connector_configs import apply_configs, stored_config, with_connector
from jobs.preview import map_preview
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import InvalidInput, NotFound
from security.viewer import Permission
from store.models.connector import ConnectorRow
from store.repositories.connectors import ConnectorRepository, UpsertOutcome

__all__ = [
    "AppliedConnector",
    "ConnectorFailed",
    "StreamPreview",
    "apply_connector",
    "check_connector",
    "delete_connector",
    "discover_connector",
    "get_connector",
    "list_connectors",
    "preview_stream",
]

T = TypeVar("T")


class ConnectorFailed(Exception):
    """A connector failed; ``kind`` is its classification, ``message`` has no secrets."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class AppliedConnector:
    row: ConnectorRow
    outcome: UpsertOutcome


@dataclass(frozen=True)
class StreamPreview:
    records: list[dict[str, Any]]
    rejected: list[tuple[int, str]]
    raw_count: int


def _require(caller: Caller, doing: str) -> None:
    caller.require(Permission.CONNECTORS_MANAGE, doing)


async def list_connectors(hub: Any, caller: Caller) -> list[ConnectorRow]:
    _require(caller, "list connectors")
    async with hub.sessions() as session:
        return list(await ConnectorRepository(session, hub.fields).list_all())


async def get_connector(hub: Any, caller: Caller, pk: int) -> ConnectorRow | None:
    _require(caller, "read connectors")
    async with hub.sessions() as session:
        return await ConnectorRepository(session, hub.fields).get_by_id(pk)


def _split_problem(line: str) -> tuple[str, str]:
    path, sep, message = line.partition(": ")
    if not sep or " " in path:
        return "config", line
    return path, message


async def apply_connector(hub: Any, caller: Caller, data: Any) -> AppliedConnector:
    """Create or update the connector named in ``data`` (a config as JSON data)."""
    _require(caller, "manage connectors")
    if not isinstance(data, Mapping):
        raise InvalidInput.one("config", "must be an object (a connector config)")
    try:
        config = config_from_data(dict(data), source="input.config")
    except ConfigFileError as invalid:
        raise InvalidInput([_split_problem(line) for line in invalid.errors]) from None
    [(outcome, name)] = await apply_configs(hub.fields, [config])
    async with hub.sessions() as session:
        row = await ConnectorRepository(session, hub.fields).get(name)
    if row is None:  # deleted concurrently, right after it was written
        raise NotFound("config.name", name, "connector")
    return AppliedConnector(row, outcome)


async def _row(hub: Any, pk: int, key: str) -> ConnectorRow:
    async with hub.sessions() as session:
        row = await ConnectorRepository(session, hub.fields).get_by_id(pk)
    if row is None:
        raise NotFound("id", key, "connector")
    return row


async def delete_connector(hub: Any, caller: Caller, pk: int, key: str) -> str:
    """Remove the connector; returns its name."""
    _require(caller, "manage connectors")
    async with hub.sessions.begin() as session:
        repository = ConnectorRepository(session, hub.fields)
        row = await repository.get_by_id(pk)
        if row is None or not await repository.delete(row.name):
            raise NotFound("id", key, "connector")
        return row.name


async def _on_connector(
    hub: Any, caller: Caller, pk: int, key: str, work: Callable[[Any, Connector], Awaitable[T]]
) -> tuple[T, list[str]]:
    """``work(config, connector)`` on the stored connector ``pk``, and its secrets."""
    _require(caller, "use connectors")
    row = await _row(hub, pk, key)
    secrets: list[str] = []
    try:
        config = await stored_config(hub.fields, row.name)
        if config is None:
            raise NotFound("id", key, "connector")
        secrets.extend(secret_values(config))
        cache_dir = hub.settings.data_dir / "cache"

        async def run(connector: Connector) -> T:
            return await work(config, connector)

        kinds = hub.connector_kinds
        result = await with_connector(kinds, cache_dir, config, run, limits=hub.limits)
    except ConnectorError as error:
        raise ConnectorFailed(scrub(str(error), secrets), error.kind) from None
    return result, secrets


async def check_connector(hub: Any, caller: Caller, pk: int, key: str) -> CheckResult:
    async def check(_config: Any, connector: Connector) -> CheckResult:
        return await connector.check()

    result, secrets = await _on_connector(hub, caller, pk, key, check)
    return CheckResult(result.ok, result.failed, scrub(result.message, secrets))


async def discover_connector(hub: Any, caller: Caller, pk: int, key: str) -> list[EndpointInfo]:
    async def discover(_config: Any, connector: Connector) -> list[EndpointInfo]:
        return await connector.discover()

    endpoints, _ = await _on_connector(hub, caller, pk, key, discover)
    return endpoints


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


async def preview_stream(hub: Any, caller: Caller, pk: int, key: str, stream: str) -> StreamPreview:
    """Read the first page of ``stream`` and map it; nothing is written.

    References resolve as in a sync (read-only, ``jobs.preview.map_preview``); one that does
    not rejects its record with the reason. A mapped record's ``pending`` (only when there
    is one) names the fields that refer to a record of this page not stored yet.
    """

    async def preview(config: Any, connector: Connector) -> StreamPreview:
        found = next((s for s in config.streams if s.name == stream), None)
        if found is None:
            raise InvalidInput.one("stream", f"the connector has no stream {stream!r}")
        mapping = getattr(found, "mapping", None)
        if mapping is None:
            raise InvalidInput.one("stream", f"the stream {stream!r} has no mapping")
        pages = connector.read(stream, None)
        try:
            page = await anext(pages, None)
        finally:
            close = getattr(pages, "aclose", None)
            if close is not None:
                await close()
        raw = [] if page is None else page.records
        mapped, rejected = await map_preview(hub.sessions, config.name, mapping, raw)
        records = [
            {
                "externalId": m.record.external_id,
                "entity": m.record.entity,
                "values": _jsonable(m.record.values),
                "lines": _jsonable(m.record.lines),
            }
            | ({"pending": m.pending} if m.pending else {})
            for m in mapped
        ]
        return StreamPreview(records, [(r.index, r.reason) for r in rejected], len(raw))

    result, secrets = await _on_connector(hub, caller, pk, key, preview)
    rejected = [(index, scrub(reason, secrets)) for index, reason in result.rejected]
    return StreamPreview(result.records, rejected, result.raw_count)
