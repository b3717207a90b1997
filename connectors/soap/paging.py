"""Paginators for SOAP streams: none, bookmark (NAV), page number, NetSuite search.

Each yields ``Page``s whose state is what to save after storing them, so a read resumes
from there: ``{"bookmark": ...}``, ``{"page": ...}`` or ``{"search_id", "page_index"}``.
A stream with ``incremental`` wraps its paginator (``connectors.soap.incremental``): the
paginator's state becomes the ``position`` of a read filtered by ``{cursor}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from connectors.errors import PermanentError
from connectors.protocol import JsonObject, Page
from connectors.soap import templates
from connectors.soap.config import (
    BookmarkPaginator,
    NetSuiteSearchPaginator,
    PageNumberPaginator,
    SoapStream,
)
from connectors.soap.incremental import incremental_pages

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def pages(stream: SoapStream, state: JsonObject, call: Call) -> AsyncIterator[Page]:
    """The stream's pages from ``state`` on."""
    if stream.incremental is None:
        return _paged(stream, state, call, {})

    def source(position: JsonObject, values: dict[str, Any]) -> AsyncIterator[Page]:
        return _paged(stream, position, call, values)

    return incremental_pages(stream.incremental, state, source)


async def _paged(
    stream: SoapStream, state: JsonObject, call: Call, extra: dict[str, Any]
) -> AsyncIterator[Page]:
    """The paginator's pages from ``state``; ``extra`` values fill the arguments too."""
    paginator = stream.paginator
    if isinstance(paginator, BookmarkPaginator):
        source = _bookmark(stream, paginator, state, call, extra)
    elif isinstance(paginator, PageNumberPaginator):
        source = _page_number(stream, paginator, state, call, extra)
    elif isinstance(paginator, NetSuiteSearchPaginator):
        source = _netsuite(stream, paginator, state, call, extra)
    else:
        result = await call(stream.operation, templates.fill(stream.args, {**extra, **state}))
        yield Page(templates.records_at(result, stream.record_path), state={}, last=True)
        return
    async for page in source:
        yield page


async def _bookmark(
    stream: SoapStream,
    paginator: BookmarkPaginator,
    state: JsonObject,
    call: Call,
    extra: dict[str, Any],
) -> AsyncIterator[Page]:
    bookmark = state.get("bookmark")
    while True:
        values = {**extra, "bookmark": bookmark, "page_size": paginator.page_size}
        args = templates.fill(stream.args, values)
        args[paginator.size_arg] = paginator.page_size
        if bookmark is not None:
            args[paginator.bookmark_arg] = bookmark
        records = templates.records_at(await call(stream.operation, args), stream.record_path)
        if not records:
            yield Page([], state={"bookmark": bookmark}, last=True)
            return
        last_value = templates.lookup(records[-1], paginator.record_field)
        if last_value is None:
            raise PermanentError(
                f"{stream.name}: last record has no {paginator.record_field!r} to page on"
            )
        bookmark = str(last_value)
        yield Page(records, state={"bookmark": bookmark})


async def _page_number(
    stream: SoapStream,
    paginator: PageNumberPaginator,
    state: JsonObject,
    call: Call,
    extra: dict[str, Any],
) -> AsyncIterator[Page]:
    page = int(state.get("page", paginator.start))
    while True:
        values = {**extra, "page": page, "page_size": paginator.page_size}
        args = templates.fill(stream.args, values)
        args[paginator.page_arg] = page
        args[paginator.size_arg] = paginator.page_size
        records = templates.records_at(await call(stream.operation, args), stream.record_path)
        if len(records) < paginator.page_size:
            # A short page ends the read; the next read starts on it again (new records).
            yield Page(records, state={"page": page}, last=True)
            return
        page += 1
        yield Page(records, state={"page": page})


async def _netsuite(
    stream: SoapStream,
    paginator: NetSuiteSearchPaginator,
    state: JsonObject,
    call: Call,
    extra: dict[str, Any],
) -> AsyncIterator[Page]:
    search_id = state.get("search_id")
    index = int(state.get("page_index", 0))
    while True:
        if search_id is None:
            result = await call(stream.operation, templates.fill(stream.args, {**extra, **state}))
        else:
            args = {"searchId": search_id, "pageIndex": index + 1}
            result = await call(paginator.more_operation, args)
        summary = templates.lookup(result, paginator.result_path) or {}
        search_id = templates.lookup(summary, paginator.search_id_field)
        index = int(templates.lookup(summary, paginator.page_index_field) or 1)
        total = int(templates.lookup(summary, paginator.total_pages_field) or 0)
        records = templates.records_at(result, stream.record_path)
        last = index >= total or search_id is None
        yield Page(records, state={"search_id": search_id, "page_index": index}, last=last)
        if last:
            return
