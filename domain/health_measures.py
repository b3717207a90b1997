"""From a partner's raw measures of a month to the health components (0–100 each).

Interface::

    PartnerMeasures(monthly_amounts, last_year_amount, invoices_due, invoices_paid,
                    overdue_days, on_hand, units_bought_12w, tasks_assigned, tasks_reported,
                    documents, documents_valid)
    components_from(m: PartnerMeasures) -> dict[HealthComponent, Decimal]
    month_start(period: str) -> date; add_months(d: date, n: int) -> date
    HealthRuleError for a period that is not "YYYY-MM"

What each component reads (the month scored is the last of ``monthly_amounts``, which holds
the six months up to it, oldest first; amounts are orders placed, not DRAFT or CANCELLED):

- ``TARGET``: attainment of the run-rate target (the mean of the three months before) plus
  half the year-over-year growth (``domain.health.target_score``); no run-rate: 100 when the
  month sold anything, else 0. No order in the month scores 0.
- ``ORDER_STABILITY``: ``stability_score`` of the six months.
- ``PAYMENT``: share of the invoices due in the window that are paid, minus 2 points per
  average day overdue of the unpaid ones (``payment_score``); no invoice due: 100.
- ``INVENTORY``: weeks of cover = on hand ÷ (units bought in the last 12 weeks ÷ 12)
  (``inventory_score``); nothing on hand and nothing bought: 100; stock but no purchases: 0.
- ``ENGAGEMENT``: share of the tasks assigned that have a progress report; none assigned: 100.
- ``COMPLIANCE``: share of the partner's documents verified and not expired; none on file: 0.

Worked example: amounts 100, 100, 100, 100, 100, 110 (run-rate 100, attainment 110 % →
100), last year 100 (growth 10 % → +5, capped) → target 100; stability 100 - 100 × 0.0367 =
96.33; 4 invoices due, 3 paid, the open one 5 days overdue → 75 - 10 = 65; 40 on hand, 120
bought in 12 weeks (10 a week) → 4 weeks → 100; 2 of 4 tasks reported → 50; 1 of 2 documents
valid → 50.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.health import (
    HealthComponent,
    HealthRuleError,
    inventory_score,
    payment_score,
    stability_score,
    target_score,
)

__all__ = ["PartnerMeasures", "add_months", "components_from", "month_start"]

HUNDRED = Decimal(100)
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class PartnerMeasures:
    monthly_amounts: Sequence[Decimal]
    last_year_amount: Decimal = Decimal(0)
    invoices_due: int = 0
    invoices_paid: int = 0
    overdue_days: Sequence[int] = ()
    on_hand: int = 0
    units_bought_12w: int = 0
    tasks_assigned: int = 0
    tasks_reported: int = 0
    documents: int = 0
    documents_valid: int = 0


def month_start(period: str) -> date:
    """The first day of ``"YYYY-MM"``."""
    found = _PERIOD.match(period)
    if found is None:
        raise HealthRuleError("period", f'must be "YYYY-MM" (got {period!r})')
    return date(int(found[1]), int(found[2]), 1)


def add_months(d: date, n: int) -> date:
    """The first day of the month ``n`` months after ``d``'s (``n`` may be negative)."""
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _share(part: int, whole: int, empty: Decimal) -> Decimal:
    return empty if whole <= 0 else Decimal(part) / Decimal(whole) * HUNDRED


def _target(m: PartnerMeasures) -> Decimal:
    amounts = list(m.monthly_amounts)
    current = amounts[-1] if amounts else Decimal(0)
    if current <= 0:
        return Decimal(0)
    before = amounts[-4:-1]
    run_rate = sum(before, Decimal(0)) / len(before) if before else Decimal(0)
    if run_rate <= 0:
        return HUNDRED
    growth = None
    if m.last_year_amount > 0:
        growth = (current - m.last_year_amount) / m.last_year_amount
    return target_score(current, run_rate, growth)


def _inventory(m: PartnerMeasures) -> Decimal:
    if m.units_bought_12w <= 0:
        return HUNDRED if m.on_hand <= 0 else Decimal(0)
    weekly = Decimal(m.units_bought_12w) / 12
    return inventory_score(Decimal(max(0, m.on_hand)) / weekly)


def _payment(m: PartnerMeasures) -> Decimal:
    if m.invoices_due <= 0:
        return HUNDRED
    late = Decimal(sum(m.overdue_days)) / len(m.overdue_days) if m.overdue_days else Decimal(0)
    return payment_score(Decimal(m.invoices_paid) / Decimal(m.invoices_due), late)


def components_from(m: PartnerMeasures) -> dict[HealthComponent, Decimal]:
    """The six component scores of one partner's month (see the module docstring)."""
    raw = {
        HealthComponent.TARGET: _target(m),
        HealthComponent.ORDER_STABILITY: stability_score(list(m.monthly_amounts)),
        HealthComponent.PAYMENT: _payment(m),
        HealthComponent.INVENTORY: _inventory(m),
        HealthComponent.ENGAGEMENT: _share(m.tasks_reported, m.tasks_assigned, HUNDRED),
        HealthComponent.COMPLIANCE: _share(m.documents_valid, m.documents, Decimal(0)),
    }
    return {c: v.quantize(Decimal("0.01")) for c, v in raw.items()}
