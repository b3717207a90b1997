"""The demo ERP's REST/JSON finance service: OAuth2 client credentials and three collections.

    POST /oauth/token        grant_type=client_credentials (form); client id and secret by
                             HTTP basic or in the form → {access_token, token_type, expires_in}
    GET  /invoices           ?cursor=&limit=&updated_since=   (bearer token required)
    GET  /payments           ?cursor=&limit=&updated_since=
    GET  /credit-balances    ?customers=C1,C2,…  (many customers in one call, no paging)
                             or ?cursor=&limit=&updated_since=  (every customer, by code)
    POST /credit-notes       JSON {customer_code, currency, amount, reference, lines?} with an
                             Idempotency-Key header → 201 {id: "CN-000001", …}; the same key
                             again → 200 with the same credit note (nothing new is created)

A page is ``{"data": [...], "next_cursor": "..." | null}``; invoices and payments come in
``(updated_at, id)`` order, so a cursor survives changes and ``updated_since`` (inclusive)
reads incrementally. Money is a decimal string, times are UTC ISO 8601 with ``Z``. Errors are
``{"error", "error_description"}``: 400 for bad parameters, 401 for a missing, unknown or
expired token (and a ``WWW-Authenticate`` header), 503 with ``Retry-After`` during an outage.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from demo.erp.erp import DemoErp
from demo.erp.records import CreditBalance, Invoice, Payment, utc_text

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CUSTOMERS = 500
Document = Invoice | Payment | CreditBalance


class BadRequestError(ValueError):
    """A query parameter the service cannot use; answered with 400."""


def _error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status, headers=headers or None)


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


def _encode_cursor(position: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _decode_cursor(cursor: str) -> list[str]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequestError("cursor is not one this service handed out") from None
    if not isinstance(position, list) or not all(isinstance(p, str) for p in position):
        raise BadRequestError("cursor is not one this service handed out")
    return position


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    try:
        limit = DEFAULT_LIMIT if raw is None else int(raw)
    except ValueError:
        raise BadRequestError(f"limit must be an integer from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("updated_since")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequestError("updated_since must be an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page(
    request: Request, documents: Sequence[Document], key: Callable[[Any], list[str]]
) -> dict[str, Any]:
    """One page of ``documents`` in ``key`` order, after the request's cursor."""
    limit, since = _limit(request), _since(request)
    cursor = request.query_params.get("cursor")
    after = _decode_cursor(cursor) if cursor else None
    chosen = sorted(
        (d for d in documents if since is None or d.updated_at >= since),
        key=key,
    )
    if after is not None:
        chosen = [d for d in chosen if key(d) > after]
    page = chosen[:limit]
    more = len(chosen) > limit
    return {
        "data": [d.json() for d in page],
        "next_cursor": _encode_cursor(key(page[-1])) if more and page else None,
    }


def _by_time(document: Invoice | Payment) -> list[str]:
    return [utc_text(document.updated_at), document.id]


def _by_customer(balance: CreditBalance) -> list[str]:
    return [balance.customer_code]


