"""Job-run events: a job publishes each change of its run; GraphQL subscriptions listen.

``RunEvents`` is the interface (``publish``, ``subscribe``); an event is
``jobs.runs.run_event(run)``, a small JSON-able dict. Three transports, chosen by
``settings.resolved_events_url`` (``build_events``):

- ``InProcessEvents`` (the default): a fan-out inside this process, safe across threads and
  event loops (the embedded worker publishes on its loop, the server's subscriptions listen
  on another);
- ``RedisEvents``: Redis pub/sub, for workers and servers on several machines;
- ``PostgresEvents``: PostgreSQL LISTEN/NOTIFY, when the database is PostgreSQL and there
  is no Redis.

Events are a live view, not a log: a subscriber sees what is published while it listens
(``await subscription.ready()`` returns once it does), a slow subscriber loses its oldest
events rather than slowing a job down, and a transport that is down costs a logged warning,
never a failed job (the job run row in the database stays the truth). A transport instance
belongs to one event loop (the server's or a worker's); ``InProcessEvents`` is the exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

from settings import Settings

__all__ = [
    "InProcessEvents",
    "PostgresEvents",
    "RedisEvents",
    "RunEvents",
    "Subscription",
    "build_events",
    "events_channel",
]

log = logging.getLogger(__name__)

Event = dict[str, Any]
#: a subscriber that falls this far behind loses its oldest events
BACKLOG = 1000
#: PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
PG_PAYLOAD_LIMIT = 7900
SUMMARY_KEYS = ("id", "kind", "connector", "stream", "status", "progressDone", "progressTotal")


class RunEvents(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...

    def subscribe(self) -> AsyncIterator[dict[str, Any]]: ...


def events_channel(settings: Settings) -> str:
    """The pub/sub channel of this hub's job-run events (namespaced like its queues)."""
    return f"{settings.broker_namespace}.job_runs"


def encode(event: Event) -> str:
    """The event as JSON (datetimes and decimals as strings), the same on every transport."""
    return json.dumps(event, default=str, separators=(",", ":"))


