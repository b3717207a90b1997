"""Approval flows on the graph: rule admin, deciding steps, pending approvals, requests.

Rules are brand-wide configuration: creating, replacing, deleting and listing them needs
``approvals:manage``. Deciding a step needs no permission of its own: the step names the
role, and the decider must hold it and see the document's partner (and the step's region,
if it names one) — anyone else gets ``ApprovalNotAllowed`` (audited as ``authz.denied``) and
nothing changes. A decision that completes an order's approval writes its outbox entries in
the same transaction (``jobs.approvals``); they are enqueued here after the commit.

Failures: ``InvalidInput`` (rule fields, comment), ``NotFound`` (rule, request, tier,
region), ``ApprovalNotAllowed``, ``Conflict`` (the request is closed, or a concurrent
decision won), ``Forbidden``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.approvals import StepSpec, rule_problems
from jobs.approvals import (
    ApprovalFailure,
    NotYourStep,
    RequestNotFound,
    decide,
    outbox_entries_of,
    with_audit,
)
from jobs.channel_events import EventSink, publish_deferred
from jobs.outbox import enqueue_entries
from resolvers.mutations.common import Caller, Problems, Ref, ref_problems, refuse
from resolvers.mutations.errors import Conflict, MutationFailure, NotFound, OutOfScope
from security.audit import AuditLog
from security.viewer import Permission, Role
from store.base import utcnow
from store.models import ApprovalDecision, ApprovalRequest, ApprovalRule, ApprovalStep, Region, Tier
from store.pagination import Page, Window, fetch_page
from store.repositories.approvals import ApprovalRequestRepository, ApprovalRuleStore, NewRule
from store.scope import Scope

__all__ = [
    "COMMENT_MAX",
    "ApprovalNotAllowed",
    "RuleInput",
    "RuleView",
    "StepInput",
    "create_rule",
    "decide_request",
    "decisions_of",
    "delete_rule",
    "latest_request",
    "list_rules",
    "pending_page",
    "replace_rule",
    "request_by_id",
]

Sessions = async_sessionmaker[AsyncSession]
COMMENT_MAX = 2000


class ApprovalNotAllowed(MutationFailure):
    """The decider's role or scope does not cover the request's current step (audited)."""

    security_relevant = True

    def __init__(self, message: str, role: str) -> None:
        self.role = role
        super().__init__(message)


@dataclass(frozen=True)
class StepInput:
    role: str
    region: Ref | None = None


@dataclass(frozen=True)
class RuleInput:
    name: str
    document_type: str
    steps: Sequence[StepInput]
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    tier: Ref | None = None
    region: Ref | None = None
    priority: int = 100
    active: bool = True


@dataclass(frozen=True)
class RuleView:
    rule: ApprovalRule
    steps: list[ApprovalStep]


def _input_problems(given: RuleInput) -> Problems:
    refs: dict[str, object] = {"tier": given.tier, "region": given.region}
    refs |= {f"steps.{i}.region": step.region for i, step in enumerate(given.steps)}
    problems = ref_problems(refs)
    name = given.name.strip()
    if not name:
        problems.append(("name", "must not be empty"))
    elif len(name) > 200:
        problems.append(("name", "must be at most 200 characters"))
    if given.priority < 0:
        problems.append(("priority", "must not be negative"))
    specs = [StepSpec(step.role, None) for step in given.steps]
    problems += rule_problems(
        given.document_type, given.min_amount, given.max_amount, specs, [str(r) for r in Role]
    )
    return problems


async def _exists(session: AsyncSession, model: type[Tier] | type[Region], ref: Ref) -> bool:
    return (await session.scalar(select(model.id).where(model.id == ref.pk))) is not None


async def _new_rule(session: AsyncSession, given: RuleInput) -> NewRule:
    """The rule to write, with every referenced tier and region checked to exist."""
    checks: list[tuple[str, type[Tier] | type[Region], Ref | None, str]] = [
        ("tier", Tier, given.tier, "tier"),
        ("region", Region, given.region, "region"),
    ]
    checks += [(f"steps.{i}.region", Region, s.region, "region") for i, s in enumerate(given.steps)]
    for field, model, ref, what in checks:
        if ref is not None and not await _exists(session, model, ref):
            raise NotFound(field, ref.given, what)
    return NewRule(
        name=given.name.strip(),
        document_type=given.document_type,
        min_amount=given.min_amount,
        max_amount=given.max_amount,
        tier_id=None if given.tier is None else given.tier.pk,
        region_id=None if given.region is None else given.region.pk,
        priority=given.priority,
        active=given.active,
        steps=tuple(
            StepSpec(s.role, None if s.region is None else s.region.pk) for s in given.steps
        ),
    )


async def _view(store: ApprovalRuleStore, rule: ApprovalRule) -> RuleView:
    return RuleView(rule, (await store.steps([rule.id]))[rule.id])


async def create_rule(sessions: Sessions, caller: Caller, given: RuleInput) -> RuleView:
    caller.require(Permission.APPROVALS_MANAGE, "manage approval rules")
    refuse(_input_problems(given))
    async with sessions.begin() as session:
        store = ApprovalRuleStore(session)
        rule = await store.insert(await _new_rule(session, given), utcnow())
        return await _view(store, rule)


async def replace_rule(sessions: Sessions, caller: Caller, ref: Ref, given: RuleInput) -> RuleView:
    """Replace every field and step of a rule; requests under way keep their snapshot."""
    caller.require(Permission.APPROVALS_MANAGE, "manage approval rules")
    refuse(ref_problems({"id": ref}) + _input_problems(given))
    async with sessions.begin() as session:
        store = ApprovalRuleStore(session)
        rule = await store.rule(ref.pk)
        if rule is None:
            raise NotFound("id", ref.given, "approval rule")
        rule = await store.replace(rule, await _new_rule(session, given), utcnow())
        return await _view(store, rule)


async def delete_rule(sessions: Sessions, caller: Caller, ref: Ref) -> int:
    caller.require(Permission.APPROVALS_MANAGE, "manage approval rules")
    refuse(ref_problems({"id": ref}))
    async with sessions.begin() as session:
        if not await ApprovalRuleStore(session).delete(ref.pk):
            raise NotFound("id", ref.given, "approval rule")
    return ref.pk


async def list_rules(
    sessions: Sessions, caller: Caller, document_type: str | None
) -> list[RuleView]:
    caller.require(Permission.APPROVALS_MANAGE, "read approval rules")
    async with sessions() as session:
        store = ApprovalRuleStore(session)
        rules = await store.rules(document_type)
        steps = await store.steps(r.id for r in rules)
    return [RuleView(rule, steps[rule.id]) for rule in rules]


async def decide_request(
    sessions: Sessions,
    caller: Caller,
    ref: Ref,
    approve: bool,
    comment: str | None,
    events: EventSink | None = None,
    audit: AuditLog | None = None,
) -> ApprovalRequest:
    """Approve or reject the current step of a request as the caller; the document's changes
    (an order's status) are published to ``events`` after the commit; its handler may write
    to ``audit`` (a credit-limit change applied)."""
    if caller.viewer is None:
        caller.require(Permission.CHANNEL_READ, "decide approvals")
    viewer = caller.viewer
    assert viewer is not None
    problems = ref_problems({"request": ref})
    if comment is not None and len(comment) > COMMENT_MAX:
        problems.append(("comment", f"must be at most {COMMENT_MAX} characters"))
    if not approve and not (comment or "").strip():
        problems.append(("comment", "say why the request is rejected"))
    refuse(problems)
    text = None if comment is None else comment.strip() or None
    if audit is not None:
        await audit.audit_key()  # before the write transaction: it may be created on first use
    try:
        async with sessions.begin() as session:
            with_audit(session, audit)
            request = await decide(
                session,
                caller.scope,
                role=str(viewer.role),
                subject=caller.subject,
                request_id=ref.pk,
                approve=approve,
                comment=text,
            )
            outbox = outbox_entries_of(session)
        await publish_deferred(events, session)
    except RequestNotFound as missing:
        if missing.exists:
            table = ApprovalRequest.__tablename__
            raise OutOfScope("request", ref.given, "approval request", table, ref.pk) from None
        raise NotFound("request", ref.given, "approval request") from None
    except NotYourStep as refused:
        raise ApprovalNotAllowed(str(refused), refused.role) from None
    except ApprovalFailure as failure:
        raise Conflict(str(failure)) from None
    enqueue_entries(outbox)  # after the commit: an entry is never sent before its approval
    return request


async def pending_page(
    sessions: Sessions, caller: Caller, win: Window
) -> tuple[Page[ApprovalRequest], Callable[[], Awaitable[int]]]:
    """Requests whose current step the caller may decide, oldest first."""
    viewer = caller.viewer
    role = "" if viewer is None else str(viewer.role)

    async with sessions() as session:
        repository = ApprovalRequestRepository(session, caller.scope)
        key = repository.sort_key("REQUESTED_AT_ASC")
        stmt = repository.select_matching(None).where(*repository.decidable_by(role))
        page = await fetch_page(session, stmt, key, ApprovalRequest.id, win)

    async def count() -> int:
        async with sessions() as session:
            repository = ApprovalRequestRepository(session, caller.scope)
            stmt = (
                select(func.count())
                .select_from(ApprovalRequest)
                .where(repository.visible(), *repository.decidable_by(role))
            )
            return int(await session.scalar(stmt) or 0)

    return page, count


async def request_by_id(
    sessions: Sessions, scope: Scope, request_id: int
) -> ApprovalRequest | None:
    async with sessions() as session:
        found = await ApprovalRequestRepository(session, scope).by_ids([request_id])
    return found.get(request_id)


async def latest_request(
    sessions: Sessions, scope: Scope, document_type: str, document_id: int
) -> ApprovalRequest | None:
    """The newest approval request of a document visible to the viewer, if any."""
    async with sessions() as session:
        repository = ApprovalRequestRepository(session, scope)
        stmt = (
            select(ApprovalRequest)
            .where(
                repository.visible(),
                ApprovalRequest.document_type == document_type,
                ApprovalRequest.document_id == document_id,
            )
            .order_by(ApprovalRequest.id.desc())
            .limit(1)
        )
        return (await session.scalars(stmt)).first()


async def decisions_of(
    sessions: Sessions, scope: Scope, request_ids: Sequence[int]
) -> dict[int, list[ApprovalDecision]]:
    """The decisions of each visible request, in step order (one statement)."""
    async with sessions() as session:
        return dict(await ApprovalRequestRepository(session, scope).decisions(request_ids))
