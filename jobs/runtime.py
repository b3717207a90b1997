"""What a job needs, built once per worker process: ``Resources`` and its middleware.

``open_resources(settings)`` builds the engine and sessions, key service, field crypto, audit
log, connector kinds (instrumented for ``/metrics``), one shared ``httpx.AsyncClient``, the
per-connector rate limits (``jobs.ratelimit.RateLimits``: shared by every worker on Redis),
the run-event transport and the ``ConnectorCache``; ``close_resources`` releases them.
``current_resources()`` is this worker process's set, for actors.

``ResourcesMiddleware`` builds them when a dramatiq worker boots — on the AsyncIO event-loop
thread, because the engine's connections and the HTTP client belong to the loop that runs
the actors — and closes them when it has shut down. It builds them in ``before_worker_boot``
(after the AsyncIO middleware has started the loop): worker threads start taking messages
before ``after_worker_boot``, and none may run without its resources. A set that cannot be
built stops the worker from starting (``ResourcesUnavailable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors.registry import ConnectorFactory, load_registry
from jobs.connector_cache import ConnectorCache
from jobs.connector_calls import instrument_kinds
from jobs.events import RunEvents, build_events
from jobs.ratelimit import RateLimits
from security.audit import AuditLog
from security.field_crypto import FieldCrypto
from security.key_service import KeyService, kek_from_settings
from settings import Settings
from store.engine import create_engine, create_sessionmaker

if TYPE_CHECKING:
    import dramatiq

__all__ = [
    "Resources",
    "ResourcesMiddleware",
    "ResourcesUnavailable",
    "close_resources",
    "current_resources",
    "open_resources",
    "run_on_worker_loop",
]

log = logging.getLogger("channelhub.worker")

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass
class Resources:
    """Everything a job uses, shared by every job of one worker process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keys: KeyService
    crypto: FieldCrypto
    audit: AuditLog
    connector_kinds: dict[str, ConnectorFactory]
    http: httpx.AsyncClient
    events: RunEvents
    connectors: ConnectorCache
    limits: RateLimits | None = None
    """The connectors' rate limits (None only for sets built by hand: connectors then limit
    themselves); closed by ``close_resources``."""


async def open_resources(settings: Settings, *, events: RunEvents | None = None) -> Resources:
    """Build a worker's resources on the running loop; ``events`` shares a transport (the
    server's in-process events with its embedded worker) instead of building one."""
    kinds = instrument_kinds(load_registry())  # a broken plugin stops here (PluginLoadError)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    keys = KeyService(sessions, lambda: kek_from_settings(settings))
    crypto = FieldCrypto(keys, index_bits=settings.blind_index_bits)
    audit = AuditLog(sessions, lambda: keys.named_secret("audit"))
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    limits = RateLimits(settings)
    cache = ConnectorCache(crypto, kinds, http, settings.data_dir / "cache", limits=limits)
    return Resources(
        settings=settings,
        engine=engine,
        sessions=sessions,
        keys=keys,
        crypto=crypto,
        audit=audit,
        connector_kinds=kinds,
        http=http,
        events=events if events is not None else build_events(settings),
        connectors=cache,
        limits=limits,
    )


async def close_resources(resources: Resources, *, keep_events: bool = False) -> None:
    """Close connectors, the HTTP client, the rate limits, the event transport (unless shared)
    and the engine, in that order; each is closed even when one before it fails."""
    async with contextlib.AsyncExitStack() as stack:  # callbacks run last-pushed first
        stack.push_async_callback(resources.engine.dispose)
        close = getattr(resources.events, "aclose", None)
        if close is not None and not keep_events:
            stack.push_async_callback(close)
        if resources.limits is not None:
            stack.push_async_callback(resources.limits.aclose)
        stack.push_async_callback(resources.http.aclose)
        stack.push_async_callback(resources.connectors.aclose)


_lock = threading.Lock()
_current: Resources | None = None


def current_resources() -> Resources:
    """This worker process's resources (inside an actor or a worker middleware)."""
    resources = _current
    if resources is None:
        raise RuntimeError(
            "no job resources in this process: jobs run inside a dramatiq worker built by "
            "jobs.broker.build_broker (its ResourcesMiddleware opens them at boot)"
        )
    return resources


def run_on_worker_loop(coroutine: Any) -> Any:
    """Run ``coroutine`` on the worker's event-loop thread and wait for its result."""
    thread = get_event_loop_thread()
    if thread is None:
        coroutine.close()
        raise RuntimeError("no worker event loop: add the AsyncIO middleware")
    return thread.run_coroutine(coroutine)


class ResourcesUnavailable(MiddlewareError):
    """A worker's resources could not be built: the worker does not start."""


class ResourcesMiddleware(Middleware):
    """Opens this process's ``Resources`` when the worker boots, closes them at shutdown."""

    def __init__(self, settings: Settings, *, events: RunEvents | None = None) -> None:
        self.settings = settings
        self.events = events

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        global _current
        try:
            resources = run_on_worker_loop(open_resources(self.settings, events=self.events))
        except Exception as error:
            raise ResourcesUnavailable(f"job resources not built: {error}") from error
        with _lock:
            _current = resources

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        global _current
        with _lock:
            resources, _current = _current, None
        if resources is None:
            return
        if any(thread.is_alive() for thread in worker.workers):
            # a job outlived the shutdown timeout: leave its resources to the exiting process
            log.warning("jobs still running at shutdown: their messages return to the queue")
            return
        run_on_worker_loop(self._close(resources))

    async def _close(self, resources: Resources) -> None:
        current = asyncio.current_task()
        stray = [task for task in asyncio.all_tasks() if task is not current]
        for task in stray:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*stray, return_exceptions=True)
        await close_resources(resources, keep_events=self.events is not None)