class Subscription:
    """An async iterator of events; ``ready()`` waits until it listens, ``aclose()`` stops."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: list[Event] = []
        self._lock = threading.Lock()
        self._closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        await self.ready()
        assert self._queue is not None
        event = None if self._closed else await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def ready(self) -> None:
        """Start listening (idempotent); events published after this returns are seen."""
        if self._queue is None and not self._closed:
            with self._lock:
                self._loop = asyncio.get_running_loop()
                self._queue = asyncio.Queue()
                for event in self._early:
                    self._put(event)
                self._early.clear()
            await self._start()

    async def aclose(self) -> None:
        """Stop listening; an iteration waiting for an event ends."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._queue is not None:
            self._queue.put_nowait(None)
        await self._stop()

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to this subscriber from any thread; never blocks."""
        with self._lock:
            if self._closed:
                return
            if self._loop is None:
                self._early.append(event)
                del self._early[:-BACKLOG]
                return
            loop = self._loop
        with contextlib.suppress(RuntimeError):  # the subscriber's loop is gone
            loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event) -> None:
        assert self._queue is not None
        if self._closed:
            return
        if self._queue.qsize() >= BACKLOG:
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    async def _start(self) -> None:
        """Transport hook: begin listening (connected when it returns)."""

    async def _stop(self) -> None:
        """Transport hook: stop listening and release the connection."""


class _Reconnecting(Subscription):
    """A subscription over a network connection, reconnected when it drops (events
    published while it is down are missed: the job run rows stay the truth)."""

    RETRY_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._task: asyncio.Task[None] | None = None
        self.connection: Any = None  # the live connection (tests cut it)

    async def _start(self) -> None:
        self.connection = connection = await self._connect()
        self._task = asyncio.create_task(self._keep(connection))

    async def _keep(self, connection: Any) -> None:
        while True:
            self.connection = connection
            try:
                await self._listen(connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "job-run events: listener lost (%s); reconnecting", type(error).__name__
                )
            finally:
                await self._disconnect(connection)
            while True:
                await asyncio.sleep(self.RETRY_SECONDS)
                try:
                    connection = await self._connect()
                    break
                except Exception as error:
                    log.warning("job-run events: reconnect failed (%s)", type(error).__name__)

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _connect(self) -> Any:
        raise NotImplementedError

    async def _listen(self, connection: Any) -> None:
        """Deliver events until the connection drops (return or raise)."""
        raise NotImplementedError

    async def _disconnect(self, connection: Any) -> None:
        raise NotImplementedError


class InProcessEvents:
    """Events within this process (the embedded worker and the server share one instance)."""

    def __init__(self) -> None:
        self._subscriptions: set[_LocalSubscription] = set()
        self._lock = threading.Lock()

    async def publish(self, event: dict[str, Any]) -> None:
        self.publish_now(event)

    def publish_now(self, event: Event) -> None:
        """``publish`` for synchronous callers (a worker thread, a dramatiq middleware)."""
        decoded = json.loads(encode(event))
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.deliver(decoded)

    def subscribe(self) -> Subscription:
        subscription = _LocalSubscription(self)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def _forget(self, subscription: _LocalSubscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    async def aclose(self) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            await subscription.aclose()


class _LocalSubscription(Subscription):
    def __init__(self, owner: InProcessEvents) -> None:
        super().__init__()
        self._owner = owner

    async def _stop(self) -> None:
        self._owner._forget(self)


class RedisEvents:
    """Events over Redis pub/sub on ``channel``."""

    def __init__(self, url: str, channel: str) -> None:
        from redis.asyncio import Redis

        self.channel = channel
        self.client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)

    async def publish(self, event: dict[str, Any]) -> None:
        from redis.exceptions import RedisError

        try:
            await self.client.publish(self.channel, encode(event))
        except (RedisError, OSError) as error:
            log.warning("job-run event not published (Redis): %s", type(error).__name__)

    def subscribe(self) -> Subscription:
        return _RedisSubscription(self)

    async def aclose(self) -> None:
        await self.client.aclose()


class _RedisSubscription(_Reconnecting):
    def __init__(self, owner: RedisEvents) -> None:
        super().__init__()
        self._owner = owner

    async def _connect(self) -> Any:
        pubsub: Any = self._owner.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._owner.channel)
        except BaseException:
            await pubsub.aclose()
            raise
        return pubsub

    async def _listen(self, connection: Any) -> None:
        async for message in connection.listen():
            if message.get("type") == "message":
                self.deliver(json.loads(message["data"]))

    async def _disconnect(self, connection: Any) -> None:
        with contextlib.suppress(Exception):
            await connection.unsubscribe()
        await connection.aclose()


class PostgresEvents:
    """Events over PostgreSQL LISTEN/NOTIFY on ``channel`` (asyncpg connections)."""

    def __init__(self, url: str, channel: str) -> None:
        from sqlalchemy.engine import make_url

        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel
        self._conn: Any = None
        self._lock = asyncio.Lock()

    async def publish(self, event: dict[str, Any]) -> None:
        import asyncpg  # type: ignore[import-untyped]

        payload = encode(event)
        if len(payload.encode()) > PG_PAYLOAD_LIMIT:
            payload = encode({k: event[k] for k in SUMMARY_KEYS if k in event} | {"partial": True})
        async with self._lock:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(self.dsn, timeout=5)
                await self._conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)
            except (TimeoutError, asyncpg.PostgresError, OSError) as error:
                log.warning("job-run event not published (PostgreSQL): %s", type(error).__name__)
                await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    def subscribe(self) -> Subscription:
        return _PostgresSubscription(self)

    async def aclose(self) -> None:
        async with self._lock:
            await self._drop()


class _PostgresSubscription(_Reconnecting):
    def __init__(self, owner: PostgresEvents) -> None:
        super().__init__()
        self._owner = owner

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.deliver(json.loads(payload))

    async def _connect(self) -> Any:
        import asyncpg

        conn = await asyncpg.connect(self._owner.dsn, timeout=5)
        try:
            await conn.add_listener(self._owner.channel, self._on_notify)
        except BaseException:
            await conn.close(timeout=2)
            raise
        return conn

    async def _listen(self, connection: Any) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _conn: lost.set())
        while not connection.is_closed() and not lost.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=5)

    async def _disconnect(self, connection: Any) -> None:
        with contextlib.suppress(Exception):
            await connection.remove_listener(self._owner.channel, self._on_notify)
        with contextlib.suppress(Exception):
            await connection.close(timeout=2)


def build_events(settings: Settings) -> InProcessEvents | RedisEvents | PostgresEvents:
    """The transport ``settings`` names (see the module docstring for the default rule)."""
    url = settings.resolved_events_url
    if url.startswith(("redis://", "rediss://")):
        return RedisEvents(url, events_channel(settings))
    if url.startswith(("postgresql", "postgres")):
        return PostgresEvents(url, events_channel(settings))
    return InProcessEvents()
