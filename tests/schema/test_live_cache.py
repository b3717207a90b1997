"""The process memory of live values: fresh until the TTL, last known kept (never replaced by
an older value), bounded, and a failing stream remembered for its backoff only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resolvers.live_cache import Fresh, LiveValueCache
from store.repositories.live_values import KnownValue

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_fresh_until_it_expires_then_still_the_last_known() -> None:
    cache: LiveValueCache[str] = LiveValueCache()
    key = ("erp", "balances", "partner", 1)
    value = KnownValue({"balance": "1.00"}, T0)
    cache.put(key, Fresh(value, T0, expires=100.0))
    assert cache.fresh(key, 99.9) == Fresh(value, T0, 100.0)
    assert cache.fresh(key, 100.0) is None
    assert cache.last(key) == value


def test_an_answer_without_a_record_is_fresh_but_not_a_last_value() -> None:
    cache: LiveValueCache[str] = LiveValueCache()
    key = ("erp", "balances", "partner", 2)
    cache.put(key, Fresh(None, T0, expires=10.0))
    assert cache.fresh(key, 5.0) == Fresh(None, T0, 10.0)
    assert cache.last(key) is None


def test_an_older_value_never_replaces_a_newer_one() -> None:
    cache: LiveValueCache[str] = LiveValueCache()
    key = ("erp", "balances", "partner", 3)
    newer = KnownValue({"balance": "2"}, T0 + timedelta(minutes=5))
    cache.remember(key, newer)
    cache.remember(key, KnownValue({"balance": "1"}, T0))
    assert cache.last(key) == newer


def test_bounded_oldest_written_first_out() -> None:
    cache: LiveValueCache[str] = LiveValueCache(max_entries=3)
    for row in range(5):
        cache.put(("erp", "s", "partner", row), Fresh(KnownValue({}, T0), T0, expires=50.0))
    assert [cache.fresh(("erp", "s", "partner", r), 1.0) is not None for r in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert cache.last(("erp", "s", "partner", 0)) is None
    assert cache.last(("erp", "s", "partner", 4)) is not None


def test_failing_streams_for_their_backoff() -> None:
    cache: LiveValueCache[str] = LiveValueCache()
    cache.failed(("erp", "s"), until=20.0, problem="down")
    assert cache.failing(("erp", "s"), 19.0) == "down"
    assert cache.failing(("erp", "other"), 19.0) is None
    assert cache.failing(("erp", "s"), 20.0) is None
    cache.failed(("erp", "s"), until=30.0, problem="down")
    cache.recovered(("erp", "s"))
    assert cache.failing(("erp", "s"), 21.0) is None
