"""Relay connections built from a keyset ``Page``; ``totalCount`` is counted only if asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from store.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    page_info: PageInfo
    edges: list[Edge[NodeT]]
    nodes: list[NodeT]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching the filter, across every page.")
    async def total_count(self) -> int:
        return await self.count()


def page_parts(page: Page[Any]) -> dict[str, Any]:
    """Keyword arguments for a ``Connection`` subclass built from ``page``."""
    return {
        "page_info": PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        "edges": [Edge(cursor=c, node=row) for c, row in zip(page.cursors, page.rows, strict=True)],
        "nodes": page.rows,
    }
