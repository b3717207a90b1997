"""The job broker from settings: in-process (dramatiq's StubBroker), Redis or RabbitMQ.

``build_broker(settings)`` picks the broker from ``settings.broker_url`` (empty: in-process;
``redis://``; ``amqp://``), gives it our middleware and declares the actors
(jobs/actors.py) on the namespaced queues, then installs it as the broker this process
sends to (``jobs.dispatch.use_broker``). Middleware, in order:

- ``AsyncIO``: the event-loop thread the actors' coroutines run on;
- ``CurrentMessage``: an actor can read its message (attempt number);
- ``TimeLimit``: a job running longer than ``job_time_limit_seconds`` is interrupted;
- ``Retries``: transient failures retry ``job_max_retries`` times with exponential backoff
  from ``job_min_backoff_ms`` to ``job_max_backoff_ms``; config and permanent errors never
  (``jobs.errors.should_retry``);
- ``ResourcesMiddleware``: the worker's engine, HTTP client and connectors, once per process;
- ``DeadLetterRecorder``: rejected messages into ``dead_letters``, their runs FAILED.

Redis: a worker that dies holding messages stops sending heartbeats; after
``redis_heartbeat_timeout_ms`` another worker's queue maintenance (on
``redis_maintenance_chance`` per million broker commands) puts them back on their queue.
RabbitMQ returns a dead worker's unacknowledged messages as soon as its connection drops;
deliveries are confirmed by the broker (``confirm_delivery``), so an enqueue that returned
is stored.

``close_broker`` closes the broker's connections (call it at shutdown of any process that
built one).
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, CurrentMessage, Middleware, Retries, TimeLimit

from jobs.actors import declare_actors
from jobs.deadletters import DeadLetterRecorder
from jobs.dispatch import installed_broker, use_broker
from jobs.errors import should_retry
from jobs.events import RunEvents
from jobs.runtime import ResourcesMiddleware
from settings import Settings

__all__ = ["build_broker", "close_broker", "middleware_for"]

REDIS_SOCKET_TIMEOUT = 30.0
REDIS_CONNECT_TIMEOUT = 5.0


def middleware_for(settings: Settings, *, events: RunEvents | None = None) -> list[Middleware]:
    """Our middleware stack (see the module docstring); ``events`` for an embedded worker."""
    max_retries = settings.job_max_retries

    def retry_when(retries: int, error: BaseException) -> bool:
        return retries < max_retries and should_retry(error)

    return [
        AsyncIO(),
        CurrentMessage(),
        TimeLimit(time_limit=int(settings.job_time_limit_seconds * 1000), interval=1000),
        Retries(
            max_retries=max_retries,
            min_backoff=settings.job_min_backoff_ms,
            max_backoff=max(settings.job_max_backoff_ms, settings.job_min_backoff_ms),
            retry_when=retry_when,
        ),
        ResourcesMiddleware(settings, events=events),
        DeadLetterRecorder(),
    ]


def build_broker(
    settings: Settings, *, events: RunEvents | None = None, install: bool = True
) -> dramatiq.Broker:
    """The broker ``settings`` name, with our middleware and actors; installed by default."""
    middleware = middleware_for(settings, events=events)
    broker: dramatiq.Broker
    kind = settings.broker_kind
    if kind == "redis":
        import redis
        from dramatiq.brokers.redis import RedisBroker

        client = redis.Redis.from_url(
            settings.broker_url,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            health_check_interval=30,
        )
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=client,
            namespace=settings.broker_namespace,
            middleware=middleware,
            heartbeat_timeout=settings.redis_heartbeat_timeout_ms,
            maintenance_chance=settings.redis_maintenance_chance,
        )
    elif kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(
            url=settings.broker_url, middleware=middleware, confirm_delivery=True
        )
    else:
        broker = StubBroker(middleware=middleware)
    declare_actors(broker, settings)
    if install:
        use_broker(broker)
    return broker


def close_broker(broker: dramatiq.Broker | None = None) -> None:
    """Close ``broker`` (default: the installed one) and uninstall it if it was installed."""
    installed = installed_broker()
    broker = broker or installed
    if broker is None:
        return
    client = getattr(broker, "client", None)  # RedisBroker: its connection pool
    if client is not None:
        client.close()
    broker.close()
    if broker is installed:
        use_broker(None)
