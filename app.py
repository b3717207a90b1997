"""The ASGI application: ``create_app(settings)`` wires routes, the graph and the lifespan.

Routes: ``/graphql`` (GraphQL over HTTP POST/GET, GraphiQL in a browser, WebSocket with the
``graphql-transport-ws`` protocol only), ``/healthz`` (process up), ``/readyz`` (database
reachable), ``/schemas/connector.json`` (the JSON Schema of a connector config: public
documentation, no credential needed), ``/metrics`` (Prometheus text: job runs, records,
durations, queue depth, outbox backlog, connector calls; ``jobs.metrics``). The lifespan
applies migrations for the embedded default, runs the cron scheduler when
``embedded_scheduler`` is on (``jobs.scheduler``), runs a job worker in this process when
``settings.should_embed_worker`` (on for the in-process broker: ``jobs.worker``) and disposes
the engine. The job broker (``jobs.broker``: in-process, Redis or RabbitMQ) and the job-run
event transport (``jobs.events``) are built once here; the embedded worker shares both.

The connector registry (built-in kinds plus entry-point plugins) is loaded once in
``create_app``: a plugin that fails to load raises ``PluginLoadError`` naming it, and the
process does not start. The app shares one ``httpx.AsyncClient`` (explicit timeouts) and a
``ConnectorCache`` of connectors built from the stored configs; live fields
(``resolvers.live``) read through them. Connectors wait on the per-connector rate limits of
``jobs.ratelimit.RateLimits`` (one Redis bucket per connector shared with every worker, or
the process's own). The lifespan closes all three.

Each GraphQL request is authenticated before it runs (``security.authn``): no credential is
an anonymous viewer (no channel data), a bad one is a 401 and an ``auth.failed`` audit entry.
The viewer and its scope go into the per-request ``Context``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from connectors.config import json_schema
from connectors.registry import ConnectorFactory, load_registry
from jobs.broker import build_broker, close_broker
from jobs.connector_cache import ConnectorCache
from jobs.connector_calls import instrument_kinds
from jobs.events import InProcessEvents, RunEvents, build_events
from jobs.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from jobs.metrics import HubMetrics
from jobs.ratelimit import RateLimits
from jobs.scheduler import EmbeddedScheduler
from jobs.worker import EmbeddedWorker
from resolvers.live import LiveService
from schema import build_schema
from schema.charts import chart_routes
from schema.context import Context
from schema.http import GraphQLHTTPView, HTTPError
from security.audit import AuditLog
from security.authn import identify
from security.errors import AuthenticationError
from security.field_crypto import FieldCrypto
from security.key_service import KeyService, kek_from_settings
from security.viewer import Viewer
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.migrate import upgrade
from store.scope import Scope


@dataclass
class Hub:
    """Process-wide resources, built once and shared by every request."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    audit: AuditLog
    keys: KeyService
    fields: FieldCrypto
    connector_kinds: dict[str, ConnectorFactory] = field(default_factory=dict)
    http: httpx.AsyncClient = field(kw_only=True)
    connectors: ConnectorCache = field(kw_only=True)
    live: LiveService = field(kw_only=True)
    broker: dramatiq.Broker | None = field(default=None, kw_only=True)
    events: RunEvents = field(default_factory=InProcessEvents, kw_only=True)
    limits: RateLimits | None = field(default=None, kw_only=True)

    async def aclose(self) -> None:
        """Close the connectors built by this process, the shared HTTP client, the limits."""
        try:
            await self.connectors.aclose()
        finally:
            try:
                await self.http.aclose()
            finally:
                if self.limits is not None:
                    await self.limits.aclose()


VIEWER_SCOPE_KEY = "channelhub.viewer"
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # a connector sets its own per request


def unauthenticated(error: AuthenticationError) -> HTTPError:
    """The 401 for credentials that do not verify (RFC 6750 ``invalid_token``)."""
    return HTTPError(401, str(error), {"WWW-Authenticate": 'Bearer error="invalid_token"'})


