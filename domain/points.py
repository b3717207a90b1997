"""Partner points: what an engagement event earns, the balance, and redemption without overdraft.

Interface (others call these names)::

    class EarningKind(StrEnum): PURCHASE, TASK_COMPLETED, TRAINING_PASSED, SCAN_REPORT
    PointsRules(amount_step=Decimal("100"), points_per_step=1, task_completed=50,
                training_passed=100, scan_report_per_unit=1)
    Earning(kind, amount=Decimal(0), quantity=0)            # one event to be rewarded
    validate_rules(rules) -> None                           # raises PointsRuleError(field, msg)
    points_for(rules, earning) -> int                       # whole points, never negative
    balance(entries: Iterable[int]) -> int                  # the sum of signed ledger entries
    redeem(balance, cost) -> int                            # the balance after; refuses overdraft

Exception tree::

    PointsError                      a ValueError; the base of the two below
    ├── PointsRuleError(field, message)   rules or an earning that make no sense (a negative
    │                                      amount, a zero step); names the field
    └── InsufficientPoints(balance, cost)  a redemption beyond the balance: nothing is debited

Meaning of the numbers:

- Points are whole numbers. The ledger is append-only: an earning is a positive entry, a
  redemption a negative one, a correction a new entry; the balance is their sum.
- *Purchase volume*: every full ``amount_step`` of money spent earns ``points_per_step``
  (rounded down: a partial step earns nothing). Net amounts below zero (more returned than
  bought) earn nothing here; a clawback is a separate, negative entry decided by the caller.
- *Task completed* and *training passed* earn a fixed number of points per event.
- *Scan report*: ``scan_report_per_unit`` points per unit reported.
- *Redemption* debits ``cost`` from the balance and refuses any cost above it (reaching
  exactly zero is allowed) and any cost that is not positive.

Worked examples with the default rules (100.00 of purchases = 1 point, a task 50, a course
100, a scanned unit 1):

=======================================  ======
event                                    points
=======================================  ======
purchase of 12 345.67                    123
purchase of 99.99                        0
purchase of 100.00                       1
task completed                           50
training passed                          100
scan report of 24 units                  24
=======================================  ======

Balance of entries ``[123, 50, 100, -200]`` is 73; ``redeem(73, 73) == 0``;
``redeem(73, 74)`` raises ``InsufficientPoints(balance=73, cost=74)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Earning",
    "EarningKind",
    "InsufficientPoints",
    "PointsError",
    "PointsRuleError",
    "PointsRules",
    "balance",
    "points_for",
    "redeem",
    "validate_rules",
]


class PointsError(ValueError):
    """Base of the points errors."""


class PointsRuleError(PointsError):
    """Rules or an earning that make no sense; ``field`` names the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InsufficientPoints(PointsError):
    """A redemption beyond the balance; nothing was debited."""

    def __init__(self, balance: int, cost: int) -> None:
        super().__init__(f"redemption of {cost} points exceeds the balance of {balance} points")
        self.balance = balance
        self.cost = cost


class EarningKind(StrEnum):
    PURCHASE = "PURCHASE"
    TASK_COMPLETED = "TASK_COMPLETED"
    TRAINING_PASSED = "TRAINING_PASSED"
    SCAN_REPORT = "SCAN_REPORT"


@dataclass(frozen=True)
class PointsRules:
    amount_step: Decimal = Decimal("100")
    points_per_step: int = 1
    task_completed: int = 50
    training_passed: int = 100
    scan_report_per_unit: int = 1


@dataclass(frozen=True)
class Earning:
    kind: EarningKind
    amount: Decimal = Decimal(0)
    quantity: int = 0


def validate_rules(rules: PointsRules) -> None:
    """Refuse rules that make no sense, naming the field."""
    if not rules.amount_step.is_finite() or rules.amount_step <= 0:
        raise PointsRuleError("amount_step", "must be a positive amount")
    for name in ("points_per_step", "task_completed", "training_passed", "scan_report_per_unit"):
        value = getattr(rules, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PointsRuleError(name, "must be a whole number of points, zero or more")


def points_for(rules: PointsRules, earning: Earning) -> int:
    """Whole points one event earns under ``rules`` (never negative)."""
    validate_rules(rules)
    if earning.kind is EarningKind.PURCHASE:
        if not earning.amount.is_finite():
            raise PointsRuleError("amount", "must be a finite amount")
        if earning.amount <= 0:
            return 0
        steps = int(earning.amount // rules.amount_step)
        return steps * rules.points_per_step
    if earning.kind is EarningKind.TASK_COMPLETED:
        return rules.task_completed
    if earning.kind is EarningKind.TRAINING_PASSED:
        return rules.training_passed
    if earning.quantity < 0:
        raise PointsRuleError("quantity", "a scan report cannot have a negative quantity")
    return earning.quantity * rules.scan_report_per_unit


def balance(entries: Iterable[int]) -> int:
    """The balance of a partner's signed ledger entries."""
    return sum(entries, 0)


def redeem(balance: int, cost: int) -> int:
    """The balance after redeeming ``cost`` points; refuses a cost above the balance."""
    if cost <= 0:
        raise PointsRuleError("cost", "a redemption costs a positive number of points")
    if cost > balance:
        raise InsufficientPoints(balance=balance, cost=cost)
    return balance - cost
