"""Brokers built from settings: the kind a URL names, our middleware and its knobs, actors on
namespaced queues, dispatch on the installed broker, and a broker that is down."""

from __future__ import annotations

import socket

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, CurrentMessage, Retries, TimeLimit
from pydantic import ValidationError

from connectors.errors import ConfigError, PermanentError, RetriableError
from jobs.broker import build_broker, close_broker
from jobs.deadletters import DeadLetterRecorder
from jobs.dispatch import (
    actor_for_kind,
    current_broker,
    enqueue_outbox,
    enqueue_run,
    installed_broker,
)
from jobs.errors import BrokerUnavailable, JobCancelled, PoisonMessage, UnknownConnector
from jobs.runtime import ResourcesMiddleware
from settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_empty_url_is_the_in_process_broker_with_our_middleware() -> None:
    settings = Settings(
        job_max_retries=4,
        job_min_backoff_ms=20,
        job_max_backoff_ms=900,
        job_time_limit_seconds=12,
        broker_namespace="hub-a",
    )
    broker = build_broker(settings)
    try:
        assert isinstance(broker, StubBroker) and current_broker() is broker
        kinds = [type(m) for m in broker.middleware]
        assert kinds[:4] == [AsyncIO, CurrentMessage, TimeLimit, Retries]
        assert ResourcesMiddleware in kinds and DeadLetterRecorder in kinds
        retries = next(m for m in broker.middleware if isinstance(m, Retries))
        assert (retries.max_retries, retries.min_backoff, retries.max_backoff) == (4, 20, 900)
        limit = next(m for m in broker.middleware if isinstance(m, TimeLimit))
        assert limit.time_limit == 12_000
        queues = {name: broker.get_actor(name).queue_name for name in broker.actors}
        assert queues == {
            "sync_stream": "hub-a.sync",
            "relay_outbox": "hub-a.outbox",
            "run_job": "hub-a.jobs",
        }
    finally:
        close_broker(broker)
    assert installed_broker() is None


def test_the_retry_policy_retries_transient_errors_only_while_retries_remain() -> None:
    broker = build_broker(Settings(job_max_retries=2), install=False)
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    assert retries.retry_when is not None
    assert retries.retry_when(0, RetriableError("503"))
    assert retries.retry_when(1, RuntimeError("boom"))
    assert not retries.retry_when(2, RetriableError("503"))  # retries ran out
    for never in (
        ConfigError("bad url"),
        UnknownConnector("gone"),
        PermanentError("400"),
        JobCancelled("stop"),
        PoisonMessage("bad args"),
    ):
        assert not retries.retry_when(0, never), never
    assert installed_broker() is not broker


def test_a_redis_url_builds_a_redis_broker_with_the_heartbeat_settings(
    redis_url: str, broker_namespace: str
) -> None:
    settings = Settings(
        broker_url=redis_url,
        broker_namespace=broker_namespace,
        redis_heartbeat_timeout_ms=4000,
        redis_maintenance_chance=250_000,
    )
    broker = build_broker(settings)
    try:
        assert isinstance(broker, RedisBroker)
        assert broker.namespace == broker_namespace
        assert (broker.heartbeat_timeout, broker.maintenance_chance) == (4000, 250_000)
        message_id = enqueue_run(41, "sync")
        assert broker.do_qsize(f"{broker_namespace}.sync") == 1
        assert isinstance(message_id, str) and message_id
    finally:
        close_broker(broker)


def test_an_amqp_url_builds_a_rabbitmq_broker_that_confirms_deliveries(
    amqp_url: str, broker_namespace: str
) -> None:
    broker = build_broker(Settings(broker_url=amqp_url, broker_namespace=broker_namespace))
    try:
        assert isinstance(broker, RabbitmqBroker) and broker.confirm_delivery
        enqueue_outbox(7)
        enqueue_run(8, "reencrypt")
        outbox = broker.get_queue_message_counts(f"{broker_namespace}.outbox")
        jobs = broker.get_queue_message_counts(f"{broker_namespace}.jobs")
        assert (outbox[0], jobs[0]) == (1, 1)
    finally:
        close_broker(broker)


def test_a_broker_that_is_down_fails_the_send_with_a_clear_error() -> None:
    down = f"redis://127.0.0.1:{_free_port()}/0"
    broker = build_broker(Settings(broker_url=down))
    try:
        with pytest.raises(BrokerUnavailable, match="CHANNELHUB_BROKER_URL"):
            enqueue_run(1, "sync")
    finally:
        close_broker(broker)


def test_sync_runs_go_to_the_sync_actor_and_other_kinds_to_run_job() -> None:
    assert actor_for_kind("sync") == "sync_stream"
    assert actor_for_kind("reencrypt") == "run_job"
    assert actor_for_kind("outbox_sweep") == "run_job"


def test_no_broker_installed_is_a_clear_error() -> None:
    close_broker()
    with pytest.raises(RuntimeError, match="build_broker"):
        enqueue_run(1, "sync")


def test_a_broker_url_of_an_unknown_kind_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(broker_url="kafka://user:hunter2@127.0.0.1:9092")
    assert "broker_url" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(ValidationError):
        Settings(events_url="amqp://127.0.0.1")  # RabbitMQ carries no run events
    with pytest.raises(ValidationError):
        Settings(broker_namespace="has space")
