"""Market feedback services behind the graph: partners submit (engagement:report), the brand
moves it through its workflow (engagement:manage). A partner or report outside the caller's
scope is ``NotFound``; a bad report or a move the workflow refuses is ``InvalidInput``
naming the field; nothing is written then."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.engagement import FeedbackError, FeedbackStatus
from resolvers.mutations.common import Caller, Ref, RefRule, field_name, load
from resolvers.mutations.errors import InvalidInput, NotFound
from security.viewer import Permission
from store.models import MarketFeedback
from store.repositories.feedback import FeedbackNotFound, FeedbackRepository
from store.repositories.partners import PartnerRepository
from store.scope import Scope

__all__ = ["list_feedback", "move_feedback", "submit_feedback"]

PARTNER = RefRule(PartnerRepository, "partner")


async def submit_feedback(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    partner: Ref,
    category: str,
    text: str,
    photo_refs: Sequence[str],
    location: str | None,
) -> MarketFeedback:
    caller.require(Permission.ENGAGEMENT_REPORT, "report market feedback")
    async with sessions.begin() as session:
        row = await load(session, caller.scope, PARTNER, partner, "partner")
        try:
            return await FeedbackRepository(session, caller.scope).submit(
                partner_id=int(row.id),
                category=category,
                text=text,
                photo_refs=photo_refs,
                location=location,
                reported_by=caller.subject,
            )
        except FeedbackError as error:
            raise InvalidInput.one(field_name(error.field), error.message) from error


async def move_feedback(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    feedback: Ref,
    status: FeedbackStatus,
) -> MarketFeedback:
    caller.require(Permission.ENGAGEMENT_MANAGE, "work on market feedback")
    if feedback.problem is not None:
        raise InvalidInput.one("id", feedback.problem)
    async with sessions.begin() as session:
        try:
            return await FeedbackRepository(session, caller.scope).move(feedback.pk, status)
        except FeedbackNotFound as error:
            raise NotFound("id", feedback.given, "market feedback") from error
        except FeedbackError as error:
            raise InvalidInput.one(error.field, error.message) from error


async def list_feedback(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, status: FeedbackStatus | None
) -> list[MarketFeedback]:
    async with sessions() as session:
        return await FeedbackRepository(session, scope).reports(status)
