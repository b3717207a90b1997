"""Per-connector rate limits that hold across every worker: token buckets in Redis, or in
this process when there is no Redis.

``RateLimits(settings).bucket(connector, rate, burst)`` answers the connector's bucket; its
``acquire()`` waits until the caller may send one request. Which store (``rate_limit_url``,
default: the broker's Redis when the broker is Redis, else in-process):

- ``RedisBucket``: one hash per connector (``<namespace>:ratelimit:<connector>``) updated by
  one Lua script, timed by the Redis server's clock, so every worker process on every machine
  draws from the same bucket. Each call reserves its token at once and sleeps until its turn
  (no thundering herd of re-tries). Redis unreachable: the call falls back to the process's
  own bucket (the limit then holds per process) and logs a warning — never a failed request;
- ``LocalBucket``: the same arithmetic under a thread lock, shared by every event loop of the
  process (the server's and the embedded worker's).

Wiring: ``RateLimits`` is the ``connectors.limits.RateLimiterFactory`` given to connectors
in ``ConnectorResources.limits`` by the server (``app.Hub``), each worker
(``jobs.runtime.open_resources``) and ``jobs.connector_configs.with_connector``; a ``rest``
connector then waits on the bucket of its name instead of its own ``TokenBucket``. Its
owner closes it (``aclose``: the Redis client) on the loop that used it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.limits import RateLimiter
from settings import Settings

__all__ = ["Bucket", "LocalBucket", "RateLimits", "RedisBucket"]

log = logging.getLogger("channelhub.jobs")

_local_lock = threading.Lock()
_LOCAL: dict[tuple[str, str, float, int], LocalBucket] = {}
"""The process's buckets, shared by every ``RateLimits`` of the process (server, worker)."""

Sleep = Callable[[float], Awaitable[None]]

# KEYS[1] bucket; ARGV rate/s, burst. Takes one token (the count may go below zero: queued
# callers), returns the seconds the caller waits for its turn, as a string (floats survive).
RESERVE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
local stamp = tonumber(redis.call('HGET', KEYS[1], 'ts') or now)
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 60000)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


Bucket = RateLimiter
"""What ``RateLimits.bucket`` answers: ``async acquire()``."""


class LocalBucket:
    """A token bucket of this process, safe across threads and event loops."""

    def __init__(self, rate: float, burst: int, *, sleep: Sleep = asyncio.sleep) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()
        self._sleep = sleep

    def reserve(self) -> float:
        """Take a token; the seconds until it may be used."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - 1
            self._stamp = now
            return max(0.0, -self._tokens / self.rate)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)


class RedisBucket:
    """A token bucket in Redis shared by every worker (see the module docstring)."""

    def __init__(
        self,
        client: Any,
        key: str,
        rate: float,
        burst: int,
        fallback: LocalBucket,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.key = key
        self.rate = rate
        self.burst = burst
        self.fallback = fallback
        self._sleep = sleep
        self._script = client.register_script(RESERVE)

    async def acquire(self) -> None:
        from redis.exceptions import RedisError

        try:
            wait = float(await self._script(keys=[self.key], args=[self.rate, self.burst]))
        except (RedisError, OSError) as error:
            log.warning("rate limit %s: Redis unreachable (%s)", self.key, type(error).__name__)
            wait = self.fallback.reserve()
        if wait > 0:
            await self._sleep(wait)


class RateLimits:
    """The buckets of this process, one per (connector, rate, burst)."""

    def __init__(self, settings: Settings, *, sleep: Sleep = asyncio.sleep) -> None:
        url = settings.rate_limit_url or (
            settings.broker_url if settings.broker_kind == "redis" else ""
        )
        self.namespace = settings.broker_namespace
        self._sleep = sleep
        self._client: Any = None
        if url.startswith(("redis://", "rediss://")):
            from redis.asyncio import Redis

            self._client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    @property
    def shared(self) -> bool:
        """Whether the limits hold across processes (Redis) or per process."""
        return self._client is not None

    def bucket(self, connector: str, rate: float, burst: int) -> Bucket:
        """The bucket of ``connector`` at ``rate`` requests/s with ``burst``."""
        with _local_lock:
            local = _LOCAL.get((self.namespace, connector, rate, burst))
            if local is None:
                local = LocalBucket(rate, burst, sleep=self._sleep)
                _LOCAL[(self.namespace, connector, rate, burst)] = local
        if self._client is None:
            return local
        key = f"{self.namespace}:ratelimit:{connector}"
        return RedisBucket(self._client, key, rate, burst, local, sleep=self._sleep)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
