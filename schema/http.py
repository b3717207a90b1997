"""GraphQL over HTTP the way the GraphQL-over-HTTP spec asks, on top of Strawberry's ASGI view.

What this adds to ``strawberry.asgi.GraphQL``:

- **Content negotiation.** The response media type comes from ``Accept``:
  ``application/graphql-response+json`` when the client names it, ``application/json`` for
  ``*/*``, ``application/*``, a missing header or when it is the client's preference;
  ``406`` when the client accepts neither. GraphiQL is served on ``GET`` without a ``query``
  only when the client prefers ``text/html`` (a browser); a ``GET`` with a ``query`` executes.
- **Status codes.** A request that is not a well-formed GraphQL-over-HTTP request (bad JSON,
  no ``query``, a parameter of the wrong type) gets ``400``; a ``POST`` that is not
  ``application/json`` gets ``415``; a mutation over ``GET`` gets ``405`` with ``Allow: POST``.
  A *request error* (the document does not parse or validate, variables do not coerce, the
  operation cannot be chosen) is answered without a ``data`` entry, with ``400`` under
  ``application/graphql-response+json`` and ``200`` under ``application/json``. A response
  that has ``data`` (even ``null`` after a field error) is always ``200``.
- **A body size limit.** ``Content-Length`` above the limit is refused with ``413`` before the
  body is read, and a streamed body is counted as it arrives and refused as soon as it
  passes the limit, so a large body is never held in memory.
- **Persisted queries.** A request may omit ``query`` when its ``extensions`` name a
  ``persistedQuery``; ``schema.persisted`` then looks the text up by hash (or refuses).
- **Authentication.** ``authenticate(request)`` runs after those checks and before execution;
  a subclass raises ``HTTPError(401)`` there for credentials that do not verify.

Every error this layer produces is a GraphQL-shaped JSON body:
``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.ides import GraphQL_IDE
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from schema.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"

ALLOWED_METHODS = ("GET", "POST")

# Where the view keeps the negotiated response media type for the rest of the request.
MEDIA_TYPE_SCOPE_KEY = "channelhub.graphql.media_type"

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class HTTPError(Exception):
    """A request refused at the HTTP level; becomes a GraphQL-shaped JSON error response."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self, media_type: str) -> Response:
        code = ERROR_CODES.get(self.status, "HTTP_ERROR")
        return JSONResponse(
            {"errors": [{"message": self.message, "extensions": {"code": code}}]},
            status_code=self.status,
            headers=self.headers,
            media_type=media_type,
        )


