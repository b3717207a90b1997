"""Paginators of the ``rest`` kind: which page to ask for next, as a JSON-able position.

A position is a small dict saved in the stream state (``{"offset": 200}``, ``{"page": 3}``,
``{"cursor": "abc"}``, ``{"url": "https://…"}``), so a read resumes at the page after the
last one stored. ``params`` turns a position into query parameters; ``next_position``
reads the response and returns None after the last page. No I/O here.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import jmespath

from connectors.protocol import JsonObject
from connectors.rest.config import (
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from connectors.rest.config import Paginator as PaginatorConfig


class Paginator(Protocol):
    def first(self) -> JsonObject: ...

    def params(self, position: JsonObject) -> dict[str, Any]: ...

    def url(self, position: JsonObject) -> str | None: ...

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None: ...


class SinglePage:
    def first(self) -> JsonObject:
        return {}

    def params(self, position: JsonObject) -> dict[str, Any]:
        return {}

    def url(self, position: JsonObject) -> str | None:
        return None

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None:
        return None


class Offset(SinglePage):
    def __init__(self, config: OffsetPaginator) -> None:
        self._config = config

    def first(self) -> JsonObject:
        return {"offset": 0}

    def params(self, position: JsonObject) -> dict[str, Any]:
        c = self._config
        return {c.limit_param: c.page_size, c.offset_param: int(position.get("offset", 0))}

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None:
        if len(records) < self._config.page_size:
            return None
        return {"offset": int(position.get("offset", 0)) + len(records)}


class PageNumber(SinglePage):
    def __init__(self, config: PageNumberPaginator) -> None:
        self._config = config

    def first(self) -> JsonObject:
        return {"page": self._config.start}

    def params(self, position: JsonObject) -> dict[str, Any]:
        c = self._config
        params: dict[str, Any] = {c.page_param: int(position.get("page", c.start))}
        if c.size_param:
            params[c.size_param] = c.page_size
        return params

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None:
        if len(records) < self._config.page_size:
            return None
        return {"page": int(position.get("page", self._config.start)) + 1}


class Cursor(SinglePage):
    def __init__(self, config: CursorPaginator) -> None:
        self._config = config
        self._path = jmespath.compile(config.cursor_path)

    def first(self) -> JsonObject:
        return {"cursor": None}

    def params(self, position: JsonObject) -> dict[str, Any]:
        cursor = position.get("cursor")
        return {} if cursor in (None, "") else {self._config.cursor_param: cursor}

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None:
        cursor = self._path.search(body)
        if cursor in (None, "") or not records or cursor == position.get("cursor"):
            return None
        return {"cursor": cursor}


class LinkHeader(SinglePage):
    """Follows ``Link: <url>; rel="next"``; the saved URL drops the authenticator's query
    parameters (an API key a server echoes into its links never lands in the stream state)."""

    def __init__(self, drop_params: frozenset[str] = frozenset()) -> None:
        self._drop = drop_params

    def first(self) -> JsonObject:
        return {"url": None}

    def url(self, position: JsonObject) -> str | None:
        url = position.get("url")
        return url if isinstance(url, str) else None

    def next_position(
        self, position: JsonObject, response: httpx.Response, body: Any, records: list[Any]
    ) -> JsonObject | None:
        target = response.links.get("next", {}).get("url")
        if not target:
            return None
        url = response.request.url.join(target)
        kept = [(k, v) for k, v in url.params.multi_items() if k not in self._drop]
        return {"url": str(url.copy_with(params=kept) if self._drop else url)}


def build_paginator(
    config: PaginatorConfig, drop_params: frozenset[str] = frozenset()
) -> Paginator:
    """The paginator for ``config``; ``drop_params`` are the authenticator's query parameters."""
    if isinstance(config, OffsetPaginator):
        return Offset(config)
    if isinstance(config, PageNumberPaginator):
        return PageNumber(config)
    if isinstance(config, CursorPaginator):
        return Cursor(config)
    if isinstance(config, LinkHeaderPaginator):
        return LinkHeader(drop_params)
    return SinglePage()
