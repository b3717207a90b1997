"""The approval service: start an approval for a document, decide its steps, run handlers.

Interface (others call these names)::

    await request_approval(session, *, document_type, document_id, amount, partner_id,
                           requested_by) -> ApprovalRequest | None
    register_approval_handler(document_type, on_approved, on_rejected)
    await decide(session, scope, *, role, subject, request_id, approve, comment, now=None)
        -> ApprovalRequest
    outbox_entries_of(session) -> list[int]     # outbox ids a handler added (enqueue after commit)
    with_audit(session, audit) / audit_log_of(session)   # the audit log handlers write to

``request_approval`` finds the rule that governs the document (``domain.approvals``); None
means no rule applies and the caller treats the document as approved at once. A document
with a PENDING request already gets that request back (asking twice starts one approval).
The request keeps a snapshot of the rule's steps.

``decide`` records one decision of the request's current step in the caller's transaction.
When the LAST step approves, the handler registered for the document type is called with
(session, document id), in the same transaction; a rejection at any step closes the request
and calls the rejection handler. A document type with no handler registered just closes.
Handlers registered here: ``order`` — approval moves the order SUBMITTED → APPROVED and
writes its ``order.approved`` outbox entries (their ids: ``outbox_entries_of``); rejection
leaves the order SUBMITTED (the rejection is in the request's history). ``rebate_settlement``
is registered by ``jobs.settlements``, ``promotion`` by ``jobs.promotions`` and
``credit_limit_change`` by ``jobs.credit_limits`` (each imported on first need).

Errors (``ApprovalFailure`` and subclasses; nothing is written when one is raised)::

    ApprovalFailure
    ├── RequestNotFound     no such request, or not visible to the decider
    ├── RequestClosed       the request is no longer pending
    ├── NotYourStep         the decider's role or scope does not cover the current step
    └── DecisionConflict    another decision of the same step won
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.approvals import DOCUMENT_TYPES, DocumentFacts, RuleSpec, StepSpec, matching_rule
from domain.enums import OrderStatus
from jobs.outbox_entries import record_order_approved
from security.audit import AuditLog
from store.base import utcnow
from store.models import ApprovalDecision, ApprovalRequest
from store.repositories.approvals import (
    APPROVED,
    PENDING,
    REJECTED,
    ApprovalRequestRepository,
    ApprovalRuleStore,
    steps_json,
    steps_of_request,
)
from store.repositories.order_writes import OrderWrites
from store.scope import Scope

__all__ = [
    "ApprovalFailure",
    "DecisionConflict",
    "Handler",
    "NotYourStep",
    "RequestClosed",
    "RequestNotFound",
    "audit_log_of",
    "decide",
    "outbox_entries_of",
    "register_approval_handler",
    "request_approval",
    "with_audit",
]

Handler = Callable[[AsyncSession, int], Awaitable[None]]
_HANDLERS: dict[str, tuple[Handler, Handler]] = {}
_HANDLER_MODULES = {
    "rebate_settlement": "jobs.settlements",
    "promotion": "jobs.promotions",
    "credit_limit_change": "jobs.credit_limits",
}
"""Modules that register a document type's handler, imported before it is needed (so a
process that never imported them still runs the handler)."""
_OUTBOX = "channelhub.approval_outbox"
_ACTOR = "channelhub.approval_actor"
_AUDIT = "channelhub.audit_log"


class ApprovalFailure(Exception):
    """A decision the rules refuse; ``str(self)`` says why."""


class RequestNotFound(ApprovalFailure):
    def __init__(self, request_id: int, exists: bool) -> None:
        self.exists = exists
        """True when the request exists outside the decider's scope (audit it)."""
        super().__init__(f"no approval request {request_id} visible to you")


class RequestClosed(ApprovalFailure):
    def __init__(self, request: ApprovalRequest) -> None:
        self.status = request.status
        super().__init__(f"approval request {request.id} is {request.status}, not PENDING")


class NotYourStep(ApprovalFailure):
    def __init__(self, step: StepSpec, position: int) -> None:
        self.role = step.role
        self.region_id = step.region_id
        where = "" if step.region_id is None else " for the step's region"
        super().__init__(
            f"step {position + 1} is decided by {step.role}{where} within whose scope the "
            "document's partner lies; you may not decide it"
        )


class DecisionConflict(ApprovalFailure):
    pass


def register_approval_handler(
    document_type: str, on_approved: Handler, on_rejected: Handler
) -> None:
    """Call ``on_approved`` (``on_rejected``) with (session, document id) when an approval of
    ``document_type`` completes (is rejected), in the deciding transaction."""
    if document_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {document_type!r}")
    _HANDLERS[document_type] = (on_approved, on_rejected)


def _handlers(document_type: str) -> tuple[Handler, Handler] | None:
    module = _HANDLER_MODULES.get(document_type)
    if document_type not in _HANDLERS and module is not None:
        importlib.import_module(module)
    return _HANDLERS.get(document_type)


def outbox_entries_of(session: AsyncSession) -> list[int]:
    """Outbox entry ids that handlers added in ``session``'s transaction (enqueue them after
    the commit)."""
    return list(session.info.get(_OUTBOX, []))


def with_audit(session: AsyncSession, audit: AuditLog | None) -> None:
    """Let the handlers running in ``session``'s transaction write to ``audit``."""
    if audit is not None:
        session.info[_AUDIT] = audit


