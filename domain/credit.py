"""Credit: a partner's available credit and whether an order amount exceeds it.

Interface (others call these names)::

    available_credit(limit, open_orders, open_invoices, prepaid=0) -> Decimal  # may be < 0
    exceeds(available, amount) -> bool                                # amount > available
    shortfall(available, amount) -> Decimal                          # by how much, else 0
    CreditRuleError(field: str, message: str)                         # a ValueError

``open_orders`` is the total of approved orders not yet invoiced and ``open_invoices`` the
unpaid balance of open invoices; the caller sums them. ``prepaid`` is the partner's
PREPAYMENT fund balance (money it paid in advance, not yet applied; never negative): it
raises the available credit. An amount exactly equal to the
available credit fits; one cent more exceeds it.

Worked example: limit 50 000.00, open orders 12 000.00, open invoices 30 000.00 →
available 8 000.00. An order of 8 000.00 fits; 8 000.01 exceeds it by 0.01; 7 999.99 fits.
A partner over its limit (limit 10 000.00, invoices 12 500.00) has -2 500.00 available:
every order exceeds it. The same partner with 3 000.00 prepaid has 500.00 available.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["CreditRuleError", "available_credit", "exceeds", "shortfall"]

_ZERO = Decimal(0)


class CreditRuleError(ValueError):
    """A credit figure the rules refuse (negative or not a finite Decimal); names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _money(value: object, field: str, *, signed: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise CreditRuleError(field, f"must be a finite Decimal, got {value!r}")
    if not signed and value < 0:
        raise CreditRuleError(field, "must not be negative")
    return value


def available_credit(
    limit: Decimal, open_orders: Decimal, open_invoices: Decimal, prepaid: Decimal = _ZERO
) -> Decimal:
    """``limit - open_orders - open_invoices + prepaid``; negative when over the limit.

    >>> available_credit(Decimal("50000.00"), Decimal("12000.00"), Decimal("30000.00"))
    Decimal('8000.00')
    >>> available_credit(Decimal("10000.00"), Decimal(0), Decimal("12500.00"), Decimal("3000.00"))
    Decimal('500.00')
    """
    return (
        _money(limit, "limit")
        - _money(open_orders, "open_orders")
        - _money(open_invoices, "open_invoices")
        + _money(prepaid, "prepaid")
    )


def exceeds(available: Decimal, amount: Decimal) -> bool:
    """Whether an order of ``amount`` is beyond ``available`` credit (equal fits).

    >>> exceeds(Decimal("8000.00"), Decimal("8000.01"))
    True
    >>> exceeds(Decimal("8000.00"), Decimal("8000.00"))
    False
    """
    return _money(amount, "amount") > _money(available, "available", signed=True)


def shortfall(available: Decimal, amount: Decimal) -> Decimal:
    """How much credit ``amount`` lacks: ``max(0, amount - available)``."""
    gap = _money(amount, "amount") - _money(available, "available", signed=True)
    return gap if gap > 0 else _ZERO
