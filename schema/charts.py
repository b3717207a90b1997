"""Chart images over HTTP: ``GET /charts/trends.svg`` and ``GET /charts/ranking.svg``.

The same credential as ``/graphql`` (``Authorization: Bearer …`` or ``X-API-Key``, verified
and audited by ``security.authn.identify``) and the same scope: a chart shows exactly what
``salesTrends`` / ``partnerRanking`` answer that viewer. No credential or an invalid one:
401; a viewer that may not read the channel: 403; bad parameters: 400 with the reason.

Parameters (as the graph's arguments)::

    /charts/trends.svg?from=2026-01-01&to=2026-06-30[&region=<Region id>…][&byCategory=true]
    /charts/ranking.svg?from=2026-01-01&to=2026-03-31[&region=<Region id>][&first=20]

Interface::

    chart_routes(hub) -> list[Route]     # hub: settings, sessions, audit (app.Hub)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from resolvers import analytics as service
from resolvers.charts import SVG_CONTENT_TYPE, Line, ranking_svg, trends_svg
from schema.errors import ClientError
from schema.node import decode_typed_id
from security.authn import identify
from security.errors import AuthenticationError
from security.viewer import Permission, Viewer
from settings import Settings
from store.repositories.regions import RegionRepository
from store.scope import Scope

DEFAULT_RANKING_BARS = 30


class ChartHub(Protocol):
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    audit: Any


class ChartInputError(ClientError):
    """A chart parameter the caller must change."""


def _date(request: Request, name: str) -> date:
    given = request.query_params.get(name)
    if not given:
        raise ChartInputError(f"{name}: required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise ChartInputError(f"{name}: not a date (YYYY-MM-DD)") from None


def _first(request: Request) -> int:
    given = request.query_params.get("first")
    if given is None:
        return DEFAULT_RANKING_BARS
    try:
        return int(given)
    except ValueError:
        raise ChartInputError("first: not an integer") from None


async def _trends(hub: ChartHub, scope: Scope, request: Request) -> str:
    start, end = _date(request, "from"), _date(request, "to")
    region_ids = [decode_typed_id(r, "Region") for r in request.query_params.getlist("region")]
    by_category = request.query_params.get("byCategory", "false").lower() == "true"
    found = await service.sales_trends(
        hub.sessions, scope, start=start, end=end, region_ids=region_ids, by_category=by_category
    )
    async with hub.sessions() as session:
        regions = await RegionRepository(session, scope).by_ids(
            s.region_id for s in found if s.region_id is not None
        )
    lines = []
    for s in found:
        region = regions.get(s.region_id) if s.region_id is not None else None
        name = region.name if region is not None else "All"
        label = name if s.category is None else f"{name} / {s.category}"
        lines.append(Line(label, [(p.month, p.amount) for p in s.points]))
    return trends_svg(f"Sales by month, {start} to {end}", lines)


async def _ranking(hub: ChartHub, scope: Scope, request: Request) -> str:
    start, end = _date(request, "from"), _date(request, "to")
    region = request.query_params.get("region")
    region_id = None if region is None else decode_typed_id(region, "Region")
    found = await service.partner_ranking(
        hub.sessions, scope, start=start, end=end, region_id=region_id, limit=_first(request)
    )
    return ranking_svg(f"Partner contribution, {start} to {end}", found)


Render = Callable[[ChartHub, Scope, Request], Awaitable[str]]


def _endpoint(hub: ChartHub, render: Render) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            viewer: Viewer | None = await identify(
                request.headers, hub.settings, hub.sessions, hub.audit
            )
        except AuthenticationError as error:
            return PlainTextResponse(
                str(error), 401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        if viewer is None:
            return PlainTextResponse(
                "authentication required", 401, headers={"WWW-Authenticate": "Bearer"}
            )
        if not viewer.can(Permission.CHANNEL_READ):
            return PlainTextResponse("not allowed to read the channel", 403)
        try:
            svg = await render(hub, Scope.for_viewer(viewer), request)
        except (ClientError, service.AnalyticsInputError) as error:
            return PlainTextResponse(str(error), 400)
        return Response(svg, headers={"Content-Type": SVG_CONTENT_TYPE})

    return endpoint


def chart_routes(hub: ChartHub) -> list[Route]:
    return [
        Route("/charts/trends.svg", _endpoint(hub, _trends), methods=["GET"]),
        Route("/charts/ranking.svg", _endpoint(hub, _ranking), methods=["GET"]),
    ]