def audit_log_of(session: AsyncSession) -> AuditLog | None:
    """The audit log ``with_audit`` put on ``session``, if any (for handlers)."""
    found = session.info.get(_AUDIT)
    return found if isinstance(found, AuditLog) else None


def approving_actor(session: AsyncSession) -> str:
    """Who made the decision a handler is running for (for history rows)."""
    return str(session.info.get(_ACTOR, "approval"))


async def _matching(
    rules: ApprovalRuleStore, document_type: str, amount: Decimal | None, partner_id: int | None
) -> RuleSpec | None:
    facts = DocumentFacts(document_type, amount)
    if partner_id is not None:
        partner = await rules.partner_facts(partner_id)
        if partner is not None:
            facts = DocumentFacts(document_type, amount, partner.tier_id, partner.region_ids)
    return matching_rule(await rules.specs(document_type), facts)


async def governed(
    session: AsyncSession, *, document_type: str, amount: Decimal | None, partner_id: int | None
) -> bool:
    """Whether an approval rule applies to such a document (nothing is written)."""
    return (
        await _matching(ApprovalRuleStore(session), document_type, amount, partner_id) is not None
    )


async def request_approval(
    session: AsyncSession,
    *,
    document_type: str,
    document_id: int,
    amount: Decimal | None,
    partner_id: int | None,
    requested_by: str,
) -> ApprovalRequest | None:
    """Start the approval of a document; None when no rule applies (approved at once)."""
    if document_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {document_type!r}")
    requests = ApprovalRequestRepository(session, Scope.everything())
    existing = await requests.open_request(document_type, document_id)
    if existing is not None:
        return existing
    rules = ApprovalRuleStore(session)
    rule = await _matching(rules, document_type, amount, partner_id)
    if rule is None:
        return None
    first = rule.steps[0]
    named = await rules.rule(rule.id)
    request = ApprovalRequest(
        document_type=document_type,
        document_id=document_id,
        rule_id=rule.id,
        rule_name=named.name if named is not None else "",
        amount=amount,
        partner_id=partner_id,
        steps_json=steps_json(rule.steps),
        current_step=0,
        current_role=first.role,
        current_region_id=first.region_id,
        status=PENDING,
        requested_by=requested_by,
        requested_at=utcnow(),
    )
    session.add(request)
    await session.flush()
    return request


async def decide(
    session: AsyncSession,
    scope: Scope,
    *,
    role: str,
    subject: str,
    request_id: int,
    approve: bool,
    comment: str | None,
    now: datetime | None = None,
) -> ApprovalRequest:
    """Approve or reject the current step of a request as ``subject`` (of ``role``, seeing
    ``scope``); runs the document's handler when the request completes."""
    now = now or utcnow()
    repository = ApprovalRequestRepository(session, scope)
    found = await repository.by_ids([request_id])
    request = found.get(request_id)
    if request is None:
        everywhere = ApprovalRequestRepository(session, Scope.everything())
        raise RequestNotFound(request_id, bool(await everywhere.by_ids([request_id])))
    await session.refresh(request)
    if request.status != PENDING:
        raise RequestClosed(request)
    steps = steps_of_request(request)
    position = request.current_step
    if not await repository.may_decide(request.id, role):
        raise NotYourStep(steps[position], position)
    last = position + 1 == len(steps)
    if not approve:
        values: dict[str, object] = {"status": REJECTED, "decided_at": now, "current_role": None}
    elif last:
        values = {"status": APPROVED, "decided_at": now, "current_role": None}
    else:
        following = steps[position + 1]
        values = {
            "current_step": position + 1,
            "current_role": following.role,
            "current_region_id": following.region_id,
        }
    if not await repository.move_on(request, position, values):
        raise DecisionConflict(
            f"step {position + 1} of approval request {request.id} was decided concurrently"
        )
    session.add(
        ApprovalDecision(
            request_id=request.id,
            step=position,
            outcome=APPROVED if approve else REJECTED,
            decided_by=subject,
            role=role,
            comment=comment,
            decided_at=now,
        )
    )
    await session.flush()
    if not approve or last:
        handlers = _handlers(request.document_type)
        if handlers is not None:
            session.info[_ACTOR] = subject
            await handlers[0 if approve else 1](session, request.document_id)
    await session.refresh(request)
    return request


async def _order_approved(session: AsyncSession, order_id: int) -> None:
    now = utcnow()
    writes = OrderWrites(session, Scope.everything())
    changed = await writes.compare_and_set_status(
        order_id, OrderStatus.SUBMITTED, OrderStatus.APPROVED, now
    )
    if changed is None:
        raise DecisionConflict(f"order {order_id} is no longer SUBMITTED; it cannot be approved")
    note = "approved through its approval flow"
    await writes.record_change(
        order_id, OrderStatus.SUBMITTED, OrderStatus.APPROVED, approving_actor(session), note, now
    )
    entries = await record_order_approved(session, order_id, now=now)
    session.info.setdefault(_OUTBOX, []).extend(entries)


async def _order_rejected(session: AsyncSession, order_id: int) -> None:
    """A rejected order stays SUBMITTED: asking to approve it again starts a new approval."""


register_approval_handler("order", _order_approved, _order_rejected)
