"""Live fields at query time: batched per request, cached with a TTL, never failing a query.

``LiveService`` is the process's part (on the app's ``Hub``): the catalog of live fields
(``resolvers.live_catalog``), the memory of values (``resolvers.live_cache``), the
``ConnectorCache`` and the clocks. ``LiveFields`` is one request's part: a DataLoader keyed by
(entity, field, row id). One batch groups its keys per live stream and, per stream:

1. answers the rows with a fresh cached value (no query, no remote call);
2. looks up the other rows' keys in one scoped query (external ids at the connector, or the
   natural key); a row without one answers ``not_linked``;
3. calls the connector's ``fetch`` once for all of them (the kind splits by ``batch_size``)
   within ``timeout_seconds``, maps the answers (exact Decimals as text), caches them for
   ``ttl_seconds`` and saves them to ``live_values`` as the last known values;
4. when the remote fails or times out, answers each row's last known value (memory, else
   ``live_values``) with ``stale: true`` and its ``fetched_at``, or no value, always with a
   classified ``LiveProblem`` whose message is fixed text (no URL, no secret, no remote
   text); the stream is not asked again during a short backoff.

Nothing here raises for a remote failure: only a field name no connector declares raises
``UnknownLiveField`` (the graph reports it on that field alone).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from connectors.errors import ConfigError, ConnectorError
from connectors.live import LiveReader, read_values
from connectors.protocol import JsonObject
from jobs.connector_cache import ConnectorCache
from jobs.errors import JobError, UnknownConnector
from resolvers.live_cache import CacheKey, Fresh, LiveValueCache
from resolvers.live_catalog import Catalog, LiveCatalog, LiveSource
from store.repositories.live_values import KnownValue, LiveValueRepository
from store.scope import Scope

__all__ = [
    "LiveErrorKind",
    "LiveFields",
    "LiveKey",
    "LiveProblem",
    "LiveResult",
    "LiveService",
    "UnknownLiveField",
]

log = logging.getLogger("channelhub.live")
LOG_DETAIL = 300  # characters of a failure's (scrubbed) message that reach the log

LiveKey = tuple[str, str, int]
"""(entity, field, row id)."""


class LiveErrorKind(StrEnum):
    TRANSIENT = "transient_error"
    TIMEOUT = "timeout"
    CONFIG = "config_error"
    PERMANENT = "permanent_error"
    RECORD = "record_error"
    NOT_LINKED = "not_linked"
    SYSTEM = "system_error"


@dataclass(frozen=True)
class LiveProblem:
    """Why a live field has no fresh value; ``message`` is safe to show to any viewer."""

    kind: LiveErrorKind
    message: str


@dataclass(frozen=True)
class LiveResult:
    """What a live field answers for one row."""

    entity: str
    field: str
    connector: str | None
    stream: str | None
    values: dict[str, Any] | None
    fetched_at: datetime | None
    stale: bool
    error: LiveProblem | None = None


class UnknownLiveField(Exception):
    """No stored connector declares this live field on this type."""

    def __init__(self, entity: str, field: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(f"{entity} has no live field {field!r} (known: {listed})")


_MESSAGES = {
    LiveErrorKind.TRANSIENT: "the ERP could not be reached or answered with a server error",
    LiveErrorKind.CONFIG: "the connector is misconfigured or its credentials were rejected",
    LiveErrorKind.PERMANENT: "the ERP refused the request or answered something unexpected",
    LiveErrorKind.SYSTEM: "the live value could not be fetched (unexpected error)",
}
_KINDS = {
    "transient_error": LiveErrorKind.TRANSIENT,
    "config_error": LiveErrorKind.CONFIG,
    "permanent_error": LiveErrorKind.PERMANENT,
    "record_error": LiveErrorKind.PERMANENT,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def classify(error: BaseException, source: LiveSource) -> LiveProblem:
    """A fixed, secret-free problem for a failed fetch (the details go to the log only)."""
    if isinstance(error, TimeoutError):
        seconds = f"{source.live.timeout_seconds:g}"
        return LiveProblem(LiveErrorKind.TIMEOUT, f"the ERP did not answer within {seconds} s")
    if isinstance(error, UnknownConnector):
        kind = LiveErrorKind.CONFIG
        return LiveProblem(kind, f"the connector {source.connector!r} no longer exists")
    if isinstance(error, ConnectorError):
        kind = _KINDS.get(error.kind, LiveErrorKind.SYSTEM)
    elif isinstance(error, JobError):
        kind = LiveErrorKind.CONFIG
    else:
        kind = LiveErrorKind.SYSTEM
    return LiveProblem(kind, _MESSAGES[kind])


class LiveService:
    """The process-wide part of live fields; ``for_request`` makes one request's loader."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connectors: ConnectorCache,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        failure_backoff_seconds: float = 5.0,
        max_entries: int = 100_000,
    ) -> None:
        self.sessions = sessions
        self.connectors = connectors
        self.clock = clock
        self.now = now
        self.failure_backoff_seconds = failure_backoff_seconds
        self.catalog = LiveCatalog(sessions)
        self.cache: LiveValueCache[LiveProblem] = LiveValueCache(max_entries)

    def for_request(self, sessions: async_sessionmaker[AsyncSession], scope: Scope) -> LiveFields:
        return LiveFields(self, sessions, scope)

    async def fetch(self, source: LiveSource, keys: list[str]) -> list[JsonObject]:
        """The records ``source`` answers for ``keys``, within its timeout; raises."""
        connector, config = await self.connectors.get(source.connector)
        if not isinstance(connector, LiveReader):
            raise ConfigError(f"the {config.kind!r} kind cannot read live streams")
        async with asyncio.timeout(source.live.timeout_seconds):
            return await connector.fetch(source.stream, keys)


