"""Credit on the graph: ``Partner.credit``, the refusal of an order beyond it, the override.

``PartnerCredit`` is scoped like its partner (it is only reachable through one) and read
for every partner of a page at once (``Loaders.partner_credit``: four statements).
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.credit import available_credit
from resolvers.credit import CreditLimitExceeded
from schema.mutations.errors import UserError, register_user_error
from store.repositories.finance import CreditFigures


@strawberry.type(description="A partner's credit: limit, what it owes now, and what is left.")
class PartnerCredit:
    limit: Decimal
    open_orders: Decimal = strawberry.field(
        description="Approved, shipped or delivered orders not invoiced yet."
    )
    open_invoices: Decimal = strawberry.field(description="Unpaid part of its open invoices.")
    currency: str
    prepaid: Decimal = strawberry.field(
        default=Decimal("0.00"),
        description="Its PREPAYMENT fund balance: money paid in advance, not yet applied.",
    )

    @strawberry.field(description="openOrders + openInvoices.")
    def open_balance(self) -> Decimal:
        return self.open_orders + self.open_invoices

    @strawberry.field(description="limit - openBalance + prepaid; negative when over the limit.")
    def available(self) -> Decimal:
        return available_credit(self.limit, self.open_orders, self.open_invoices, self.prepaid)

    @classmethod
    def of(cls, figures: CreditFigures) -> PartnerCredit:
        return cls(
            limit=figures.limit,
            open_orders=figures.open_orders,
            open_invoices=figures.open_invoices,
            currency=figures.currency,
            prepaid=figures.prepaid,
        )


@strawberry.input(
    description="Place or approve an order beyond the partner's available credit "
    "(needs CREDIT_OVERRIDE; the reason is written to the audit trail)."
)
class CreditOverrideInput:
    reason: str


@strawberry.type(description="The order is beyond the partner's available credit.")
class CreditLimitExceededError(UserError):
    partner_code: str
    available: Decimal
    requested: Decimal


def _credit_error(failure: CreditLimitExceeded) -> UserError:
    return CreditLimitExceededError(
        message=failure.message,
        partner_code=failure.partner_code,
        available=failure.available,
        requested=failure.requested,
    )


register_user_error(CreditLimitExceeded, _credit_error)
