"""When demo orders were placed, by whom, and which statuses each went through.

Orders fall on days with monthly seasonality (stocking up before Chinese New Year, a lull
during it, the 618 and Singles' Day peaks) on top of 20 %/year growth, mostly in Beijing
business hours. Each order walks DRAFT → SUBMITTED → APPROVED → SHIPPED → DELIVERED → CLOSED
with realistic delays and stops where ``now`` cuts it off, so old orders are closed and recent
ones still open; a few are cancelled on the way.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple

from demo.partners import PartnerInfo
from demo.values import uniform_int, utc_at
from domain.enums import OrderStatus

ANNUAL_GROWTH = 1.2
MONTH_FACTOR = (1.15, 0.9, 0.9, 0.95, 1.0, 1.15, 0.9, 0.9, 1.0, 1.05, 1.45, 1.15)
WEEKDAY_FACTOR = (1.0, 1.05, 1.05, 1.0, 1.0, 0.55, 0.4)
CHINESE_NEW_YEAR = {
    2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10),
    2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11),
}  # fmt: skip
FLOW = (
    OrderStatus.SUBMITTED,
    OrderStatus.APPROVED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CLOSED,
)
STEP_HOURS = ((0.1, 36.0), (1.0, 72.0), (12.0, 120.0), (24.0, 168.0), (240.0, 1080.0))
CANCEL_HOURS = (2.0, 96.0)
CANCEL_ODDS = 0.06
_STEPS = tuple(
    (status, int(low * 3600), int((high - low) * 3600))
    for status, (low, high) in zip(FLOW, STEP_HOURS, strict=True)
)
_CANCEL_STEP = (
    OrderStatus.CANCELLED,
    int(CANCEL_HOURS[0] * 3600),
    int((CANCEL_HOURS[1] - CANCEL_HOURS[0]) * 3600),
)
LINE_COUNT_WEIGHTS = (10, 18, 20, 20, 17, 15)  # 1-6 lines, about 3.6 on average


class OrderPlan(NamedTuple):
    """One order before its lines are drawn; ``path`` lists every status it entered."""

    id: int
    partner: PartnerInfo
    created_at: datetime
    line_count: int
    path: tuple[tuple[OrderStatus, datetime], ...]

    @property
    def row_count(self) -> int:
        return 1 + self.line_count + len(self.path)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to month end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def day_weight(day: date, start: date) -> float:
    """Relative order volume of ``day`` in a window that began on ``start``."""
    weight = MONTH_FACTOR[day.month - 1] * WEEKDAY_FACTOR[day.weekday()]
    new_year = CHINESE_NEW_YEAR.get(day.year, date(day.year, 2, 1))
    if day > new_year + timedelta(days=300):
        new_year = CHINESE_NEW_YEAR.get(day.year + 1, date(day.year + 1, 2, 1))
    before = (new_year - day).days
    if 0 < before <= 28:
        weight *= 1.6  # stocking up for the holiday
    elif -10 < before <= 0:
        weight *= 0.3  # the holiday itself
    return float(weight * ANNUAL_GROWTH ** ((day - start).days / 365.25))


def order_times(rng: random.Random, count: int, start: datetime, now: datetime) -> list[datetime]:
    """``count`` sorted creation times in ``(start, now]`` following :func:`day_weight`."""
    days = [start.date() + timedelta(days=d) for d in range((now.date() - start.date()).days + 1)]
    weights = [day_weight(day, start.date()) for day in days]
    ceiling = max(weights)
    times: list[datetime] = []
    while len(times) < count:
        index = uniform_int(rng, 0, len(days) - 1)
        if rng.random() * ceiling >= weights[index]:
            continue
        if rng.random() < 0.85:
            seconds = uniform_int(rng, 1800, 11 * 3600)  # 08:30-19:00 in Beijing
        else:
            seconds = uniform_int(rng, 0, 86_399)
        moment = utc_at(days[index], seconds)
        if start < moment <= now:
            times.append(moment)
    times.sort()
    return times


def status_path(
    rng: random.Random, created: datetime, now: datetime
) -> tuple[tuple[OrderStatus, datetime], ...]:
    """Every status the order entered up to ``now``, starting with DRAFT at ``created``."""
    path = [(OrderStatus.DRAFT, created)]
    cancel_at = int(rng.random() * 3) if rng.random() < CANCEL_ODDS else -1
    moment = created
    for step, (status, low, span) in enumerate(_STEPS):
        if step == cancel_at:
            status, low, span = _CANCEL_STEP
        moment += timedelta(seconds=low + int(rng.random() * span))
        if moment > now:
            break
        path.append((status, moment))
        if step == cancel_at:
            break
    return tuple(path)


def _buyer(
    rng: random.Random, buyers: list[PartnerInfo], cum: list[float], day: date
) -> PartnerInfo:
    for _ in range(50):
        partner = rng.choices(buyers, cum_weights=cum)[0]
        first, last = partner.orders_from, partner.orders_until
        if first is not None and first <= day and (last is None or day < last):
            return partner
    return buyers[0]  # the first distributor trades over the whole window


def plan_orders(
    rng: random.Random, count: int, partners: list[PartnerInfo], start: datetime, now: datetime
) -> list[OrderPlan]:
    """``count`` plans with ids 1…count in creation order; only ACTIVE/SUSPENDED partners buy."""
    buyers = [p for p in partners if p.orders_from is not None]
    if not buyers or buyers[0].orders_from != start.date():
        raise ValueError("the first partner must be able to order over the whole window")
    cum = list(accumulate(p.buying_weight for p in buyers))
    sizes = range(1, len(LINE_COUNT_WEIGHTS) + 1)
    plans: list[OrderPlan] = []
    for created in order_times(rng, count, start, now):
        partner = _buyer(rng, buyers, cum, created.date())
        lines = rng.choices(sizes, LINE_COUNT_WEIGHTS)[0]
        path = status_path(rng, created, now)
        plans.append(OrderPlan(len(plans) + 1, partner, created, lines, path))
    return plans
