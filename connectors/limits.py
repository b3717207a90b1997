"""What a connector needs of a shared rate limiter, so ``connectors/`` never imports ``jobs/``.

A connector kind with a client-side rate limit asks ``ConnectorResources.limits`` (a
``RateLimiterFactory``) for the bucket of its connector name and waits on its
``acquire()`` before each request. The process's implementation is ``jobs.ratelimit.
RateLimits``: one Redis bucket per connector shared by every worker, or one process bucket
shared by every event loop. With no factory a connector keeps its own per-instance bucket
(``connectors.rest.ratelimit.TokenBucket``). A limiter only delays; it never fails a call.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["RateLimiter", "RateLimiterFactory"]


class RateLimiter(Protocol):
    """A token bucket: ``acquire()`` returns once the caller may send one request."""

    async def acquire(self) -> None: ...


class RateLimiterFactory(Protocol):
    """The buckets of a process, one per connector name."""

    def bucket(self, connector: str, rate: float, burst: int) -> RateLimiter:
        """The bucket of ``connector`` at ``rate`` requests/s with ``burst`` at once."""
        ...
