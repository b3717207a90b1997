"""Helpers of the sync tests: an in-memory ERP behind ``httpx.MockTransport``, REST connector
configs for it, and ``sync_env`` — job resources whose connectors talk to that ERP.

The ERP serves ``GET /api/<stream>?limit=N[&cursor=OFFSET][&updated_since=ISO]``: the records
of the stream ordered by (``updated_at``, ``id``), those changed at or after
``updated_since`` only, as ``{"data": [...], "next": OFFSET | null}``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import event, func, select

from connectors.config import config_from_data
from connectors.registry import load_registry
from jobs.connector_cache import ConnectorCache
from jobs.connector_configs import apply_configs
from jobs.runs import create_run, get_run
from jobs.runtime import Resources, close_resources
from jobs.sync import run_sync
from security.audit import AuditLog
from security.field_crypto import FieldCrypto
from security.key_service import KeyService, kek_from_settings
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import ExternalRef, JobRun, SyncState

BASE_URL = "http://erp.test/api"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def at(minutes: int) -> str:
    """An ``updated_at`` value: ``minutes`` after 2025-01-01T00:00Z, ISO 8601."""
    return (EPOCH + timedelta(minutes=minutes)).isoformat()


class ErpStub:
    """Streams of records held in memory and served page by page."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[httpx.Request] = []
        self.served: list[tuple[str, int]] = []
        self.before_answer: Callable[[httpx.Request], Any] | None = None
        """Called first with each request: a response (or an awaitable of one) replaces the
        answer; None lets the stub answer."""

    def put(self, stream: str, *records: dict[str, Any]) -> None:
        table = self.tables.setdefault(stream, {})
        for record in records:
            table[str(record["id"])] = dict(record)

    def remove(self, stream: str, record_id: str) -> None:
        del self.tables[stream][record_id]

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return sorted(
            self.tables.get(stream, {}).values(), key=lambda r: (r["updated_at"], str(r["id"]))
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.before_answer is not None:
            answer = self.before_answer(request)
            if inspect.isawaitable(answer):
                answer = await answer
            if answer is not None:
                return cast(httpx.Response, answer)
        stream = request.url.path.removeprefix("/api/")
        if stream not in self.tables:
            return httpx.Response(404, json={"error": "no such stream"})
        params = request.url.params
        rows = self.rows(stream)
        since = params.get("updated_since")
        if since:
            moment = datetime.fromisoformat(since)
            rows = [r for r in rows if datetime.fromisoformat(r["updated_at"]) >= moment]
        offset = int(params.get("cursor") or 0)
        limit = int(params["limit"])
        page = rows[offset : offset + limit]
        following = offset + limit if offset + limit < len(rows) else None
        self.served.append((stream, len(page)))
        return httpx.Response(200, json={"data": page, "next": following})


def stream_config(
    name: str, mapping: dict[str, Any], *, page_size: int = 3, incremental: bool = True
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": name,
        "request": {"path": name, "params": {"limit": page_size}},
        "record_selector": "data",
        "paginator": {"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"},
        "mapping": mapping,
    }
    if incremental:
        config["incremental"] = {"cursor_field": "updated_at", "request_param": "updated_since"}
    return config


def connector_config(streams: Sequence[dict[str, Any]], name: str = "erp") -> dict[str, Any]:
    return {
        "name": name,
        "kind": "rest",
        "connection": {
            "base_url": BASE_URL,
            "authenticator": {"type": "bearer", "token": "erp-secret-token-123"},
            "rate_limit": {"requests_per_second": 100000, "burst": 1000},
            "retries": {"max_attempts": 1},
        },
        "streams": list(streams),
    }


PRODUCT_MAPPING: dict[str, Any] = {
    "entity": "product",
    "external_id": "id",
    "fields": {
        "sku": {"source": "sku", "required": True},
        "name": {"source": "name", "required": True},
        "category": {"source": "category", "default": "General"},
        "list_price": {"source": "price", "cast": "decimal", "required": True},
    },
}

PARTNER_MAPPING: dict[str, Any] = {
    "entity": "partner",
    "external_id": "id",
    "fields": {
        "code": {"source": "code", "required": True},
        "name": {"source": "name", "required": True},
        "type": {"source": "kind", "value_map": {"D": "DEALER", "S": "DISTRIBUTOR"}},
        "credit_limit": {"source": "credit", "cast": "decimal"},
    },
}


def product(n: int, *, minute: int | None = None, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"P{n:04d}",
        "sku": f"SKU-{n:04d}",
        "name": f"Product {n}",
        "price": f"{n}.50",
        "updated_at": at(n if minute is None else minute),
    }
    record.update(changes)
    return record


@dataclass
class RecordingEvents:
    events: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        raise NotImplementedError


@dataclass
class SyncEnv:
    resources: Resources
    erp: ErpStub
    events: RecordingEvents
    last_error: BaseException | None = None

    @property
    def sessions(self) -> Any:
        return self.resources.sessions

    async def apply(self, config: dict[str, Any]) -> None:
        await apply_configs(self.resources.crypto, [config_from_data(config, source="test")])

    async def new_run(
        self, stream: str | None, connector: str = "erp", mode: str | None = None
    ) -> int:
        async with self.sessions.begin() as session:
            run = await create_run(
                session, kind="sync", connector=connector, stream=stream, mode=mode
            )
            return run.id

    async def run(self, stream: str | None, connector: str = "erp", **options: Any) -> JobRun:
        """Create a run and run it in-process (no retries); the final run row."""
        mode = options.pop("mode", None)
        run_id = await self.new_run(stream, connector, mode)
        self.last_error = None
        try:
            await run_sync(self.resources, run_id, will_retry=False, **options)
        except Exception as error:
            self.last_error = error
        return await self.load_run(run_id)

    async def load_run(self, run_id: int) -> JobRun:
        async with self.sessions() as session:
            run = await get_run(session, run_id)
        assert run is not None
        return run

    async def rows(self, model: Any, *columns: Any) -> list[Any]:
        async with self.sessions() as session:
            stmt = select(*columns) if columns else select(model)
            result = await session.execute(stmt.order_by(*(columns or (model.id,))))
            return list(result.all() if columns else result.scalars().all())

    async def count(self, model: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def refs(self, entity: str, connector: str = "erp") -> dict[str, ExternalRef]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ExternalRef).where(
                    ExternalRef.connector == connector, ExternalRef.entity == entity
                )
            )
            return {row.external_id: row for row in rows}

    async def state(self, stream: str, connector: str = "erp") -> SyncState | None:
        async with self.sessions() as session:
            found: SyncState | None = (
                await session.scalars(
                    select(SyncState).where(
                        SyncState.connector == connector, SyncState.stream == stream
                    )
                )
            ).first()
            return found


