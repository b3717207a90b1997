"""The process-wide memory of live values: fresh answers (TTL) and the last known ones.

Keyed by (connector, stream, entity, row id). ``fresh`` answers an entry until its TTL
expires; ``last`` answers the last value known in this process whatever its age (what a
failing ERP falls back to before asking the database). An ERP that failed is not asked again
for that stream until ``failing`` stops answering its problem (a short backoff), so a down
ERP costs one timeout, not one per request. Bounded: the least recently written entries go
first. Times are the caller's monotonic clock (injected, so tests never wait).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from store.repositories.live_values import KnownValue

__all__ = ["CacheKey", "Fresh", "LiveValueCache"]

CacheKey = tuple[str, str, str, int]
"""(connector, stream, entity, row id)."""

P = TypeVar("P")


@dataclass(frozen=True)
class Fresh:
    """An answer of the remote: a value, or ``None`` when it had no record for the key."""

    value: KnownValue | None
    fetched_at: datetime
    expires: float


class LiveValueCache(Generic[P]):
    """Fresh answers, last known values and failing streams of one process."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._fresh: OrderedDict[CacheKey, Fresh] = OrderedDict()
        self._last: OrderedDict[CacheKey, KnownValue] = OrderedDict()
        self._failing: dict[tuple[str, str], tuple[float, P]] = {}

    def fresh(self, key: CacheKey, now: float) -> Fresh | None:
        entry = self._fresh.get(key)
        if entry is None or entry.expires <= now:
            return None
        return entry

    def last(self, key: CacheKey) -> KnownValue | None:
        return self._last.get(key)

    def put(self, key: CacheKey, answer: Fresh) -> None:
        """Remember an answer until ``answer.expires`` (and its value as the last known)."""
        self._fresh[key] = answer
        self._fresh.move_to_end(key)
        if answer.value is not None:
            self.remember(key, answer.value)
        while len(self._fresh) > self.max_entries:
            self._fresh.popitem(last=False)

    def remember(self, key: CacheKey, value: KnownValue) -> None:
        """Keep ``value`` as the last known one unless a newer one is already kept."""
        kept = self._last.get(key)
        if kept is None or kept.fetched_at <= value.fetched_at:
            self._last[key] = value
            self._last.move_to_end(key)
        while len(self._last) > self.max_entries:
            self._last.popitem(last=False)

    def failing(self, stream: tuple[str, str], now: float) -> P | None:
        """The problem a stream failed with, while its backoff lasts."""
        found = self._failing.get(stream)
        if found is None or found[0] <= now:
            return None
        return found[1]

    def failed(self, stream: tuple[str, str], until: float, problem: P) -> None:
        self._failing[stream] = (until, problem)

    def recovered(self, stream: tuple[str, str]) -> None:
        self._failing.pop(stream, None)

    def clear(self) -> None:
        self._fresh.clear()
        self._last.clear()
        self._failing.clear()
