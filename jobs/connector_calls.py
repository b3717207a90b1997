"""Connector call latency and errors, measured in this process for ``/metrics``.

``instrument_kinds(kinds)`` wraps every factory of a kind registry so the connectors it
builds are ``InstrumentedConnector``: each ``check``, ``discover``, ``write``, live ``fetch``,
outbox ``lookup`` and each page of a ``read`` is timed and recorded in ``CALLS`` (per connector and
operation), and a failure is counted by connector and its classified ``kind``
(``connectors.errors.ConnectorError.kind``; anything else is ``system_error``). Nothing about
the call's arguments or the error's message is kept, so no secret can reach the metrics.
Everything else a connector offers is passed through unchanged.

The numbers are per process: a worker process has its own (scrape each process that talks
to ERPs, or run the workers inside ``serve``). Recording is thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError
from connectors.protocol import CheckResult, Connector, EndpointInfo, Page, WriteResult
from connectors.registry import ConnectorFactory, ConnectorResources

__all__ = [
    "CALLS",
    "CALL_BUCKETS",
    "CallStats",
    "ConnectorCalls",
    "InstrumentedConnector",
    "instrument",
    "instrument_kinds",
]

TIMED_EXTRAS = frozenset({"fetch", "lookup"})
"""Optional connector methods (live reads, outbox lookups) timed when a connector has them;
their first argument (stream or operation) names the call."""

CALL_BUCKETS: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class CallStats:
    """A latency histogram of one (connector, operation): cumulative counts per bucket."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(CALL_BUCKETS))
    count: int = 0
    total_seconds: float = 0.0


class ConnectorCalls:
    """Call latencies per (connector, operation) and errors per (connector, kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], CallStats] = {}
        self._errors: dict[tuple[str, str], int] = {}

    def record(self, connector: str, operation: str, seconds: float, error: str | None) -> None:
        with self._lock:
            stats = self._calls.setdefault((connector, operation), CallStats())
            stats.count += 1
            stats.total_seconds += seconds
            for i, bound in enumerate(CALL_BUCKETS):
                if seconds <= bound:
                    stats.buckets[i] += 1
            if error is not None:
                key = (connector, error)
                self._errors[key] = self._errors.get(key, 0) + 1

    def calls(self) -> dict[tuple[str, str], CallStats]:
        """A copy of the latency histograms."""
        with self._lock:
            return {
                key: CallStats(list(s.buckets), s.count, s.total_seconds)
                for key, s in self._calls.items()
            }

    def errors(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._errors)


CALLS = ConnectorCalls()
"""This process's connector call statistics."""


def _kind(error: BaseException) -> str:
    return error.kind if isinstance(error, ConnectorError) else "system_error"


def _since(started: float) -> float:
    return time.perf_counter() - started


class _Timer:
    """Times one call; an exception leaving it is counted as an error of its kind."""

    def __init__(self, calls: ConnectorCalls, connector: str, operation: str) -> None:
        self.calls, self.connector, self.operation = calls, connector, operation

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        failed = _kind(error) if isinstance(error, Exception) else None
        if error is not None and failed is None:
            return  # cancelled: not a call that finished
        self.calls.record(self.connector, self.operation, _since(self.started), failed)


class InstrumentedConnector:
    """A connector whose calls are timed into ``calls``; otherwise exactly ``inner``."""

    def __init__(self, inner: Connector, calls: ConnectorCalls = CALLS) -> None:
        self.inner = inner
        self.calls = calls
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if name in TIMED_EXTRAS and callable(found):
            return self._timed(name, found)
        return found

    def _timed(self, name: str, method: Any) -> Any:
        """An optional capability (``fetch``, ``lookup``), timed per call like the others."""

        async def timed(what: str, *args: Any, **kwargs: Any) -> Any:
            with self._timer(f"{name}:{what}"):
                return await method(what, *args, **kwargs)

        return timed

    def _timer(self, operation: str) -> _Timer:
        return _Timer(self.calls, self.name, operation)

    async def check(self) -> CheckResult:
        with self._timer("check"):
            return await self.inner.check()

    async def discover(self) -> list[EndpointInfo]:
        with self._timer("discover"):
            return await self.inner.discover()

    async def read(
        self, stream: str, state: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Page]:
        """Each page fetched is one timed call; the end of the stream is not a call."""
        pages = self.inner.read(stream, state)
        operation = f"read:{stream}"
        try:
            while True:
                started = time.perf_counter()
                try:
                    page = await anext(pages)
                except StopAsyncIteration:
                    return
                except Exception as error:
                    self.calls.record(self.name, operation, _since(started), _kind(error))
                    raise
                self.calls.record(self.name, operation, _since(started), None)
                yield page
        finally:
            close = getattr(pages, "aclose", None)
            if close is not None:
                await close()

    async def write(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult:
        with self._timer(f"write:{operation}"):
            return await self.inner.write(operation, record, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        await self.inner.aclose()


def instrument(connector: Connector, calls: ConnectorCalls = CALLS) -> Connector:
    if isinstance(connector, InstrumentedConnector):
        return connector
    return InstrumentedConnector(connector, calls)


def _instrumented(factory: ConnectorFactory, calls: ConnectorCalls) -> ConnectorFactory:
    def build(config: Any, resources: ConnectorResources) -> Connector:
        return instrument(factory(config, resources), calls)

    return build


def instrument_kinds(
    kinds: Mapping[str, ConnectorFactory], calls: ConnectorCalls = CALLS
) -> dict[str, ConnectorFactory]:
    """The registry ``kinds`` with every connector it builds instrumented."""
    return {name: _instrumented(factory, calls) for name, factory in kinds.items()}
