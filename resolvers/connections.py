"""Root connection reads: validate the window, read one page, count lazily on demand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settings import Settings
from store.pagination import Page, Window
from store.repositories.base import ScopedRepository
from store.scope import Scope

F = TypeVar("F")


def window(
    settings: Settings, first: int | None, after: str | None, last: int | None, before: str | None
) -> Window:
    """The Relay arguments, checked against the configured page sizes."""
    return Window(first, after, last, before).validate(
        default_size=settings.default_page_size, max_size=settings.max_page_size
    )


async def read_page(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    repository: type[ScopedRepository[Any, F]],
    filter_: F | None,
    ordering: str,
    win: Window,
) -> tuple[Page[Any], Callable[[], Awaitable[int]]]:
    """One page of ``repository`` rows, and a function that counts all matching rows."""
    async with sessions() as session:
        page = await repository(session, scope).page(filter_, ordering, win)

    async def count() -> int:
        async with sessions() as session:
            return await repository(session, scope).count(filter_)

    return page, count
