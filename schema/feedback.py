"""Market feedback in the graph: ``submitMarketFeedback`` (engagement:report, at a partner
you see), ``moveMarketFeedback`` (engagement:manage: NEW → IN_REVIEW → RESOLVED /
DISMISSED) and ``marketFeedback`` (scoped: a dealer sees its own reports). Services in
``resolvers.feedback``."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated, cast

import strawberry

from domain.engagement import FeedbackStatus as DomainStatus
from resolvers import feedback as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import ref, run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError
from schema.node import encode_id
from schema.permissions import CHANNEL_READERS
from store import models


@strawberry.enum(description="Where a market feedback report is in the brand's workflow.")
class FeedbackStatus(Enum):
    NEW = "NEW"
    IN_REVIEW = "IN_REVIEW"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


@strawberry.type(description="Feedback from the market: category, text, photos, location.")
class MarketFeedback:
    id: strawberry.ID
    partner_id: strawberry.ID
    category: str
    text: str
    photo_refs: list[str]
    location: str | None
    status: FeedbackStatus
    reported_by: str
    created_at: datetime


def feedback_of(row: models.MarketFeedback) -> MarketFeedback:
    return MarketFeedback(
        id=encode_id("MarketFeedback", row.id),
        partner_id=encode_id("Partner", row.partner_id),
        category=row.category,
        text=row.text,
        photo_refs=list(json.loads(row.photo_refs_json)),
        location=row.location,
        status=FeedbackStatus(row.status),
        reported_by=row.reported_by,
        created_at=row.created_at,
    )


@strawberry.type
class MarketFeedbackPayload:
    feedback: MarketFeedback


MarketFeedbackResult = Annotated[
    MarketFeedbackPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("MarketFeedbackResult"),
]


def _wrap(row: models.MarketFeedback) -> MarketFeedbackPayload:
    return MarketFeedbackPayload(feedback=feedback_of(row))


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(
        description="Report market feedback at a partner (category PRICE, COMPETITOR, "
        "PRODUCT_QUALITY, DEMAND or OTHER)."
    )
    async def submit_market_feedback(
        self,
        info: Info,
        partner: strawberry.ID,
        category: str,
        text: str,
        photo_refs: list[str] | None = None,
        location: str | None = None,
    ) -> MarketFeedbackResult:
        ctx = info.context
        action = service.submit_feedback(
            ctx.sessions,
            Caller.of(ctx),
            partner=ref(partner, "Partner"),
            category=category,
            text=text,
            photo_refs=photo_refs or [],
            location=location,
        )
        return cast(MarketFeedbackResult, await run(info, MarketFeedbackResult, action, _wrap))

    @strawberry.mutation(description="Move market feedback to its next status.")
    async def move_market_feedback(
        self, info: Info, id: strawberry.ID, status: FeedbackStatus
    ) -> MarketFeedbackResult:
        ctx = info.context
        action = service.move_feedback(
            ctx.sessions,
            Caller.of(ctx),
            feedback=ref(id, "MarketFeedback"),
            status=DomainStatus(status.value),
        )
        return cast(MarketFeedbackResult, await run(info, MarketFeedbackResult, action, _wrap))


@strawberry.type
class FeedbackQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Market feedback you may see, oldest first; optionally of one status.",
    )
    async def market_feedback(
        self, info: Info, status: FeedbackStatus | None = None
    ) -> list[MarketFeedback]:
        ctx = info.context
        wanted = None if status is None else DomainStatus(status.value)
        return [
            feedback_of(r) for r in await service.list_feedback(ctx.sessions, ctx.scope, wanted)
        ]
