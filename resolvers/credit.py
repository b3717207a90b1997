"""Credit control for orders: a partner's available credit, the refusal, and the override.

``check_credit`` runs inside an order mutation's unit of work. It reads the partner's
figures (``store.repositories.finance``; the partner row is locked on PostgreSQL so two
orders of one partner are checked one after the other) and computes the available credit
with ``domain.credit``: the limit less the open balance, plus the partner's PREPAYMENT fund
balance (money paid in advance raises what it may order). An amount beyond it raises
``CreditLimitExceeded`` — unless the caller gives an override reason and holds
``credit:override``; the override is then written to the audit trail (``credit.override``:
partner, order, available, requested, reason) in the same transaction, so an order placed
or approved over its limit always has its record.

``partner_credit`` gives the figures the graph shows on ``Partner.credit`` (scoped).

Errors: ``CreditLimitExceeded`` (a ``MutationFailure``); an override without the permission
is ``Forbidden`` (audited as ``authz.denied``); an empty or too long reason is
``InvalidInput`` on ``creditOverride.reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.credit import available_credit, exceeds
from resolvers.mutations.common import Caller, Problems
from resolvers.mutations.errors import Forbidden, MutationFailure
from security.audit import AuditEvent, AuditLog
from security.viewer import Permission
from store.repositories.finance import CreditFigures, FinanceRepository
from store.scope import Scope

__all__ = [
    "REASON_MAX",
    "CreditCheck",
    "CreditLimitExceeded",
    "audit_override",
    "check_credit",
    "override_problems",
    "partner_credit",
]

REASON_MAX = 500


class CreditLimitExceeded(MutationFailure):
    def __init__(self, partner_code: str, available: Decimal, requested: Decimal) -> None:
        self.partner_code = partner_code
        self.available = available
        self.requested = requested
        super().__init__(
            f"{requested} exceeds the available credit of partner {partner_code} ({available}); "
            "someone with credit:override may allow it with a reason"
        )


@dataclass(frozen=True)
class CreditCheck:
    """An amount allowed beyond the available credit by an override."""

    partner_id: int
    available: Decimal
    requested: Decimal
    reason: str


def override_problems(reason: str | None) -> Problems:
    if reason is None:
        return []
    if not reason.strip():
        return [("creditOverride.reason", "give the reason for the override")]
    if len(reason) > REASON_MAX:
        return [("creditOverride.reason", f"must be at most {REASON_MAX} characters")]
    return []


async def check_credit(
    session: AsyncSession,
    caller: Caller,
    *,
    partner_id: int,
    partner_code: str,
    amount: Decimal,
    override: str | None,
    audit: AuditLog | None,
) -> CreditCheck | None:
    """None when ``amount`` fits the partner's available credit; a ``CreditCheck`` when it
    does not but the caller overrides it (record it with ``audit_override``)."""
    repository = FinanceRepository(session, Scope.everything())
    figures = (await repository.credit_figures([partner_id], lock=True)).get(partner_id)
    if figures is None:
        return None
    available = available_credit(
        figures.limit, figures.open_orders, figures.open_invoices, figures.prepaid
    )
    if not exceeds(available, amount):
        return None
    if override is None:
        raise CreditLimitExceeded(partner_code, available, amount)
    caller.require(Permission.CREDIT_OVERRIDE, "override a partner's credit limit")
    if audit is None:
        raise Forbidden("a credit override needs the audit trail, which is not available")
    return CreditCheck(partner_id, available, amount, override.strip())


async def audit_override(
    session: AsyncSession,
    audit: AuditLog | None,
    caller: Caller,
    check: CreditCheck,
    order_id: int,
    doing: str,
) -> None:
    """Write the ``credit.override`` entry of ``check`` in ``session``'s transaction."""
    if audit is None:
        raise Forbidden("a credit override needs the audit trail, which is not available")
    viewer = caller.viewer
    event = AuditEvent(
        actor=caller.subject,
        role=str(viewer.role) if viewer is not None else "none",
        action="credit.override",
        outcome="allowed",
        table="orders",
        row_id=str(order_id),
        reason=check.reason,
        detail={
            "partner": check.partner_id,
            "doing": doing,
            "available": str(check.available),
            "requested": str(check.requested),
        },
    )
    await audit.record(event, session=session)


async def partner_credit(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, partner_ids: Sequence[int]
) -> dict[int, CreditFigures]:
    """Credit figures of the visible partners among ``partner_ids`` (three statements)."""
    async with sessions() as session:
        return await FinanceRepository(session, scope).credit_figures(partner_ids)