@asynccontextmanager
async def sync_env(settings: Settings, erp: ErpStub | None = None) -> AsyncIterator[SyncEnv]:
    """Job resources on the test database whose connectors reach ``erp`` (no sockets)."""
    erp = erp or ErpStub()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    keys = KeyService(sessions, lambda: kek_from_settings(settings))
    crypto = FieldCrypto(keys, index_bits=settings.blind_index_bits)
    audit = AuditLog(sessions, lambda: keys.named_secret("audit"))
    http = httpx.AsyncClient(transport=httpx.MockTransport(erp.handle))
    kinds = load_registry()
    events = RecordingEvents()
    resources = Resources(
        settings=settings,
        engine=engine,
        sessions=sessions,
        keys=keys,
        crypto=crypto,
        audit=audit,
        connector_kinds=kinds,
        http=http,
        events=events,
        connectors=ConnectorCache(crypto, kinds, http, settings.data_dir / "cache"),
    )
    try:
        yield SyncEnv(resources, erp, events)
    finally:
        await close_resources(resources)


class CommitFails:
    """Makes the commit of the ``nth`` page (the ``nth`` transaction saving a page's state) fail."""

    def __init__(self, env: SyncEnv, nth: int) -> None:
        self.engine = env.resources.engine.sync_engine
        self.nth = nth
        self.seen = 0

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = statement.lstrip().upper()
        if text.startswith("UPDATE SYNC_STATES") and "LAST_RUN_ID" in text:  # a page's save
            conn.info["saves_state"] = True

    def _commit(self, conn: Any) -> None:
        if conn.info.pop("saves_state", False):
            self.seen += 1
            if self.seen == self.nth:
                raise ConnectionError("injected: the database went away during COMMIT")

    def __enter__(self) -> CommitFails:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


def fail_request(erp: ErpStub, nth: int) -> None:
    """The ``nth`` request to the ERP answers 503 (once)."""
    count = {"n": 0}

    def answer(_request: httpx.Request) -> httpx.Response | None:
        count["n"] += 1
        return httpx.Response(503, json={"error": "down"}) if count["n"] == nth else None

    erp.before_answer = answer