class GraphQLApp(GraphQLHTTPView):
    """The GraphQL-over-HTTP view (``schema.http``) with our per-request context."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(
            build_schema(hub.settings),
            graphql_ide="graphiql" if hub.settings.graphiql else None,
            subscription_protocols=("graphql-transport-ws",),
            max_body_bytes=hub.settings.max_body_bytes,
        )
        self.hub = hub

    async def identify(self, headers: Any) -> Viewer | None:
        hub = self.hub
        return await identify(headers, hub.settings, hub.sessions, hub.audit)

    async def authenticate(self, request: Request) -> None:
        """Verify the request's credential before it runs; 401 (audited) when it is invalid."""
        try:
            request.scope[VIEWER_SCOPE_KEY] = await self.identify(request.headers)
        except AuthenticationError as error:
            raise unauthenticated(error) from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        viewer: Viewer | None = request.scope.get(VIEWER_SCOPE_KEY)
        return Context(
            settings=self.hub.settings,
            sessions=self.hub.sessions,
            scope=Scope.for_viewer(viewer),
            viewer=viewer,
            hub=self.hub,
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """A WebSocket authenticates in ``connection_init``: its payload's ``Authorization``
        (or ``X-API-Key``), else the handshake's headers; a bad credential closes it (4403)."""
        params = {str(k).lower(): v for k, v in (context.connection_params or {}).items()}
        given = {k: str(params[k]) for k in ("authorization", "x-api-key") if k in params}
        try:
            viewer = await self.identify(given or context.request.headers)
        except AuthenticationError as error:
            raise ConnectionRejectionError({"message": str(error)}) from None
        context.set_viewer(viewer)
        return UnsetType()


async def _logged(work: Awaitable[object]) -> None:
    """Run a start-up task; its failure is logged, never raised into the server."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        logging.getLogger(__name__).exception("a start-up task failed")


def create_app(
    settings: Settings | None = None,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    startup: Sequence[Callable[[Hub], Awaitable[object]]] = (),
) -> Starlette:
    """The hub's ASGI app. ``extra_routes`` are served beside ours (the demo ERP);
    each ``startup(hub)`` runs as a task once the workers and scheduler are up (cancelled at
    shutdown if still going), e.g. a first sync that needs this server to answer."""
    settings = settings or Settings()
    # a broken plugin stops start-up here (PluginLoadError); every connector built from the
    # registry has its calls timed for /metrics (jobs.connector_calls)
    connector_kinds = instrument_kinds(load_registry())
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    keys = KeyService(sessions, lambda: kek_from_settings(settings))  # KEK built on first use
    audit = AuditLog(sessions, lambda: keys.named_secret("audit"))
    fields = FieldCrypto(keys, index_bits=settings.blind_index_bits)
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    limits = RateLimits(settings)  # the embedded worker builds its own on its loop
    cache_dir = settings.data_dir / "cache"
    connectors = ConnectorCache(fields, connector_kinds, http, cache_dir, limits=limits)
    events = build_events(settings)
    # in-process events are shared with the embedded worker; Redis and PostgreSQL transports
    # belong to one event loop, so the worker builds its own on its loop
    shared_events = events if isinstance(events, InProcessEvents) else None
    broker = build_broker(settings, events=shared_events)  # installed: jobs.dispatch sends on it
    hub = Hub(
        settings,
        engine,
        sessions,
        audit=audit,
        keys=keys,
        fields=fields,
        connector_kinds=connector_kinds,
        http=http,
        connectors=connectors,
        live=LiveService(sessions, connectors),
        broker=broker,
        events=events,
        limits=limits,
    )
    graphql = GraphQLApp(hub)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "reachable"})

    async def connector_schema(_request: Request) -> Response:
        return JSONResponse(json_schema())

    metrics = HubMetrics(sessions, broker=lambda: hub.broker)

    async def metrics_text(_request: Request) -> Response:
        return Response(await metrics.render(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if settings.should_auto_migrate:
            await upgrade(engine)
        worker = EmbeddedWorker(broker, settings) if settings.should_embed_worker else None
        if worker is not None:
            await asyncio.to_thread(worker.start)  # its resources open on its own loop
        scheduler = EmbeddedScheduler(sessions, settings) if settings.embedded_scheduler else None
        if scheduler is not None:
            scheduler.start()  # cron schedules: each due run claimed once across schedulers
        tasks = [asyncio.create_task(_logged(job(hub))) for job in startup]
        yield {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if scheduler is not None:
            await scheduler.stop()
        if worker is not None:
            await asyncio.to_thread(worker.stop)  # running jobs finish (bounded), then it ends
        close_broker(broker)
        close_events = getattr(events, "aclose", None)
        if close_events is not None:
            await close_events()
        await hub.aclose()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/schemas/connector.json", connector_schema, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
            *chart_routes(hub),
            *extra_routes,
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
