"""The ``rest`` kind's error handler: classify a response, and back off before a retry.

``classify`` maps a status to an action, as Airbyte does: success → SUCCESS, 429 →
RATE_LIMITED, 5xx → RETRY, 401/403 → FAIL as a config error (wrong credentials), other 4xx →
FAIL as a permanent error. ``Backoff`` computes exponential delays with jitter, honours
``Retry-After`` (seconds or an HTTP date) and says when the attempt or time budget is spent.
Pure functions of their inputs: no sleeping and no I/O here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from connectors.rest.config import Retries


class Action(enum.Enum):
    SUCCESS = "success"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    CONFIG = "config_error"
    FAIL = "permanent_error"


def classify(status: int) -> Action:
    """What to do with an HTTP status."""
    if status < 400:
        return Action.SUCCESS
    if status == 429:
        return Action.RATE_LIMITED
    if status >= 500:
        return Action.RETRY
    if status in (401, 403):
        return Action.CONFIG
    return Action.FAIL


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Backoff:
    """One request's retry budget: attempts so far, and when the first attempt started."""

    policy: Retries
    started: float
    random: Callable[[], float]
    attempts: int = 0

    def delay(self, retry_after: float | None) -> float:
        """The wait before the next attempt: Retry-After if given, else jittered backoff."""
        if retry_after is not None:
            return retry_after
        exponential = self.policy.base_delay * 2.0 ** max(0, self.attempts - 1)
        capped = min(self.policy.max_delay, exponential)
        return capped / 2 + capped / 2 * self.random()

    def allows(self, delay: float, now: float) -> bool:
        """Whether another attempt fits in both the attempt and the elapsed-time bound."""
        if self.attempts >= self.policy.max_attempts:
            return False
        return now + delay - self.started <= self.policy.max_elapsed_seconds
