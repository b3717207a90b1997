"""Promotions through the approval flow: a promotion that an approval rule for document type
``promotion`` governs waits as PENDING_APPROVAL until its last step approves, then becomes
ACTIVE (only ACTIVE promotions accrue, ``jobs.promotion_accrual``); a rejection makes it
REJECTED. With no rule it is ACTIVE at once.

Interface::

    await submit_promotion(session, promotion, requested_by) -> None   # sets its status
    await on_promotion_approved(session, promotion_id)    # approval handler
    await on_promotion_rejected(session, promotion_id)    # approval handler

Promotions are brand-wide (no partner), so a rule for them matches on document type (and
priority) only, and only a brand-wide approver (brand admin) sees their requests.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from jobs.approvals import register_approval_handler, request_approval
from store.base import utcnow
from store.models import Promotion
from store.repositories.promotions import ACTIVE, PENDING_APPROVAL, REJECTED

__all__ = ["DOCUMENT_TYPE", "on_promotion_approved", "on_promotion_rejected", "submit_promotion"]

DOCUMENT_TYPE = "promotion"


async def submit_promotion(session: AsyncSession, promotion: Promotion, requested_by: str) -> None:
    """Ask for the approval of a promotion just written (flushed): PENDING_APPROVAL with its
    request when a rule applies, ACTIVE at once otherwise."""
    request = await request_approval(
        session,
        document_type=DOCUMENT_TYPE,
        document_id=promotion.id,
        amount=None,
        partner_id=None,
        requested_by=requested_by,
    )
    if request is None:
        promotion.status = ACTIVE
    else:
        promotion.status = PENDING_APPROVAL
        promotion.approval_request_id = request.id
    await session.flush()


async def _move(session: AsyncSession, promotion_id: int, to: str) -> None:
    await session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id, Promotion.status == PENDING_APPROVAL)
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def on_promotion_approved(session: AsyncSession, promotion_id: int) -> None:
    """PENDING_APPROVAL → ACTIVE: it accrues from the next accrual run on."""
    await _move(session, promotion_id, ACTIVE)


async def on_promotion_rejected(session: AsyncSession, promotion_id: int) -> None:
    """PENDING_APPROVAL → REJECTED: it never accrues (an update submits it again)."""
    await _move(session, promotion_id, REJECTED)


register_approval_handler(DOCUMENT_TYPE, on_promotion_approved, on_promotion_rejected)
