"""Small helpers the demo generators share: the row type, exact money, UTC times, EAN-13."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
"""One row for a Core ``insert()``: column name → value."""


def money(cents: int) -> Decimal:
    """An exact amount from a whole number of cents."""
    return Decimal(cents).scaleb(-2)


def uniform_int(rng: random.Random, low: int, high: int) -> int:
    """A random integer in ``[low, high]``; ``rng.randint`` is several times slower."""
    return low + int(rng.random() * (high - low + 1))


def utc_at(day: date, seconds: int = 0) -> datetime:
    """Midnight UTC of ``day`` plus ``seconds``."""
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A uniformly random whole second in ``[start, end]``."""
    span = max(int((end - start).total_seconds()), 0)
    return start + timedelta(seconds=uniform_int(rng, 0, span))


def random_day(rng: random.Random, start: date, end: date) -> date:
    """A uniformly random day in ``[start, end]``."""
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def ean13_check_digit(first12: str) -> int:
    """The GS1 check digit for a 12-digit EAN-13 body."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(f"an EAN-13 body is 12 digits, got {first12!r}")
    weighted = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - weighted % 10) % 10


def ean13(first12: str) -> str:
    """The full 13-digit barcode for a 12-digit body."""
    return first12 + str(ean13_check_digit(first12))


def is_valid_ean13(code: str) -> bool:
    """Whether ``code`` is 13 digits with a correct check digit."""
    return len(code) == 13 and code.isdigit() and ean13(code[:12]) == code
