"""Order rules: the status machine, who may order what, and exact line and total arithmetic.

Exception tree::

    OrderRuleError              an order request or change the rules refuse
    ├── TransitionNotAllowed    a status change outside the transition table
    └── InvalidOrder            bad lines (quantities, prices) or an amount out of range

Money is ``Decimal`` throughout and computed in a local context that traps inexact results,
so a total is either exact or refused, never silently rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, Inexact, localcontext

from domain.enums import OrderStatus, PartnerStatus, ProductLifecycle

S = OrderStatus

TRANSITIONS: Mapping[OrderStatus, tuple[OrderStatus, ...]] = {
    S.DRAFT: (S.SUBMITTED, S.CANCELLED),
    S.SUBMITTED: (S.APPROVED, S.CANCELLED),
    S.APPROVED: (S.SHIPPED, S.CANCELLED),
    S.SHIPPED: (S.DELIVERED,),
    S.DELIVERED: (S.CLOSED,),
    S.CLOSED: (),
    S.CANCELLED: (),
}
"""Every allowed status change, in the order a client would offer them."""

INITIAL_STATUSES = (S.DRAFT, S.SUBMITTED)
ORDERING_PARTNER_STATUSES = frozenset({PartnerStatus.ACTIVE})
ORDERABLE_LIFECYCLES = frozenset(
    {ProductLifecycle.LAUNCHED, ProductLifecycle.ACTIVE, ProductLifecycle.PHASE_OUT}
)

AMOUNT_PLACES = 4
MAX_AMOUNT = Decimal("99999999999999.9999")
"""The largest amount a money column holds on every backend (14 integer digits, 4 places)."""
_QUANTUM = Decimal(1).scaleb(-AMOUNT_PLACES)


class OrderRuleError(Exception):
    """A request or change the order rules refuse."""


class TransitionNotAllowed(OrderRuleError):
    def __init__(self, from_status: OrderStatus, to_status: OrderStatus) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = allowed_targets(from_status)
        targets = ", ".join(self.allowed) or "none (final status)"
        super().__init__(
            f"an order cannot go from {from_status} to {to_status}; allowed: {targets}"
        )


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line (``index`` from 0), or with the whole order (``None``)."""

    index: int | None
    field: str
    message: str


class InvalidOrder(OrderRuleError):
    def __init__(self, problems: Sequence[LineProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


def allowed_targets(status: OrderStatus) -> tuple[OrderStatus, ...]:
    return TRANSITIONS[status]


def check_transition(from_status: OrderStatus, to_status: OrderStatus) -> None:
    """Raise ``TransitionNotAllowed`` unless ``from_status → to_status`` is in the table."""
    if to_status not in TRANSITIONS[from_status]:
        raise TransitionNotAllowed(from_status, to_status)


def partner_may_order(status: PartnerStatus) -> bool:
    return status in ORDERING_PARTNER_STATUSES


def product_orderable(lifecycle: ProductLifecycle) -> bool:
    return lifecycle in ORDERABLE_LIFECYCLES


def quantity_problem(quantity: object) -> str | None:
    """Why ``quantity`` cannot be ordered, or None: it must be a positive integer."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "quantity must be a whole number"
    if quantity <= 0:
        return "quantity must be greater than 0"
    return None


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is not a storable non-negative amount of money, or None."""
    if not amount.is_finite():
        return "must be a finite amount"
    if amount < 0:
        return "must not be negative"
    if amount > MAX_AMOUNT:
        return f"must not exceed {MAX_AMOUNT}"
    if amount != amount.quantize(_QUANTUM):
        return f"must have at most {AMOUNT_PLACES} decimal places"
    return None


@dataclass(frozen=True)
class LineRequest:
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class PricedLine:
    line_no: int
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class PricedOrder:
    lines: tuple[PricedLine, ...]
    total: Decimal


def line_problems(index: int, quantity: object, unit_price: Decimal | None) -> list[LineProblem]:
    """Problems of one requested line; ``unit_price`` None means "the list price"."""
    problems = []
    if (message := quantity_problem(quantity)) is not None:
        problems.append(LineProblem(index, "quantity", message))
    if unit_price is not None and (message := amount_problem(unit_price)) is not None:
        problems.append(LineProblem(index, "unit_price", f"unit price {message}"))
    return problems


def price_lines(lines: Sequence[LineRequest]) -> PricedOrder:
    """Number the lines from 1 and compute each line total and the order total exactly."""
    problems = [
        p for i, line in enumerate(lines) for p in line_problems(i, line.quantity, line.unit_price)
    ]
    if not lines:
        problems.append(LineProblem(None, "lines", "an order needs at least one line"))
    if problems:
        raise InvalidOrder(problems)
    with localcontext() as ctx:
        ctx.prec = 60
        ctx.traps[Inexact] = True
        priced = tuple(
            PricedLine(n, line.quantity, line.unit_price, line.unit_price * line.quantity)
            for n, line in enumerate(lines, start=1)
        )
        total = sum((line.line_total for line in priced), Decimal(0))
    too_big = [
        LineProblem(line.line_no - 1, "quantity", f"line total exceeds {MAX_AMOUNT}")
        for line in priced
        if line.line_total > MAX_AMOUNT
    ]
    if not too_big and total > MAX_AMOUNT:
        too_big.append(LineProblem(None, "lines", f"order total exceeds {MAX_AMOUNT}"))
    if too_big:
        raise InvalidOrder(too_big)
    return PricedOrder(priced, total)


def order_number(day: date, suffix: str) -> str:
    """The human-facing order number, e.g. ``SO-20260105-K3M9QZ``."""
    return f"SO-{day:%Y%m%d}-{suffix}"
