"""Sending job messages: the process's broker, and one function per kind of message.

A caller commits the job run (or outbox entry) first and then sends its id: a message
carries ids, never objects, and the actor reads the row (jobs are safe to run twice).
``use_broker`` installs the broker this process sends to (``jobs.broker.build_broker`` does
it); ``enqueue_run`` and ``enqueue_outbox`` send on it and return the dramatiq message id.

Queues: ``<namespace>.sync`` (stream syncs), ``<namespace>.outbox`` (deliveries to ERPs) and
``<namespace>.jobs`` (everything else: re-encryption, sweeps, later accruals and forecasts),
so a slow kind of work never queues behind another.

A broker that does not answer is retried briefly; then ``BrokerUnavailable`` is raised (the
run stays QUEUED in the database and can be sent again).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq.errors import BrokerError

from jobs.errors import BrokerUnavailable
from settings import Settings

__all__ = [
    "ACTOR_QUEUES",
    "SYNC_KINDS",
    "actor_for_kind",
    "current_broker",
    "enqueue_message",
    "enqueue_outbox",
    "enqueue_run",
    "installed_broker",
    "queue_name",
    "use_broker",
]

log = logging.getLogger("channelhub.jobs")

#: actor name → queue (without the namespace)
ACTOR_QUEUES = {"sync_stream": "sync", "relay_outbox": "outbox", "run_job": "jobs"}
#: job-run kinds the ``sync_stream`` actor runs; every other kind goes to ``run_job``
SYNC_KINDS = frozenset({"sync"})
SEND_ATTEMPTS = 3

_lock = threading.Lock()
_broker: dramatiq.Broker | None = None


def queue_name(settings: Settings, actor_name: str) -> str:
    """The namespaced queue of an actor, e.g. ``channelhub.sync``."""
    return f"{settings.broker_namespace}.{ACTOR_QUEUES[actor_name]}"


def use_broker(broker: dramatiq.Broker | None) -> None:
    """Install ``broker`` (with the actors declared on it) as the one this process sends to."""
    global _broker
    with _lock:
        _broker = broker
        if broker is not None:
            dramatiq.set_broker(broker)


def installed_broker() -> dramatiq.Broker | None:
    """The installed broker, or None."""
    return _broker


def current_broker() -> dramatiq.Broker:
    """The installed broker; a clear error when this process has none."""
    broker = _broker
    if broker is None:
        raise RuntimeError(
            "no job broker in this process: build one with jobs.broker.build_broker(settings)"
        )
    return broker


def actor_for_kind(kind: str) -> str:
    """The actor that runs a job run of ``kind``."""
    return "sync_stream" if kind in SYNC_KINDS else "run_job"


def enqueue_message(actor_name: str, *args: Any, **options: Any) -> str:
    """Send ``actor_name(*args)`` on its queue; returns the message id."""
    broker = current_broker()
    actor = broker.get_actor(actor_name)
    return send(broker, actor.message_with_options(args=args, **options))


def send(broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> str:
    """Enqueue ``message``, retrying a broker that does not answer a few times."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return broker.enqueue(message).message_id
        except _transport_errors() as error:
            if attempt == SEND_ATTEMPTS:
                raise BrokerUnavailable(type(error).__name__) from None
            log.warning("broker did not take a message (%s); retrying", type(error).__name__)
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def _transport_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [BrokerError, OSError]
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - the redis extra is not installed
        pass
    try:
        from pika.exceptions import AMQPError

        errors.append(AMQPError)
    except ImportError:  # pragma: no cover - the rabbitmq extra is not installed
        pass
    return tuple(errors)


def enqueue_run(run_id: int, kind: str) -> str:
    """Send the actor message for the committed job run ``run_id`` of ``kind``."""
    return enqueue_message(actor_for_kind(kind), run_id)


def enqueue_outbox(entry_id: int) -> str:
    """Send the delivery of the committed outbox entry ``entry_id``."""
    return enqueue_message("relay_outbox", entry_id)
