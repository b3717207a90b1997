"""Market feedback from partners (category, text, photo references, location) and the
status the brand moves it through (``domain.engagement``). Scoped to the viewer; nothing
here commits.

Errors: ``domain.engagement.FeedbackError`` / ``FeedbackTransitionError`` (nothing written),
``FeedbackNotFound(feedback_id)`` for a report absent or outside the viewer's scope, and
``PartnerNotVisible`` (``store.repositories.training``) for a partner outside it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.engagement import FeedbackStatus, next_status, validate_feedback
from store.models import MarketFeedback, Partner
from store.repositories.training import PartnerNotVisible
from store.scope import Scope

__all__ = ["FeedbackNotFound", "FeedbackRepository"]


class FeedbackNotFound(LookupError):
    def __init__(self, feedback_id: int) -> None:
        super().__init__(f"no feedback {feedback_id} visible to this viewer")
        self.feedback_id = feedback_id


class FeedbackRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def submit(
        self,
        *,
        partner_id: int,
        category: str,
        text: str,
        photo_refs: Sequence[str],
        location: str | None,
        reported_by: str,
    ) -> MarketFeedback:
        validate_feedback(category, text, photo_refs)
        visible = await self.session.scalar(
            select(Partner.id).where(Partner.id == partner_id, self.scope.partners())
        )
        if visible is None:
            raise PartnerNotVisible(partner_id)
        row = MarketFeedback(
            partner_id=partner_id,
            category=category,
            text=text,
            photo_refs_json=json.dumps(list(photo_refs)),
            location=location,
            status=FeedbackStatus.NEW.value,
            reported_by=reported_by,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def move(self, feedback_id: int, target: FeedbackStatus) -> MarketFeedback:
        row = await self.session.scalar(
            select(MarketFeedback).where(
                MarketFeedback.id == feedback_id,
                self.scope.via_partner(MarketFeedback.partner_id),
            )
        )
        if row is None:
            raise FeedbackNotFound(feedback_id)
        row.status = next_status(FeedbackStatus(row.status), target).value
        await self.session.flush()
        return row

    async def reports(self, status: FeedbackStatus | None = None) -> list[MarketFeedback]:
        stmt = (
            select(MarketFeedback)
            .where(self.scope.via_partner(MarketFeedback.partner_id))
            .order_by(MarketFeedback.id)
        )
        if status is not None:
            stmt = stmt.where(MarketFeedback.status == status.value)
        return list(await self.session.scalars(stmt))
