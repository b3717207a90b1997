"""Credit figures per partner: the limit, unpaid approved orders and open invoices.

A partner's open balance is the sum of

- its orders that are APPROVED, SHIPPED or DELIVERED and not yet invoiced (no invoice names
  the order's number; once invoiced, the invoice carries the amount), and
- the unpaid part (``open_amount``) of its invoices that are not PAID.

Both sums run in SQL, one statement each for any number of partners, and only for partners
in the viewer's scope. Amounts are summed as they are stored (one currency per channel).
A fourth statement reads each partner's PREPAYMENT fund balance (``prepaid``: money paid in
advance and not yet applied), which raises its available credit (``domain.credit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import OrderStatus
from store.models import Invoice, InvoiceStatus, Order, Partner
from store.repositories.fund_ledger import FundLedgerRepository
from store.scope import Scope

__all__ = ["OPEN_ORDER_STATUSES", "CreditFigures", "FinanceRepository"]

OPEN_ORDER_STATUSES = (OrderStatus.APPROVED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
"""Orders the partner owes for until they are invoiced."""

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CreditFigures:
    partner_id: int
    limit: Decimal
    open_orders: Decimal
    open_invoices: Decimal
    currency: str = "CNY"
    prepaid: Decimal = ZERO
    """The PREPAYMENT fund's balance in ``currency`` (never negative): raises what is left."""

    @property
    def open_balance(self) -> Decimal:
        return self.open_orders + self.open_invoices


def _positive(amount: Decimal) -> Decimal:
    """``amount`` when above zero, else 0.00 (an overdrawn prepayment adds nothing)."""
    return amount if amount > ZERO else ZERO


class FinanceRepository:
    """Reads of credit figures, scoped to the viewer's partners. Never commits."""

    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def credit_limits(
        self, partner_ids: Iterable[int], lock: bool = False
    ) -> dict[int, Decimal]:
        """The credit limit of each visible partner; ``lock`` locks the rows (PostgreSQL), so
        two orders of one partner are credit-checked one after the other."""
        wanted = sorted(set(partner_ids))
        if not wanted:
            return {}
        stmt = select(Partner.id, Partner.credit_limit).where(
            Partner.id.in_(wanted), self.scope.partners()
        )
        if lock:
            stmt = stmt.with_for_update(of=Partner)
        return {int(pid): limit for pid, limit in await self.session.execute(stmt)}

    async def open_orders(self, partner_ids: list[int]) -> dict[int, Decimal]:
        invoiced = exists().where(Invoice.order_number == Order.number)
        stmt = (
            select(Order.partner_id, func.sum(Order.total))
            .where(
                Order.partner_id.in_(partner_ids),
                Order.status.in_(OPEN_ORDER_STATUSES),
                ~invoiced,
            )
            .group_by(Order.partner_id)
        )
        return {int(pid): total or ZERO for pid, total in await self.session.execute(stmt)}

    async def open_invoices(self, partner_ids: list[int]) -> dict[int, Decimal]:
        stmt = (
            select(Invoice.partner_id, func.sum(Invoice.open_amount))
            .where(Invoice.partner_id.in_(partner_ids), Invoice.status != InvoiceStatus.PAID)
            .group_by(Invoice.partner_id)
        )
        return {int(pid): total or ZERO for pid, total in await self.session.execute(stmt)}

    async def credit_figures(
        self, partner_ids: Iterable[int], lock: bool = False
    ) -> dict[int, CreditFigures]:
        """Figures of every visible partner among ``partner_ids`` (four statements)."""
        limits = await self.credit_limits(partner_ids, lock)
        if not limits:
            return {}
        ids = sorted(limits)
        orders = await self.open_orders(ids)
        invoices = await self.open_invoices(ids)
        prepaid = await FundLedgerRepository(self.session, self.scope).totals(
            "PREPAYMENT", ids, "CNY"
        )
        return {
            pid: CreditFigures(
                pid,
                limits[pid],
                orders.get(pid, ZERO),
                invoices.get(pid, ZERO),
                prepaid=_positive(prepaid.get(pid, ZERO)),
            )
            for pid in ids
        }
