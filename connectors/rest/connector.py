"""``RestConnector``: the ``rest`` kind of ``connectors.protocol.Connector``.

Built from a validated ``RestConnectorConfig`` and the process's shared ``httpx.AsyncClient``
(which it never closes), and the process's rate limits when given (``limits``: the bucket
of this connector's name, shared with every other connector of that name; else its own
bucket). ``read`` yields one ``Page`` per response with the state to save:
``cursor`` (the largest incremental cursor seen), and while a read is unfinished ``position``
(the paginator's next page) and ``run_cursor`` (the cursor this run started from). Clock,
wall clock and sleep are injected so tests never wait. Errors are classified and scrubbed.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import jmespath

from connectors.errors import ConfigError, MappingError, PermanentError, RetriableError
from connectors.limits import RateLimiterFactory
from connectors.live import fetch_batches
from connectors.protocol import (
    CheckResult,
    EndpointInfo,
    FieldInfo,
    JsonObject,
    Page,
    WriteResult,
)
from connectors.rest.auth import build_auth
from connectors.rest.config import RestConnectorConfig, RestOperation, RestStream
from connectors.rest.lookup import find_written
from connectors.rest.openapi import endpoints_from_openapi
from connectors.rest.paginators import build_paginator
from connectors.rest.records import Incremental, decode_json, select_records
from connectors.rest.requester import Requester

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RestConnector:
    def __init__(
        self,
        config: RestConnectorConfig,
        client: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        limits: RateLimiterFactory | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        self.auth = build_auth(config.connection.authenticator, clock=clock, connector=self.name)
        rate = config.connection.rate_limit
        bucket = limits.bucket(self.name, rate.requests_per_second, rate.burst) if limits else None
        self.requester = Requester(
            config.name,
            config.connection,
            client,
            self.auth,
            sleep=sleep,
            clock=clock,
            now=now,
            bucket=bucket,
        )

    def _stream(self, name: str) -> RestStream:
        stream = self.config.stream(name)
        if stream is None:
            raise self.requester.config_error(f"unknown stream {name!r}")
        return stream

    def _operation(self, name: str) -> RestOperation:
        operation = self.config.operation(name)
        if operation is None:
            raise self.requester.config_error(f"unknown operation {name!r}")
        return operation

    async def _fetch(
        self, stream: RestStream, position: JsonObject, cursor: Any, *, max_attempts: int | None
    ) -> tuple[httpx.Response, Any, list[JsonObject]]:
        requester, paginator = (
            self.requester,
            build_paginator(stream.paginator, self.auth.query_params()),
        )
        url = paginator.url(position)
        params: dict[str, Any] = {}
        if url is None:
            url = requester.url(stream.request.path)
            params = dict(stream.request.params)
            if stream.incremental is not None:
                params |= Incremental(stream.incremental).params(cursor)
        params |= paginator.params(position)
        what = f"stream {stream.name!r}"
        response = await requester.send(
            stream.request.method,
            url,
            what=what,
            params=params,
            headers=dict(stream.request.headers),
            max_attempts=max_attempts,
        )
        try:
            body = decode_json(response)
            records = select_records(jmespath.compile(stream.record_selector), body)
        except ValueError as exc:
            raise requester.permanent_error(f"{what}: {response.request.url}: {exc}") from None
        return response, body, records

    async def read(
        self, stream: str, state: Mapping[str, Any] | None = None
    ) -> AsyncGenerator[Page, None]:
        """Pages of ``stream`` from ``state`` on; each page's state resumes after it."""
        config = self._stream(stream)
        paginator = build_paginator(config.paginator, self.auth.query_params())
        incremental = Incremental(config.incremental) if config.incremental else None
        saved = dict(state or {})
        best = saved.get("cursor")
        if isinstance(saved.get("position"), dict):
            position: JsonObject = dict(saved["position"])
            run_cursor = saved.get("run_cursor")
        else:
            position, run_cursor = paginator.first(), best
        while True:
            response, body, records = await self._fetch(
                config, position, run_cursor, max_attempts=None
            )
            if incremental is not None:
                best = incremental.max_cursor(best, records)
            following = paginator.next_position(position, response, body, records)
            page_state: JsonObject = {} if best is None else {"cursor": best}
            if following is not None:
                page_state["position"] = following
                if run_cursor is not None:
                    page_state["run_cursor"] = run_cursor
            yield Page(records=records, state=page_state, last=following is None)
            if following is None:
                return
            position = following

    async def check(self) -> CheckResult:
        """Reachability, then credentials: one request, no retries; ``failed`` names which."""
        try:
            if self.config.streams:
                stream = self.config.streams[0]
                first = build_paginator(stream.paginator, self.auth.query_params()).first()
                await self._fetch(stream, first, None, max_attempts=1)
            else:
                base = self.config.connection.base_url
                await self.requester.send("GET", base, what="check", max_attempts=1)
        except RetriableError as exc:
            return CheckResult(ok=False, failed="reachability", message=str(exc))
        except ConfigError as exc:
            return CheckResult(ok=False, failed="credentials", message=str(exc))
        except PermanentError as exc:
            return CheckResult(ok=False, failed="response", message=str(exc))
        return CheckResult(ok=True, message=f"{self.name}: reachable, credentials accepted")

    async def discover(self) -> list[EndpointInfo]:
        """Streams (fields from one sample record of the first page) and operations."""
        found: list[EndpointInfo] = []
        for stream in self.config.streams:
            first = build_paginator(stream.paginator, self.auth.query_params()).first()
            _, _, records = await self._fetch(stream, first, None, max_attempts=None)
            sample = records[0] if records else {}
            fields = tuple(FieldInfo(k, _json_type(v)) for k, v in sample.items())
            description = f"{stream.request.method} {stream.request.path}"
            found.append(EndpointInfo(stream.name, "stream", fields, description))
        for op in self.config.operations:
            found.append(EndpointInfo(op.name, "operation", (), f"{op.method} {op.path}"))
        return found

    @staticmethod
    def discover_openapi(document: Mapping[str, Any]) -> list[EndpointInfo]:
        """Paths and their record fields listed by an OpenAPI 3 document (no I/O)."""
        return endpoints_from_openapi(document)

    async def write(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult:
        """Send ``record`` through ``operation`` with the idempotency key header."""
        op = self._operation(operation)
        what = f"operation {op.name!r}"
        path = PLACEHOLDER.sub(lambda m: str(_lookup(record, m[1])), op.path)
        body = dict(record) if op.body is None else _render(op.body, record)
        headers = dict(op.headers) | {op.idempotency_header: idempotency_key}
        url = self.requester.url(path)
        response = await self.requester.send(op.method, url, what=what, headers=headers, json=body)
        try:
            answer = decode_json(response)
        except ValueError as exc:
            raise self.requester.permanent_error(f"{what}: {exc}") from None
        reference = jmespath.search(op.reference_path, answer)
        if reference is None or isinstance(reference, dict | list):
            raise self.requester.permanent_error(
                f"{what}: no remote id at {op.reference_path!r} in the response"
            )
        raw = answer if isinstance(answer, dict) else {"body": answer}
        return WriteResult(reference=str(reference), raw=raw)

    async def lookup(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult | None:
        """The record an earlier write of ``idempotency_key`` created, by the operation's
        ``lookup`` (``connectors.rest.lookup``); None if not found or none is declared."""
        return await find_written(
            self.requester, self._operation(operation), record, idempotency_key
        )

    async def fetch(self, stream: str, keys: Sequence[str]) -> list[JsonObject]:
        """Records of the live ``stream`` for ``keys`` (``connectors.live.LiveReader``).

        Up to ``live.batch_size`` keys per request, joined in ``live.key_param`` (or one
        request per key filling ``{key}`` in the path); the stream's fixed parameters and its
        paginator's first page are sent, never an incremental cursor; no retries.
        """
        config = self._stream(stream)
        live = config.live
        if live is None:
            raise self.requester.config_error(f"stream {stream!r} is not live")
        size = live.batch_size if live.key_param else 1

        async def one(batch: list[str]) -> list[JsonObject]:
            request = config.request
            params, path = dict(request.params), request.path
            if live.key_param:
                params[live.key_param] = live.key_separator.join(batch)
            else:
                path = path.replace("{key}", quote(batch[0], safe=""))
            changed = request.model_copy(update={"path": path, "params": params})
            single = config.model_copy(update={"request": changed, "incremental": None})
            first = build_paginator(config.paginator).first()
            _, _, records = await self._fetch(single, first, None, max_attempts=1)
            return records

        return await fetch_batches(keys, size, one)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is shared and owned by the app."""


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    value = jmespath.search(path.strip(), dict(record))
    if value is None:
        raise MappingError("missing in the record", path=path.strip())
    return value


def _render(template: Any, record: Mapping[str, Any]) -> Any:
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return _lookup(record, whole[1])
        return PLACEHOLDER.sub(lambda m: str(_lookup(record, m[1])), template)
    if isinstance(template, dict):
        return {key: _render(value, record) for key, value in template.items()}
    if isinstance(template, list):
        return [_render(item, record) for item in template]
    return template


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
