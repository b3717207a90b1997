"""``/metrics`` parses as Prometheus text and shows exactly the job runs, records, durations,
outbox backlog, dead letters, quarantined records, queue depths and connector calls the
test created; a broker that does not answer costs only its own metrics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import dramatiq
import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.broker import build_broker, close_broker
from jobs.connector_calls import ConnectorCalls
from jobs.metrics import CONTENT_TYPE, HubMetrics
from settings import Settings
from store.models.jobs import DeadLetter, JobRun
from store.models.outbox import OutboxEntry
from store.models.quarantine import QuarantinedRecord

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text body by (name, sorted labels)."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def at(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def names(found: Samples) -> set[str]:
    return {name for name, _ in found}


def _run(kind: str, status: str, seconds: float | None = None, **counts: int) -> JobRun:
    started = T0 if seconds is not None else None
    ended = T0 + timedelta(seconds=seconds) if seconds is not None else None
    return JobRun(kind=kind, status=status, started_at=started, ended_at=ended, **counts)


async def _add(sessions: async_sessionmaker[AsyncSession], rows: Iterable[Any]) -> None:
    async with sessions.begin() as session:
        session.add_all(list(rows))


def _outbox(n: int, status: str) -> OutboxEntry:
    return OutboxEntry(
        connector="erp",
        operation="create_order",
        entity="order",
        entity_id=n,
        idempotency_key=f"k-{n}",
        payload_json="{}",
        status=status,
    )


async def _create_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _add(
        sessions,
        [
            _run("sync", "SUCCEEDED", 2.0, records_read=10, records_inserted=7, records_updated=3),
            _run("sync", "SUCCEEDED", 40.0, records_read=5, records_unchanged=4, records_deleted=1),
            _run("sync", "FAILED", 0.5, records_read=2, records_quarantined=2),
            _run("sync", "QUEUED"),
            _run("reencrypt", "RUNNING"),
            _outbox(1, "PENDING"),
            _outbox(2, "PENDING"),
            _outbox(3, "SENT"),
            _outbox(4, "DEAD"),
            DeadLetter(message_id="m-1", queue="sync", actor="sync_stream", message_json="{}"),
            DeadLetter(
                message_id="m-2",
                queue="sync",
                actor="sync_stream",
                message_json="{}",
                replayed_at=T0,
            ),
            QuarantinedRecord(connector="erp", stream="partners", reason="r", payload_ct=b"x"),
            QuarantinedRecord(
                connector="erp", stream="partners", reason="r", payload_ct=b"x", resolved_at=T0
            ),
        ],
    )


async def test_metrics_show_the_runs_records_durations_and_backlogs(sessions: Any) -> None:
    await _create_rows(sessions)
    calls = ConnectorCalls()
    calls.record("erp", "read:partners", 0.2, None)
    calls.record("erp", "read:partners", 3.0, "transient_error")
    metrics = HubMetrics(sessions, calls=calls)
    found = samples((await metrics.render()).decode())

    assert at(found, "channelhub_metrics_up", source="database") == 1
    assert at(found, "channelhub_job_runs", kind="sync", status="SUCCEEDED") == 2
    assert at(found, "channelhub_job_runs", kind="sync", status="FAILED") == 1
    assert at(found, "channelhub_job_runs", kind="sync", status="QUEUED") == 1
    assert at(found, "channelhub_job_runs", kind="reencrypt", status="RUNNING") == 1

    def records(outcome: str) -> float:
        return at(found, "channelhub_job_records_total", kind="sync", outcome=outcome)

    assert [records(o) for o in ("read", "inserted", "updated", "unchanged")] == [17, 7, 3, 4]
    assert [records(o) for o in ("quarantined", "deleted")] == [2, 1]

    duration = "channelhub_job_run_duration_seconds"
    assert at(found, f"{duration}_count", kind="sync") == 3
    assert at(found, f"{duration}_sum", kind="sync") == 42.5
    assert at(found, f"{duration}_bucket", kind="sync", le="1.0") == 1
    assert at(found, f"{duration}_bucket", kind="sync", le="5.0") == 2
    assert at(found, f"{duration}_bucket", kind="sync", le="60.0") == 3
    assert at(found, f"{duration}_bucket", kind="sync", le="+Inf") == 3
    assert ("reencrypt",) not in {tuple(v for _, v in labels) for _, labels in found}

    assert at(found, "channelhub_outbox_entries", status="PENDING") == 2
    assert at(found, "channelhub_outbox_entries", status="SENT") == 1
    assert at(found, "channelhub_outbox_entries", status="DEAD") == 1
    assert at(found, "channelhub_dead_letters") == 1
    assert at(found, "channelhub_quarantined_records", connector="erp", stream="partners") == 1

    call = "channelhub_connector_call_seconds"
    assert at(found, f"{call}_count", connector="erp", operation="read:partners") == 2
    assert at(found, f"{call}_bucket", connector="erp", operation="read:partners", le="0.25") == 1
    assert at(found, f"{call}_sum", connector="erp", operation="read:partners") == 3.2
    errors = "channelhub_connector_errors_total"
    assert at(found, errors, connector="erp", kind="transient_error") == 1


async def test_queue_depth_comes_from_the_broker(sessions: Any) -> None:
    broker = StubBroker()
    try:

        @dramatiq.actor(broker=broker, queue_name="sync")
        def sync_stream(run_id: int) -> None:
            """Never runs here: no worker consumes this broker."""

        for run_id in range(3):
            sync_stream.send(run_id)
        sync_stream.send_with_options(args=(9,), delay=60_000)
        found = samples((await HubMetrics(sessions, lambda: broker).render()).decode())
    finally:
        broker.close()
    assert at(found, "channelhub_queue_messages", queue="sync", state="ready") == 3
    assert at(found, "channelhub_queue_messages", queue="sync", state="delayed") == 1
    assert at(found, "channelhub_queue_messages", queue="sync", state="dead") == 0
    assert at(found, "channelhub_metrics_up", source="broker") == 1


class _DownBroker:
    def get_declared_queues(self) -> set[str]:
        raise ConnectionError("broker down")


async def test_a_broker_that_does_not_answer_costs_only_its_own_metrics(sessions: Any) -> None:
    await _add(sessions, [_run("sync", "SUCCEEDED", 1.0)])
    found = samples((await HubMetrics(sessions, lambda: _DownBroker()).render()).decode())
    assert at(found, "channelhub_metrics_up", source="broker") == 0
    assert at(found, "channelhub_metrics_up", source="database") == 1
    assert at(found, "channelhub_job_runs", kind="sync", status="SUCCEEDED") == 1
    assert not any(name == "channelhub_queue_messages" for name, _ in found)


async def test_two_apps_keep_their_own_registries(sessions: Any) -> None:
    first, second = HubMetrics(sessions), HubMetrics(sessions)
    assert first.registry is not second.registry
    assert samples((await first.render()).decode()) == samples((await second.render()).decode())


async def test_get_metrics_serves_the_text_format(app: Any, sessions: Any) -> None:
    await _add(sessions, [_run("sync", "FAILED", 3.0, records_read=4)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    found = samples(response.text)
    assert at(found, "channelhub_job_runs", kind="sync", status="FAILED") == 1
    assert at(found, "channelhub_job_records_total", kind="sync", outcome="read") == 4
    assert at(found, "channelhub_dead_letters") == 0
    assert "channelhub_outbox_entries" not in names(found)  # no entries: no samples
    # the app's own (in-process) broker: its queues, empty
    assert at(found, "channelhub_metrics_up", source="broker") == 1
    assert at(found, "channelhub_queue_messages", queue="channelhub.sync", state="ready") == 0


@pytest.fixture(params=["redis", "rabbitmq"])
def networked(
    request: pytest.FixtureRequest, settings: Settings, broker_namespace: str
) -> Settings:
    """The test database's settings on Redis, then on RabbitMQ, in this test's namespace."""
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")
    return settings.model_copy(update={"broker_url": url, "broker_namespace": broker_namespace})


async def test_queue_depth_is_read_from_redis_and_rabbitmq(
    sessions: Any, networked: Settings
) -> None:
    broker = build_broker(networked, install=False)
    try:
        actor = broker.get_actor("sync_stream")
        for run_id in (1, 2):
            broker.enqueue(actor.message(run_id))
        broker.enqueue(actor.message(3), delay=60_000)
        metrics = HubMetrics(sessions, lambda: broker)
        queue = f"{networked.broker_namespace}.sync"
        found: Samples = {}
        for _ in range(50):  # RabbitMQ may count a just-confirmed message a moment later
            found = samples((await metrics.render()).decode())
            if at(found, "channelhub_queue_messages", queue=queue, state="ready") == 2:
                break
            await anyio.sleep(0.1)
    finally:
        close_broker(broker)
    assert at(found, "channelhub_queue_messages", queue=queue, state="ready") == 2
    assert at(found, "channelhub_queue_messages", queue=queue, state="delayed") == 1
    assert at(found, "channelhub_queue_messages", queue=queue, state="dead") == 0
    assert at(found, "channelhub_metrics_up", source="broker") == 1