class BodyTooLargeError(HTTPError):
    """The request body is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        # The rest of the body stays unread, so the connection cannot be reused.
        super().__init__(
            413, f"The request body is larger than {limit} bytes.", {"Connection": "close"}
        )


# --- content negotiation -------------------------------------------------------------------


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header, e.g. ``application/*;q=0.8``."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range names ``media_type``: -1 no match, 0 ``*/*``, 1 ``a/*``, 2."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    for entry in header.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        main, slash, sub = media.lower().partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q))
    return ranges


def _quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """The q-value the most specific matching range gives ``media_type``, and that specificity."""
    best: tuple[int, float] = (-1, 0.0)
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best[0]:
            best = (specificity, media_range.q)
    return best[1], best[0]


def choose_media_type(accept: str | None, *, html: bool = False) -> str | None:
    """The response media type for ``accept``, or ``None`` when nothing offered is acceptable.

    Ties on q-value go to the more specifically named type. Between the two JSON types,
    ``application/graphql-response+json`` wins a tie only when it is named outright, so
    ``*/*`` and ``application/*`` get ``application/json`` (what older clients and the spec
    audit expect). With ``html`` set, ``text/html`` is a candidate too, but only wins when the
    client prefers it outright (a browser's navigation ``Accept``).
    """
    ranges = parse_accept(accept or "")
    if not ranges:
        return JSON
    scored: list[tuple[float, int, int, str]] = []
    for media_type in (GRAPHQL_RESPONSE_JSON, JSON, *((HTML,) if html else ())):
        q, specificity = _quality(ranges, media_type)
        if q <= 0:
            continue
        if media_type == GRAPHQL_RESPONSE_JSON:
            tie_break = 2 if specificity == 2 else 0
        else:
            tie_break = 1 if media_type == JSON else -1
        scored.append((q, specificity, tie_break, media_type))
    return max(scored)[3] if scored else None


# --- request checks and parameters ---------------------------------------------------------


def check_post_headers(headers: Headers, max_body_bytes: int) -> None:
    """Refuse a POST whose media type is not JSON (415) or whose declared size is too big."""
    content_type = headers.get("content-type", "")
    media_type, params = parse_content_type(content_type) if content_type else ("", {})
    if media_type.lower() != JSON:
        raise HTTPError(
            415,
            f"A GraphQL POST must have Content-Type: {JSON}; got {content_type or 'none'}.",
            {"Accept-Post": JSON},
        )
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPError(415, f"The request body must be UTF-8 encoded, not {charset}.")
    declared = headers.get("content-length")
    if declared is None:
        return
    try:
        size = int(declared)
    except ValueError:
        raise HTTPError(400, "The Content-Length header is not a number.") from None
    if size > max_body_bytes:
        raise BodyTooLargeError(max_body_bytes)


def limit_body(receive: Receive, max_bytes: int) -> Receive:
    """Wrap ``receive`` so that a body growing past ``max_bytes`` raises ``BodyTooLargeError``."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLargeError(max_bytes)
        return message

    return limited


def request_from_json_body(body: bytes) -> GraphQLRequestData:
    """The GraphQL request in a POST body; ``HTTPError(400)`` unless it is a JSON object."""
    if not body.strip():
        raise HTTPError(400, "The request body is empty; send a JSON object with a `query`.")
    try:
        params = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPError(400, "The request body is not valid JSON.") from None
    if isinstance(params, list):
        raise HTTPError(400, "Batched requests are not supported; send one JSON object.")
    if not isinstance(params, dict):
        raise HTTPError(400, "The request body must be a JSON object with a `query`.")
    return _request_data(params)


def request_from_query_string(query_params: Mapping[str, Any]) -> GraphQLRequestData:
    """The GraphQL request in a GET query string; ``variables``/``extensions`` are JSON."""
    params: dict[str, object] = {}
    for name in ("query", "operationName", "variables", "extensions"):
        value = query_params.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise HTTPError(400, f"The `{name}` parameter must be given once.")
        if name in ("variables", "extensions"):
            try:
                params[name] = json.loads(value)
            except (ValueError, RecursionError):
                raise HTTPError(400, f"The `{name}` parameter is not valid JSON.") from None
        else:
            params[name] = value
    return _request_data(params)


def _request_data(params: Mapping[str, object]) -> GraphQLRequestData:
    query = params.get("query")
    extensions = params.get("extensions")
    persisted = isinstance(extensions, dict) and "persistedQuery" in extensions
    if query is None or query == "":
        if not persisted:
            raise HTTPError(400, "The request has no `query`.")
        query = None  # the persisted-query extension (schema.persisted) looks it up by hash
    elif not isinstance(query, str):
        raise HTTPError(400, "The `query` parameter must be a string.")
    operation_name = params.get("operationName")
    if not isinstance(operation_name, str | None):
        raise HTTPError(400, "The `operationName` parameter must be a string or null.")
    variables = params.get("variables")
    if not isinstance(variables, dict | None):
        raise HTTPError(400, "The `variables` parameter must be an object or null.")
    if not isinstance(extensions, dict | None):
        raise HTTPError(400, "The `extensions` parameter must be an object or null.")
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions
    )


def is_request_error(result: ExecutionResult) -> bool:
    """True when the operation never ran: the document did not parse or validate, or the
    variables did not coerce. Such a response has no ``data`` entry; an error raised while
    executing always carries the ``path`` of its field."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


# --- the view ------------------------------------------------------------------------------


class GraphQLHTTPView(GraphQL[Context, None]):
    """Strawberry's ASGI view with the spec's negotiation, status codes and a body limit."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        max_body_bytes: int,
        graphql_ide: GraphQL_IDE | None,
        subscription_protocols: Sequence[str],
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=graphql_ide,
            subscription_protocols=subscription_protocols,
            multipart_uploads_enabled=False,
        )
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self.respond(Request(scope, limit_body(receive, self.max_body_bytes)))
        response.headers.add_vary_header("Accept")
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        """The response to one HTTP request: refusals first, then GraphiQL or execution."""
        media_type = choose_media_type(request.headers.get("accept"))
        try:
            if request.method not in ALLOWED_METHODS:
                raise HTTPError(
                    405,
                    "GraphQL is served over GET and POST only.",
                    {"Allow": ", ".join(ALLOWED_METHODS)},
                )
            if self.wants_graphiql(request):
                return await self.render_graphql_ide(request)
            if media_type is None:
                raise HTTPError(406, f"The response can be {GRAPHQL_RESPONSE_JSON} or {JSON} only.")
            if request.method == "POST":
                check_post_headers(request.headers, self.max_body_bytes)
            request.scope[MEDIA_TYPE_SCOPE_KEY] = media_type
            await self.authenticate(request)
            return await self.run(request)
        except HTTPError as error:
            return error.to_response(media_type or JSON)
        except HTTPException as error:  # raised by Strawberry itself
            return HTTPError(error.status_code, error.reason).to_response(media_type or JSON)

    async def authenticate(self, request: Request) -> None:
        """Hook run before executing: raise ``HTTPError(401)`` to refuse bad credentials."""

    def wants_graphiql(self, request: Request) -> bool:
        """A browser navigating to the endpoint: GET, no ``query``, ``text/html`` preferred."""
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and choose_media_type(request.headers.get("accept"), html=True) == HTML
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Never from inside ``run``: ``respond`` decides on GraphiQL before running."""
        return False

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            return request_from_query_string(request.query_params)
        return request_from_json_body(await request.get_body())

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = request.scope.get(MEDIA_TYPE_SCOPE_KEY, JSON)
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            result = await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError):
                kind = cause.operation_type.value.capitalize()
                raise HTTPError(
                    405, f"{kind}s must be sent with POST.", {"Allow": "POST"}
                ) from error
            if not isinstance(cause, CannotGetOperationTypeError):
                raise
            result = ExecutionResult(data=None, errors=[GraphQLError(error.reason)])
        if is_request_error(result) and sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            sub_response.status_code = 400
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type or JSON
        return response
