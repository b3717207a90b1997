"""Credit-limit changes on the graph: a brand admin, or a region manager for a partner in its
regions, asks to change a partner's credit limit, with a reason.

Interface::

    await change_credit_limit(sessions, caller, partner, new_limit, reason, audit)
        -> CreditLimitChange

Needs ``channel:write`` (brand admin, region manager; a dealer is ``Forbidden``). The partner
must be visible to the caller: an unknown partner and one outside the caller's scope are both
``NotFound`` naming ``partner`` (the second audited as out of scope, as everywhere). A
negative or non-finite ``newLimit`` and an empty or too long ``reason`` are ``InvalidInput``
naming the field. Then ``jobs.credit_limits.request_credit_limit_change``: with an approval
rule for ``credit_limit_change`` it waits (PENDING_APPROVAL), else it applies at once; either
way the application is audited (``credit.limit_change``), so the audit trail must be
available. Nothing is written when a failure is raised.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.credit_limits import request_credit_limit_change
from resolvers.mutations.common import Caller, Problems, Ref, RefRule, load, ref_problems, refuse
from resolvers.mutations.errors import Forbidden
from security.audit import AuditLog
from security.viewer import Permission
from store.models import CreditLimitChange
from store.repositories.partners import PartnerRepository

__all__ = ["REASON_MAX", "change_credit_limit"]

REASON_MAX = 2000
PARTNER = RefRule(PartnerRepository, "partner")


def _problems(partner: Ref, new_limit: Decimal, reason: str) -> Problems:
    problems = ref_problems({"partner": partner})
    if not new_limit.is_finite():
        problems.append(("newLimit", "must be a finite amount"))
    elif new_limit < 0:
        problems.append(("newLimit", "must not be negative"))
    if not reason.strip():
        problems.append(("reason", "say why the limit changes"))
    elif len(reason) > REASON_MAX:
        problems.append(("reason", f"must be at most {REASON_MAX} characters"))
    return problems


async def change_credit_limit(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    partner: Ref,
    new_limit: Decimal,
    reason: str,
    audit: AuditLog | None,
) -> CreditLimitChange:
    """Ask to change the partner's credit limit (module doc); the change as recorded."""
    caller.require(Permission.CHANNEL_WRITE, "change a partner's credit limit")
    refuse(_problems(partner, new_limit, reason))
    if audit is None:
        raise Forbidden("a credit-limit change needs the audit trail, which is not available")
    await audit.audit_key()  # before the write transaction: it may be created on first use
    async with sessions.begin() as session:
        row = await load(session, caller.scope, PARTNER, partner, "partner")
        change = await request_credit_limit_change(
            session,
            partner_id=int(row.id),
            new_limit=new_limit,
            reason=reason.strip(),
            requested_by=caller.subject,
            audit=audit,
        )
        await session.refresh(change)
    return change
