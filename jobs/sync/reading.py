"""Read one page ahead: the next page is fetched while the current one is being stored.

A page's database work and the next page's round trip to the ERP overlap, so a slow ERP and
a busy database cost their maximum per page, not their sum. Only one page is read ahead: a
cancel or a crash loses at most that page's read, never a stored page (its state is saved
only when it is stored). A read error reaches the consumer when it asks for that page, after
the pages before it were stored — the same order as without read-ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

__all__ = ["ReadAhead"]

T = TypeVar("T")


class _End:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadAhead(Generic[T]):
    """Iterate ``source`` with one item fetched ahead; ``aclose`` stops and closes it."""

    def __init__(self, source: AsyncIterator[T]) -> None:
        self.source = source
        self.queue: asyncio.Queue[T | _End | _Failed] = asyncio.Queue(maxsize=1)
        self.task: asyncio.Task[None] | None = None

    async def _produce(self) -> None:
        try:
            async for item in self.source:
                await self.queue.put(item)
            await self.queue.put(_End())
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self.queue.put(_Failed(error))

    def __aiter__(self) -> ReadAhead[T]:
        return self

    async def __anext__(self) -> T:
        if self.task is None:
            self.task = asyncio.create_task(self._produce())
        item = await self.queue.get()
        if isinstance(item, _End):
            raise StopAsyncIteration
        if isinstance(item, _Failed):
            raise item.error
        return item

    async def aclose(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        closing = getattr(self.source, "aclose", None)
        if closing is not None:
            with contextlib.suppress(Exception):
                await closing()
