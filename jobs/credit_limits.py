"""Credit-limit changes through the approval flow.

Interface::

    await request_credit_limit_change(session, *, partner_id, new_limit, reason,
                                      requested_by, audit=None) -> CreditLimitChange
    await on_change_approved(session, change_id)     # approval handler
    await on_change_rejected(session, change_id)     # approval handler

``request_credit_limit_change`` (in the caller's unit of work) records the request and asks
``jobs.approvals.request_approval(document_type="credit_limit_change", amount=new_limit,
partner_id=…)``. With no rule the change applies at once; otherwise it waits as
PENDING_APPROVAL and applies only when the LAST step approves (in the deciding transaction):
the partner's ``credit_limit`` is set, the request becomes APPLIED with the old limit noted,
and a ``credit.limit_change`` audit entry is written (partner, old and new limit, the reason,
the approval request). A rejection makes it
REJECTED and changes nothing. The decisions are in the approval request's history.

The audit log a handler writes to is the one ``jobs.approvals.with_audit`` put on the
session (the deciding service does); without one, the change is still applied and its row
and the approval history are the record.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.approvals import (
    approving_actor,
    audit_log_of,
    register_approval_handler,
    request_approval,
    with_audit,
)
from security.audit import AuditEvent, AuditLog
from store.base import utcnow
from store.models import CreditLimitChange, Partner

__all__ = [
    "APPLIED",
    "DOCUMENT_TYPE",
    "PENDING_APPROVAL",
    "REJECTED",
    "on_change_approved",
    "on_change_rejected",
    "request_credit_limit_change",
]

DOCUMENT_TYPE = "credit_limit_change"
PENDING_APPROVAL, APPLIED, REJECTED = "PENDING_APPROVAL", "APPLIED", "REJECTED"


async def _apply(session: AsyncSession, change: CreditLimitChange, actor: str) -> None:
    partner = (await session.scalars(select(Partner).where(Partner.id == change.partner_id))).one()
    change.old_limit = partner.credit_limit
    partner.credit_limit = change.new_limit
    change.status = APPLIED
    change.applied_at = utcnow()
    await session.flush()
    audit = audit_log_of(session)
    if audit is not None:
        event = AuditEvent(
            actor=actor,
            role="approval" if change.approval_request_id else "requester",
            action="credit.limit_change",
            outcome="applied",
            table="partners",
            row_id=str(change.partner_id),
            reason=change.reason,
            detail={
                "change": change.id,
                "old_limit": str(change.old_limit),
                "new_limit": str(change.new_limit),
                "approval_request": change.approval_request_id,
            },
        )
        await audit.record(event, session=session)


async def request_credit_limit_change(
    session: AsyncSession,
    *,
    partner_id: int,
    new_limit: Decimal,
    reason: str,
    requested_by: str,
    audit: AuditLog | None = None,
) -> CreditLimitChange:
    """Record a change of the partner's limit; apply it now unless a rule holds it."""
    with_audit(session, audit)
    current = await session.scalar(select(Partner.credit_limit).where(Partner.id == partner_id))
    if current is None:
        raise LookupError(f"partner {partner_id} does not exist")
    change = CreditLimitChange(
        partner_id=partner_id,
        old_limit=current,
        new_limit=new_limit,
        reason=reason,
        status=PENDING_APPROVAL,
        requested_by=requested_by,
    )
    session.add(change)
    await session.flush()
    request = await request_approval(
        session,
        document_type=DOCUMENT_TYPE,
        document_id=change.id,
        amount=new_limit,
        partner_id=partner_id,
        requested_by=requested_by,
    )
    if request is None:
        await _apply(session, change, requested_by)
    else:
        change.approval_request_id = request.id
        await session.flush()
    return change


async def on_change_approved(session: AsyncSession, change_id: int) -> None:
    """PENDING_APPROVAL → APPLIED: the partner's limit changes now (audited)."""
    change = await session.get(CreditLimitChange, change_id)
    if change is None or change.status != PENDING_APPROVAL:
        return
    await session.refresh(change)
    await _apply(session, change, approving_actor(session))


async def on_change_rejected(session: AsyncSession, change_id: int) -> None:
    """PENDING_APPROVAL → REJECTED: the limit stays as it was."""
    await session.execute(
        update(CreditLimitChange)
        .where(CreditLimitChange.id == change_id, CreditLimitChange.status == PENDING_APPROVAL)
        .values(status=REJECTED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


register_approval_handler(DOCUMENT_TYPE, on_change_approved, on_change_rejected)
