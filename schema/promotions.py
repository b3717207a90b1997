"""Promotion and credit-limit-change mutations of the graph: ``updatePromotion`` (brand admin;
like ``createPromotion`` in ``schema.rebates`` it submits the promotion to its approval flow)
and ``requestCreditLimitChange`` (brand admin, or region manager in scope; applied at once or
when its approval's last step approves). Services in ``resolvers.promotions`` and
``resolvers.credit_limits``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, cast

import strawberry

from resolvers import credit_limits
from resolvers.mutations.common import Caller
from resolvers.promotions import PromotionData, save_promotion
from schema.context import Info
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from schema.node import encode_id
from schema.rebate_enums import CreditLimitChangeStatus
from schema.rebate_types import promotion_of
from schema.rebates import CreatePromotionResult, PromotionInput, PromotionPayload
from store import models


@strawberry.type(description="A request to change a partner's credit limit, and its outcome.")
class CreditLimitChange:
    id: strawberry.ID
    partner_id: strawberry.ID
    old_limit: Decimal = strawberry.field(description="The limit when applied (or asked).")
    new_limit: Decimal
    reason: str
    status: CreditLimitChangeStatus
    requested_by: str
    approval_request_id: strawberry.ID | None = strawberry.field(
        description="Its approval request (decision history) when a rule governs it."
    )
    applied_at: datetime | None
    created_at: datetime


def change_of(row: models.CreditLimitChange) -> CreditLimitChange:
    request = row.approval_request_id
    return CreditLimitChange(
        id=encode_id("CreditLimitChange", row.id),
        partner_id=encode_id("Partner", row.partner_id),
        old_limit=row.old_limit,
        new_limit=row.new_limit,
        reason=row.reason,
        status=CreditLimitChangeStatus(row.status),
        requested_by=row.requested_by,
        approval_request_id=None if request is None else encode_id("ApprovalRequest", request),
        applied_at=row.applied_at,
        created_at=row.created_at,
    )


@strawberry.type
class CreditLimitChangePayload:
    change: CreditLimitChange


RequestCreditLimitChangeResult = Annotated[
    CreditLimitChangePayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("RequestCreditLimitChangeResult"),
]


def _data(input: PromotionInput) -> PromotionData:
    return PromotionData(
        code=input.code,
        name=input.name,
        products=[ref(p, "Product") for p in input.products],
        starts=input.starts,
        ends=input.ends,
        per_unit=input.per_unit,
        percent=input.percent,
        currency=input.currency,
        region=optional_ref(input.region, "Region"),
        tier=optional_ref(input.tier, "Tier"),
    )


@strawberry.type
class PromotionMutation:
    @strawberry.mutation(
        description="Replace a promotion's terms (brand admin); it goes through approval again "
        "when a rule for promotions applies."
    )
    async def update_promotion(
        self, info: Info, id: strawberry.ID, input: PromotionInput
    ) -> CreatePromotionResult:
        target = ref(id, "Promotion")
        action = save_promotion(
            info.context.sessions, Caller.of(info.context), _data(input), target
        )
        wrap = lambda row: PromotionPayload(promotion=promotion_of(row))  # noqa: E731
        return cast(CreatePromotionResult, await run(info, CreatePromotionResult, action, wrap))

    @strawberry.mutation(
        description="Change a partner's credit limit (brand admin, region manager in scope): "
        "at once, or when the last step of its approval approves."
    )
    async def request_credit_limit_change(
        self, info: Info, partner: strawberry.ID, new_limit: Decimal, reason: str
    ) -> RequestCreditLimitChangeResult:
        ctx = info.context
        action = credit_limits.change_credit_limit(
            ctx.sessions,
            Caller.of(ctx),
            ref(partner, "Partner"),
            new_limit,
            reason,
            getattr(ctx.hub, "audit", None),
        )
        wrap = lambda row: CreditLimitChangePayload(change=change_of(row))  # noqa: E731
        return cast(
            RequestCreditLimitChangeResult,
            await run(info, RequestCreditLimitChangeResult, action, wrap),
        )
