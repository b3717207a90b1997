"""The ASGI application: ``create_app(settings)`` wires routes, the graph and the lifespan.

Routes: ``/graphql`` (GraphQL over HTTP POST/GET, GraphiQL in a browser, WebSocket with the
``graphql-transport-ws`` protocol only), ``/healthz`` (process up), ``/readyz`` (database
reachable). The lifespan applies migrations for the embedded default and disposes the engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from schema import schema
from schema.context import Context
from schema.http import GraphQLHTTPView
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


class GraphQLApp(GraphQLHTTPView):
    """The GraphQL-over-HTTP view (``schema.http``) with our per-request context."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if hub.settings.graphiql else None,
            subscription_protocols=("graphql-transport-ws",),
            max_body_bytes=hub.settings.max_body_bytes,
        )
        self.hub = hub

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        return Context(
            settings=self.hub.settings,
            sessions=self.hub.sessions,
            scope=Scope.everything(),
            hub=self.hub,
            request=request,
            response=response,
        )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    engine = create_engine(settings)
    hub = Hub(settings=settings, engine=engine, sessions=create_sessionmaker(engine))
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

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if settings.should_auto_migrate:
            await upgrade(engine)
        yield {}
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