class FinanceService:
    """The finance endpoints of one ``DemoErp``."""

    def __init__(self, erp: DemoErp) -> None:
        self.erp = erp

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/invoices", self._guarded(self.invoices), methods=["GET"]),
            Route("/payments", self._guarded(self.payments), methods=["GET"]),
            Route("/credit-balances", self._guarded(self.credit_balances), methods=["GET"]),
            Route("/credit-notes", self._guarded_post(self.credit_note), methods=["POST"]),
        ]

    def _unavailable(self) -> JSONResponse:
        return _error(503, "temporarily_unavailable", "the ERP is down", **{"Retry-After": "5"})

    async def token(self, request: Request) -> Response:
        if self.erp.unavailable:
            return self._unavailable()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _error(400, "invalid_request", "send the token request as a form")
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "only client_credentials is supported")
        credentials = _basic(request)
        if credentials is None and "client_id" in form:
            credentials = (form["client_id"], form.get("client_secret", ""))
        if credentials is None or not self.erp.client_ok(*credentials):
            return _error(
                401,
                "invalid_client",
                "unknown client or wrong secret",
                **{"WWW-Authenticate": 'Basic realm="demo-erp"'},
            )
        body = {
            "access_token": self.erp.issue_token(),
            "token_type": "Bearer",
            "expires_in": self.erp.token_ttl_seconds,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _guarded(self, endpoint: Callable[[Request], dict[str, Any]]) -> Callable[[Request], Any]:
        async def guarded(request: Request) -> Response:
            if self.erp.unavailable:
                return self._unavailable()
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            state = self.erp.token_state(token.strip()) if scheme.lower() == "bearer" else None
            if state != "valid":
                description = {
                    None: "a bearer token is required",
                    "unknown": "the access token is not valid",
                    "expired": "the access token expired",
                }[state]
                challenge = 'Bearer realm="demo-erp"'
                if state is not None:
                    challenge += f', error="invalid_token", error_description="{description}"'
                return _error(401, "invalid_token", description, **{"WWW-Authenticate": challenge})
            try:
                return JSONResponse(endpoint(request))
            except BadRequestError as problem:
                return _error(400, "invalid_request", str(problem))

        return guarded

    def _guarded_post(
        self, endpoint: Callable[[Request, Any], tuple[int, dict[str, Any]]]
    ) -> Callable[[Request], Any]:
        """A JSON POST behind the same bearer check as the reads."""

        async def guarded(request: Request) -> Response:
            if self.erp.unavailable:
                return self._unavailable()
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            state = self.erp.token_state(token.strip()) if scheme.lower() == "bearer" else None
            if state != "valid":
                return _error(401, "invalid_token", "a valid bearer token is required")
            try:
                body = json.loads(await request.body() or b"null")
            except ValueError:
                return _error(400, "invalid_request", "the body is not JSON")
            try:
                status, answer = endpoint(request, body)
            except BadRequestError as problem:
                return _error(400, "invalid_request", str(problem))
            return JSONResponse(answer, status)

        return guarded

    def credit_note(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        """Accept a credit note once per Idempotency-Key (see the module doc)."""
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            raise BadRequestError("an Idempotency-Key header is required")
        known = self.erp.credit_notes.get(key)
        if known is not None:
            return 200, known
        if not isinstance(body, dict):
            raise BadRequestError("send a JSON object")
        for name in ("customer_code", "currency", "amount", "reference"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise BadRequestError(f"{name} is required (a string)")
        try:
            amount = Decimal(body["amount"])
        except ArithmeticError:
            raise BadRequestError("amount must be a decimal string") from None
        if not amount.is_finite() or amount <= 0:
            raise BadRequestError("amount must be above 0")
        note = {
            "id": f"CN-{len(self.erp.credit_notes) + 1:06d}",
            "customer_code": body["customer_code"],
            "currency": body["currency"],
            "amount": str(amount),
            "reference": body["reference"],
            "lines": body.get("lines") if isinstance(body.get("lines"), list) else [],
            "created_at": utc_text(self.erp.utcnow()),
        }
        self.erp.credit_notes[key] = note
        return 201, note

    def invoices(self, request: Request) -> dict[str, Any]:
        return _page(request, self.erp.dataset.invoices, _by_time)

    def payments(self, request: Request) -> dict[str, Any]:
        return _page(request, self.erp.dataset.payments, _by_time)

    def credit_balances(self, request: Request) -> dict[str, Any]:
        wanted = request.query_params.get("customers")
        if wanted is None:
            return _page(request, self.erp.dataset.credit_balances(), _by_customer)
        codes = [code.strip() for code in wanted.split(",") if code.strip()]
        if not codes or len(codes) > MAX_CUSTOMERS:
            raise BadRequestError(f"customers must list 1 to {MAX_CUSTOMERS} customer codes")
        balances = self.erp.dataset.credit_balances(codes)
        return {"data": [b.json() for b in balances], "next_cursor": None}
