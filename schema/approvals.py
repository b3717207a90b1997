"""Approval flows on the graph: rules (admin), requests with their steps and decisions,
``pendingApprovals`` for the viewer, and ``approve`` / ``reject``.

Rules need ``APPROVALS_MANAGE``. A request is visible to whoever sees its document's
partner; ``pendingApprovals`` lists those whose current step the viewer may decide (its role,
its scope), oldest first, as a Relay connection.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, cast

import strawberry

from resolvers import approvals as service
from resolvers.connections import window
from resolvers.mutations.common import Caller
from schema.connection import Connection, page_parts
from schema.context import Info
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UserError,
    register_user_error,
)
from schema.node import Node, encode_id
from schema.permissions import CHANNEL_READERS, IsAuthenticated
from store import models
from store.repositories.approvals import steps_of_request


@strawberry.enum(description="What an approval rule governs.")
class ApprovalDocumentType(Enum):
    ORDER = "order"
    REBATE_SETTLEMENT = "rebate_settlement"
    CREDIT_LIMIT_CHANGE = "credit_limit_change"
    PROMOTION = "promotion"


@strawberry.enum(description="Where an approval request stands.")
class ApprovalStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.enum(description="A role that decides an approval step.")
class ApproverRole(Enum):
    BRAND_ADMIN = "brand_admin"
    REGION_MANAGER = "region_manager"
    DEALER = "dealer"
    ERP_ADMIN = "erp_admin"
    SECURITY_AUDITOR = "security_auditor"
    SERVICE = "service"


def _region_id(pk: int | None) -> strawberry.ID | None:
    return None if pk is None else encode_id("Region", pk)


@strawberry.type(description="One step of a rule or request: who decides it.")
class ApprovalStep:
    position: int = strawberry.field(description="0 for the first step.")
    role: ApproverRole
    region: strawberry.ID | None = strawberry.field(
        description="A Region id the approver's scope must cover; null: any."
    )


@strawberry.type(description="A rule: which documents need approval, and its ordered steps.")
class ApprovalRule:
    id: strawberry.ID
    name: str
    document_type: ApprovalDocumentType
    min_amount: Decimal | None = strawberry.field(description="Inclusive lower bound.")
    max_amount: Decimal | None = strawberry.field(description="Exclusive upper bound.")
    tier: strawberry.ID | None
    region: strawberry.ID | None = strawberry.field(description="Subregions included.")
    priority: int = strawberry.field(description="Lowest wins when several rules apply.")
    active: bool
    steps: list[ApprovalStep]

    @classmethod
    def of(cls, view: service.RuleView) -> ApprovalRule:
        rule = view.rule
        return cls(
            id=encode_id("ApprovalRule", rule.id),
            name=rule.name,
            document_type=ApprovalDocumentType(rule.document_type),
            min_amount=rule.min_amount,
            max_amount=rule.max_amount,
            tier=None if rule.tier_id is None else encode_id("Tier", rule.tier_id),
            region=_region_id(rule.region_id),
            priority=rule.priority,
            active=rule.active,
            steps=[
                ApprovalStep(
                    position=s.position, role=ApproverRole(s.role), region=_region_id(s.region_id)
                )
                for s in view.steps
            ],
        )


@strawberry.type(description="One decision in a request's history.")
class ApprovalDecision:
    step: int
    outcome: ApprovalStatus
    decided_by: str
    role: str
    comment: str | None
    decided_at: datetime


@strawberry.type(name="ApprovalRequest", description="One document's approval and its history.")
class ApprovalRequestNode(Node):
    rule_name: str
    amount: Decimal | None
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None

    @strawberry.field
    def document_type(
        self, root: strawberry.Parent[models.ApprovalRequest]
    ) -> ApprovalDocumentType:
        return ApprovalDocumentType(root.document_type)

    @strawberry.field(
        description="The document's global id (an Order, RebateSettlement, Promotion or "
        "CreditLimitChange id)."
    )
    def document_id(self, root: strawberry.Parent[models.ApprovalRequest]) -> strawberry.ID:
        return _document_id(root)

    @strawberry.field
    def status(self, root: strawberry.Parent[models.ApprovalRequest]) -> ApprovalStatus:
        return ApprovalStatus(root.status)

    @strawberry.field(description="The step waiting for a decision; null once decided.")
    def current_step(self, root: strawberry.Parent[models.ApprovalRequest]) -> int | None:
        return root.current_step if root.status == ApprovalStatus.PENDING.value else None

    @strawberry.field(description="The steps, as the rule had them when the request started.")
    def steps(self, root: strawberry.Parent[models.ApprovalRequest]) -> list[ApprovalStep]:
        return [
            ApprovalStep(position=i, role=ApproverRole(s.role), region=_region_id(s.region_id))
            for i, s in enumerate(steps_of_request(root))
        ]

    @strawberry.field(description="The document's partner (a Partner id).")
    def partner(self, root: strawberry.Parent[models.ApprovalRequest]) -> strawberry.ID | None:
        return None if root.partner_id is None else encode_id("Partner", root.partner_id)

    @strawberry.field(description="Every decision so far, in step order.")
    async def decisions(
        self, root: strawberry.Parent[models.ApprovalRequest], info: Info
    ) -> list[ApprovalDecision]:
        found = await info.context.loaders.approval_decisions.load(root.id)
        return [
            ApprovalDecision(
                step=d.step,
                outcome=ApprovalStatus(d.outcome),
                decided_by=d.decided_by,
                role=d.role,
                comment=d.comment,
                decided_at=d.decided_at,
            )
            for d in found
        ]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.ApprovalRequest)


def _document_id(row: models.ApprovalRequest) -> strawberry.ID:
    names = {
        "order": "Order",
        "rebate_settlement": "RebateSettlement",  # the id RebateSettlement.id carries
        "promotion": "Promotion",
        "credit_limit_change": "CreditLimitChange",
    }
    return encode_id(names.get(row.document_type, "Partner"), row.document_id)


@strawberry.type
class ApprovalRequestConnection(Connection[ApprovalRequestNode]):
    pass


@strawberry.type(description="The step is not yours: another role, or outside your scope.")
class ApprovalNotAllowedError(UserError):
    role: str = strawberry.field(description="The role that decides the current step.")


register_user_error(
    service.ApprovalNotAllowed,
    lambda failure: ApprovalNotAllowedError(message=failure.message, role=failure.role),
)


@strawberry.input(description="One step of a rule.")
class ApprovalStepInput:
    role: ApproverRole
    region: strawberry.ID | None = None


@strawberry.input(description="An approval rule: every field (updating replaces it whole).")
class ApprovalRuleInput:
    name: str
    document_type: ApprovalDocumentType
    steps: list[ApprovalStepInput]
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    tier: strawberry.ID | None = None
    region: strawberry.ID | None = None
    priority: int = 100
    active: bool = True

    def to_service(self) -> service.RuleInput:
        return service.RuleInput(
            name=self.name,
            document_type=self.document_type.value,
            steps=[
                service.StepInput(s.role.value, optional_ref(s.region, "Region"))
                for s in self.steps
            ],
            min_amount=self.min_amount,
            max_amount=self.max_amount,
            tier=optional_ref(self.tier, "Tier"),
            region=optional_ref(self.region, "Region"),
            priority=self.priority,
            active=self.active,
        )


@strawberry.type
class ApprovalRulePayload:
    rule: ApprovalRule


@strawberry.type
class DeleteApprovalRulePayload:
    deleted_id: strawberry.ID


@strawberry.type
class ApprovalDecisionPayload:
    request: ApprovalRequestNode


RuleResult = Annotated[
    ApprovalRulePayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("ApprovalRuleResult"),
]
DeleteRuleResult = Annotated[
    DeleteApprovalRulePayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("DeleteApprovalRuleResult"),
]
DecisionResult = Annotated[
    ApprovalDecisionPayload
    | InvalidInputError
    | NotFoundError
    | ApprovalNotAllowedError
    | ConflictError
    | ForbiddenError,
    strawberry.union("ApprovalDecisionResult"),
]


def _rule_payload(view: service.RuleView) -> ApprovalRulePayload:
    return ApprovalRulePayload(rule=ApprovalRule.of(view))


def _decision_payload(row: models.ApprovalRequest) -> ApprovalDecisionPayload:
    return ApprovalDecisionPayload(request=cast(ApprovalRequestNode, row))


@strawberry.type
class ApprovalQuery:
    @strawberry.field(
        description="Approval rules, by priority (APPROVALS_MANAGE).",
        permission_classes=[IsAuthenticated],
    )
    async def approval_rules(
        self, info: Info, document_type: ApprovalDocumentType | None = None
    ) -> list[ApprovalRule]:
        ctx = info.context
        kind = None if document_type is None else document_type.value
        views = await service.list_rules(ctx.sessions, Caller.of(ctx), kind)
        return [ApprovalRule.of(view) for view in views]

    @strawberry.field(
        description="Approval requests whose current step you may decide, oldest first.",
        permission_classes=CHANNEL_READERS,
    )
    async def pending_approvals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ApprovalRequestConnection:
        ctx = info.context
        win = window(ctx.settings, first, after, last, before)
        page, count = await service.pending_page(ctx.sessions, Caller.of(ctx), win)
        return ApprovalRequestConnection(**page_parts(page), count=count)

    @strawberry.field(
        description="One approval request, with its steps and decisions.",
        permission_classes=CHANNEL_READERS,
    )
    async def approval_request(self, info: Info, id: strawberry.ID) -> ApprovalRequestNode | None:
        target = ref(id, "ApprovalRequest")
        if target.problem is not None:
            return None
        row = await service.request_by_id(info.context.sessions, info.context.scope, target.pk)
        return cast(ApprovalRequestNode | None, row)


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(description="Create an approval rule (APPROVALS_MANAGE).")
    async def create_approval_rule(self, info: Info, input: ApprovalRuleInput) -> RuleResult:
        ctx = info.context
        action = service.create_rule(ctx.sessions, Caller.of(ctx), input.to_service())
        return cast(RuleResult, await run(info, RuleResult, action, _rule_payload))

    @strawberry.mutation(
        description="Replace an approval rule; requests under way keep their steps."
    )
    async def update_approval_rule(
        self, info: Info, id: strawberry.ID, input: ApprovalRuleInput
    ) -> RuleResult:
        ctx = info.context
        target = ref(id, "ApprovalRule")
        action = service.replace_rule(ctx.sessions, Caller.of(ctx), target, input.to_service())
        return cast(RuleResult, await run(info, RuleResult, action, _rule_payload))

    @strawberry.mutation(description="Delete an approval rule; requests under way go on.")
    async def delete_approval_rule(self, info: Info, id: strawberry.ID) -> DeleteRuleResult:
        ctx = info.context
        action = service.delete_rule(ctx.sessions, Caller.of(ctx), ref(id, "ApprovalRule"))

        def wrap(pk: int) -> DeleteApprovalRulePayload:
            return DeleteApprovalRulePayload(deleted_id=encode_id("ApprovalRule", pk))

        return cast(DeleteRuleResult, await run(info, DeleteRuleResult, action, wrap))

    @strawberry.mutation(description="Approve the current step of a request you may decide.")
    async def approve(
        self, info: Info, request_id: strawberry.ID, comment: str | None = None
    ) -> DecisionResult:
        ctx = info.context
        target = ref(request_id, "ApprovalRequest")
        events = getattr(ctx.hub, "events", None)
        audit = getattr(ctx.hub, "audit", None)
        action = service.decide_request(
            ctx.sessions, Caller.of(ctx), target, True, comment, events, audit
        )
        return cast(DecisionResult, await run(info, DecisionResult, action, _decision_payload))

    @strawberry.mutation(description="Reject a request at its current step (a comment is needed).")
    async def reject(self, info: Info, request_id: strawberry.ID, comment: str) -> DecisionResult:
        ctx = info.context
        target = ref(request_id, "ApprovalRequest")
        events = getattr(ctx.hub, "events", None)
        audit = getattr(ctx.hub, "audit", None)
        action = service.decide_request(
            ctx.sessions, Caller.of(ctx), target, False, comment, events, audit
        )
        return cast(DecisionResult, await run(info, DecisionResult, action, _decision_payload))