class LiveFields:
    """One request's live fields: ``value``/``values`` go through one DataLoader."""

    def __init__(
        self, service: LiveService, sessions: async_sessionmaker[AsyncSession], scope: Scope
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.scope = scope
        self.loader: DataLoader[LiveKey, LiveResult | None] = DataLoader(load_fn=self._load)
        self._catalog: asyncio.Future[Catalog] | None = None

    def catalog(self) -> asyncio.Future[Catalog]:
        """The catalog, loaded once per request (every waiter wakes in the same step)."""
        if self._catalog is None:
            self._catalog = asyncio.ensure_future(self.service.catalog.load())
        return self._catalog

    async def names(self, entity: str) -> list[str]:
        """The live fields of ``entity``, by name."""
        return sorted(field for kind, field in await self.catalog() if kind == entity)

    async def sources(self, entity: str | None = None) -> list[LiveSource]:
        """Where each live field comes from (of ``entity``, or of every type), by name."""
        catalog = await self.catalog()
        found = [s for (kind, _), group in catalog.items() if entity in (None, kind) for s in group]
        return sorted(found, key=lambda s: (s.live.entity, s.live.field, s.connector))

    async def value(self, entity: str, field: str, row_id: int) -> LiveResult:
        """The live field ``field`` of one row; raises ``UnknownLiveField``."""
        found = await self.loader.load((entity, field, row_id))
        if found is None:
            raise UnknownLiveField(entity, field, await self.names(entity))
        return found

    async def values(self, entity: str, row_id: int) -> list[LiveResult]:
        """Every live field of one row, by field name."""
        names = await self.names(entity)
        found = await self.loader.load_many([(entity, name, row_id) for name in names])
        return [result for result in found if result is not None]

    async def _load(self, keys: Sequence[LiveKey]) -> list[LiveResult | None]:
        catalog = await self.catalog()
        results: dict[LiveKey, LiveResult | None] = {}
        groups: dict[tuple[str, str, str, str], tuple[LiveSource, list[int]]] = {}
        for entity, field, row_id in keys:
            sources = catalog.get((entity, field), ())
            if not sources:
                results[(entity, field, row_id)] = None
            elif len(sources) > 1:
                names = " and ".join(repr(s.connector) for s in sources)
                problem = LiveProblem(
                    LiveErrorKind.CONFIG, f"the field is declared by connectors {names}"
                )
                results[(entity, field, row_id)] = LiveResult(
                    entity, field, None, None, None, None, stale=False, error=problem
                )
            else:
                source = sources[0]
                group = groups.setdefault((*source.ident, entity, field), (source, []))
                group[1].append(row_id)
        await asyncio.gather(
            *(self._resolve(source, ids, results) for source, ids in groups.values())
        )
        return [results[key] for key in keys]

    def _result(
        self,
        source: LiveSource,
        value: KnownValue | None,
        *,
        fetched_at: datetime | None,
        stale: bool,
        error: LiveProblem | None = None,
    ) -> LiveResult:
        live = source.live
        values = None if value is None else value.values
        return LiveResult(
            live.entity,
            live.field,
            source.connector,
            source.stream,
            values,
            fetched_at,
            stale,
            error,
        )

    async def _resolve(
        self, source: LiveSource, ids: list[int], results: dict[LiveKey, LiveResult | None]
    ) -> None:
        service, live = self.service, source.live

        def key(row_id: int) -> CacheKey:
            return (source.connector, source.stream, live.entity, row_id)

        def answer(row_id: int, result: LiveResult) -> None:
            results[(live.entity, live.field, row_id)] = result

        missing: list[int] = []
        for row_id in dict.fromkeys(ids):
            fresh = service.cache.fresh(key(row_id), service.clock())
            if fresh is None:
                missing.append(row_id)
            else:
                answer(
                    row_id,
                    self._result(source, fresh.value, fetched_at=fresh.fetched_at, stale=False),
                )
        if not missing:
            return
        async with self.sessions() as session:
            repository = LiveValueRepository(session, self.scope)
            remote_keys = await repository.keys(
                connector=source.connector, entity=live.entity, key=live.key, ids=missing
            )
        problem = LiveProblem(
            LiveErrorKind.NOT_LINKED,
            f"this {live.entity} has no {live.key.replace('_', ' ')} at connector "
            f"{source.connector!r}",
        )
        for row_id in missing:
            if row_id not in remote_keys:
                answer(
                    row_id, self._result(source, None, fetched_at=None, stale=False, error=problem)
                )
        linked = [row_id for row_id in missing if row_id in remote_keys]
        if not linked:
            return
        failing = service.cache.failing(source.ident, service.clock())
        if failing is not None:
            await self._fall_back(source, linked, failing, answer)
            return
        try:
            records = await service.fetch(source, [remote_keys[row_id] for row_id in linked])
        except Exception as error:
            problem = classify(error, source)
            # connector and job errors are scrubbed of secrets; a long URL is cut short
            detail = str(error)[:LOG_DETAIL] if isinstance(error, ConnectorError | JobError) else ""
            log.warning(
                "live %s.%s from %s/%s failed: %s %s %s",
                live.entity, live.field, source.connector, source.stream,
                problem.kind, type(error).__name__, detail,
            )  # fmt: skip
            backoff = min(service.failure_backoff_seconds, live.ttl_seconds)
            if backoff > 0:
                service.cache.failed(source.ident, service.clock() + backoff, problem)
            await self._fall_back(source, linked, problem, answer)
            return
        service.cache.recovered(source.ident)
        await self._answer(source, linked, remote_keys, records, answer)

    async def _answer(
        self,
        source: LiveSource,
        linked: list[int],
        remote_keys: dict[int, str],
        records: list[JsonObject],
        answer: Callable[[int, LiveResult], None],
    ) -> None:
        service, live = self.service, source.live
        fetched_at = service.now()
        expires = service.clock() + live.ttl_seconds
        mapped = read_values(live, records, [remote_keys[row_id] for row_id in linked])
        saved: dict[int, KnownValue] = {}
        unreadable: dict[int, LiveProblem] = {}
        for row_id in linked:
            remote_key = remote_keys[row_id]
            cache_key = (source.connector, source.stream, live.entity, row_id)
            if remote_key in mapped.problems:
                reason = mapped.problems[remote_key]
                message = f"the ERP's record could not be read: {reason}"
                unreadable[row_id] = LiveProblem(LiveErrorKind.RECORD, message)
                continue
            value = None
            if remote_key in mapped.values:
                value = saved[row_id] = KnownValue(mapped.values[remote_key], fetched_at)
            service.cache.put(cache_key, Fresh(value, fetched_at, expires))
            answer(row_id, self._result(source, value, fetched_at=fetched_at, stale=False))
        for row_id, problem in unreadable.items():
            await self._fall_back(source, [row_id], problem, answer)
        if saved:
            await self._save(source, saved)

    async def _fall_back(
        self,
        source: LiveSource,
        ids: list[int],
        problem: LiveProblem,
        answer: Callable[[int, LiveResult], None],
    ) -> None:
        """Each row's last known value, stale, with ``problem``; no value when none is known."""
        live, cache = source.live, self.service.cache
        unknown: list[int] = []
        for row_id in ids:
            known = cache.last((source.connector, source.stream, live.entity, row_id))
            if known is None:
                unknown.append(row_id)
            else:
                answer(
                    row_id,
                    self._result(
                        source, known, fetched_at=known.fetched_at, stale=True, error=problem
                    ),
                )
        if not unknown:
            return
        async with self.sessions() as session:
            stored = await LiveValueRepository(session, self.scope).last_known(
                connector=source.connector, stream=source.stream, entity=live.entity, ids=unknown
            )
        for row_id in unknown:
            known = stored.get(row_id)
            if known is not None:
                cache.remember((source.connector, source.stream, live.entity, row_id), known)
            fetched_at = None if known is None else known.fetched_at
            answer(
                row_id,
                self._result(source, known, fetched_at=fetched_at, stale=True, error=problem),
            )

    async def _save(self, source: LiveSource, values: dict[int, KnownValue]) -> None:
        """Keep fresh values as the last known ones; a failure here only logs."""
        try:
            async with self.sessions.begin() as session:
                await LiveValueRepository(session, self.scope).save(
                    connector=source.connector,
                    stream=source.stream,
                    entity=source.live.entity,
                    values=values,
                )
        except Exception as error:
            log.warning(
                "live %s.%s: could not save last known values: %s",
                source.live.entity, source.live.field, type(error).__name__,
            )  # fmt: skip
