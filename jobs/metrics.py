"""``/metrics``: background work in the Prometheus text format.

``HubMetrics`` owns one ``CollectorRegistry`` per app (never the process-global one). Each
scrape first reads a snapshot, then renders it:

- from the database (right across processes): ``channelhub_job_runs{kind,status}``,
  ``channelhub_job_records_total{kind,outcome}`` (the sum of the runs' counts),
  ``channelhub_job_run_duration_seconds{kind}`` (histogram of ended runs),
  ``channelhub_outbox_entries{status}``, ``channelhub_dead_letters`` (not replayed) and
  ``channelhub_quarantined_records{connector,stream}`` (not resolved);
- from the broker: ``channelhub_queue_messages{queue,state}`` (state ``ready``: enqueued and
  not yet acknowledged, ``delayed``: waiting for a retry, ``dead``: the broker's own
  dead-letter queue) and ``channelhub_broker_up``;
- from this process (``jobs.connector_calls``): ``channelhub_connector_call_seconds
  {connector,operation}`` (histogram) and ``channelhub_connector_errors_total
  {connector,kind}``.

A database or broker that does not answer costs its own metrics (``channelhub_metrics_up
{source}`` says which), never the whole scrape. No label carries a secret: names of
connectors, streams, queues, kinds and statuses only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.connector_calls import CALL_BUCKETS, CALLS, CallStats, ConnectorCalls
from store.repositories.job_metrics import DurationHistogram, JobMetricsRepository

__all__ = ["CONTENT_TYPE", "DURATION_BUCKETS", "HubMetrics", "Snapshot", "queue_depths"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS: tuple[float, ...] = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600)
BROKER_TIMEOUT_SECONDS = 5.0


@dataclass
class Snapshot:
    """Everything one scrape shows, read before rendering."""

    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    records: dict[tuple[str, str], int] = field(default_factory=dict)
    durations: list[DurationHistogram] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    quarantined: dict[tuple[str, str], int] = field(default_factory=dict)
    queues: dict[tuple[str, str], int] = field(default_factory=dict)
    calls: dict[tuple[str, str], CallStats] = field(default_factory=dict)
    errors: dict[tuple[str, str], int] = field(default_factory=dict)
    up: dict[str, bool] = field(default_factory=dict)


def queue_depths(broker: Any) -> dict[tuple[str, str], int]:
    """Messages per (queue, state) of a dramatiq broker (blocking: call it in a thread)."""
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.brokers.stub import StubBroker

    found: dict[tuple[str, str], int] = {}
    queues = sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))
    for queue in queues:
        counts: tuple[int, ...]
        if isinstance(broker, StubBroker):
            counts = (
                broker.queues[queue].qsize(),
                broker.queues[f"{queue}.DQ"].qsize(),
                len(broker.dead_letters_by_queue.get(queue, [])),
            )
        elif isinstance(broker, RedisBroker):
            base = f"{broker.namespace}:{queue}"
            counts = tuple(
                int(broker.client.hlen(f"{base}{suffix}.msgs")) for suffix in ("", ".DQ", ".XQ")
            )
        elif isinstance(broker, RabbitmqBroker):
            counts = broker.get_queue_message_counts(queue)
        else:
            continue
        for state, count in zip(("ready", "delayed", "dead"), counts, strict=True):
            found[(queue, state)] = int(count)
    return found


async def _read_database(sessions: async_sessionmaker[AsyncSession], snapshot: Snapshot) -> None:
    async with sessions() as session:
        repository = JobMetricsRepository(session)
        snapshot.runs = await repository.runs_by_kind_and_status()
        snapshot.records = await repository.records_by_kind_and_outcome()
        snapshot.durations = await repository.durations(DURATION_BUCKETS)
        snapshot.outbox = await repository.outbox_by_status()
        snapshot.dead_letters = await repository.dead_letters_waiting()
        snapshot.quarantined = await repository.quarantined_unresolved()


class _Collector(Collector):
    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        up = GaugeMetricFamily(
            "channelhub_metrics_up", "Whether a metrics source answered.", labels=["source"]
        )
        for source, ok in sorted(s.up.items()):
            up.add_metric([source], 1 if ok else 0)
        yield up
        yield from self._database(s)
        yield from self._broker(s)
        yield from self._calls(s)

    def _database(self, s: Snapshot) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "channelhub_job_runs", "Job runs by kind and status.", labels=["kind", "status"]
        )
        for (kind, status), n in sorted(s.runs.items()):
            runs.add_metric([kind, status], n)
        records = CounterMetricFamily(
            "channelhub_job_records",
            "Records handled by job runs, by outcome (sum of the runs' counts).",
            labels=["kind", "outcome"],
        )
        for (kind, outcome), n in sorted(s.records.items()):
            records.add_metric([kind, outcome], n)
        durations = HistogramMetricFamily(
            "channelhub_job_run_duration_seconds", "Durations of ended job runs.", labels=["kind"]
        )
        for h in sorted(s.durations, key=lambda h: h.kind):
            bounds = [str(float(b)) for b in DURATION_BUCKETS] + ["+Inf"]
            buckets = list(zip(bounds, [*h.buckets, h.count], strict=True))
            durations.add_metric([h.kind], buckets, sum_value=h.total_seconds)
        outbox = GaugeMetricFamily(
            "channelhub_outbox_entries", "Outbox entries by status.", labels=["status"]
        )
        for status, n in sorted(s.outbox.items()):
            outbox.add_metric([status], n)
        dead = GaugeMetricFamily("channelhub_dead_letters", "Dead-lettered messages not replayed.")
        dead.add_metric([], s.dead_letters)
        quarantined = GaugeMetricFamily(
            "channelhub_quarantined_records",
            "Quarantined records not resolved.",
            labels=["connector", "stream"],
        )
        for (connector, stream), n in sorted(s.quarantined.items()):
            quarantined.add_metric([connector, stream], n)
        yield from (runs, records, durations, outbox, dead, quarantined)

    def _broker(self, s: Snapshot) -> Iterator[Metric]:
        queues = GaugeMetricFamily(
            "channelhub_queue_messages", "Messages in broker queues.", labels=["queue", "state"]
        )
        for (queue, state), n in sorted(s.queues.items()):
            queues.add_metric([queue, state], n)
        yield queues

    def _calls(self, s: Snapshot) -> Iterator[Metric]:
        calls = HistogramMetricFamily(
            "channelhub_connector_call_seconds",
            "Connector call latency in this process.",
            labels=["connector", "operation"],
        )
        bounds = [str(float(b)) for b in CALL_BUCKETS] + ["+Inf"]
        for (connector, operation), stats in sorted(s.calls.items()):
            buckets = list(zip(bounds, [*stats.buckets, stats.count], strict=True))
            calls.add_metric([connector, operation], buckets, sum_value=stats.total_seconds)
        errors = CounterMetricFamily(
            "channelhub_connector_errors",
            "Failed connector calls in this process, by kind.",
            labels=["connector", "kind"],
        )
        for (connector, kind), n in sorted(s.errors.items()):
            errors.add_metric([connector, kind], n)
        yield from (calls, errors)


class HubMetrics:
    """The metrics of one app: ``await render()`` is the body of ``GET /metrics``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: Callable[[], Any | None] = lambda: None,
        calls: ConnectorCalls = CALLS,
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.calls = calls
        self.registry = CollectorRegistry(auto_describe=False)
        self._collector = _Collector()
        self.registry.register(self._collector)

    async def snapshot(self) -> Snapshot:
        snapshot = Snapshot(calls=self.calls.calls(), errors=self.calls.errors())
        try:
            await _read_database(self.sessions, snapshot)
            snapshot.up["database"] = True
        except Exception as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            snapshot.up["database"] = False
        broker = self.broker()
        if broker is not None:
            try:
                depths = asyncio.to_thread(queue_depths, broker)
                snapshot.queues = await asyncio.wait_for(depths, BROKER_TIMEOUT_SECONDS)
                snapshot.up["broker"] = True
            except Exception as error:
                log.warning("metrics: the broker did not answer (%s)", type(error).__name__)
                snapshot.up["broker"] = False
        return snapshot

    async def render(self) -> bytes:
        """The Prometheus text of a fresh snapshot."""
        self._collector.snapshot = await self.snapshot()
        return generate_latest(self.registry)
