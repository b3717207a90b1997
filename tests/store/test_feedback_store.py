"""Market feedback store: submitted at a visible partner, listed per scope, moved through
the workflow; a refused move or report writes nothing."""

import pytest

from domain.engagement import FeedbackError, FeedbackStatus, FeedbackTransitionError
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.repositories.feedback import FeedbackNotFound, FeedbackRepository
from store.repositories.training import PartnerNotVisible
from store.scope import Scope
from tests.factories import create_partner


async def test_submit_list_and_move(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            mine = await create_partner(session)
            theirs = await create_partner(session)
            ids = (mine.id, theirs.id)
        mine_id, theirs_id = ids
        own = Scope(partner_ids=frozenset({mine_id}))

        async with sessions.begin() as session:
            repo = FeedbackRepository(session, own)
            row = await repo.submit(
                partner_id=mine_id,
                category="COMPETITOR",
                text="Rival promo at 8.50",
                photo_refs=["photos/1.jpg"],
                location="31.23,121.47",
                reported_by="dealer",
            )
            feedback_id = row.id
            with pytest.raises(PartnerNotVisible):
                await repo.submit(
                    partner_id=theirs_id,
                    category="PRICE",
                    text="x",
                    photo_refs=[],
                    location=None,
                    reported_by="dealer",
                )
            with pytest.raises(FeedbackError):
                await repo.submit(
                    partner_id=mine_id,
                    category="GOSSIP",
                    text="x",
                    photo_refs=[],
                    location=None,
                    reported_by="dealer",
                )

        async with sessions.begin() as session:
            brand = FeedbackRepository(session, Scope.everything())
            assert [f.id for f in await brand.reports(FeedbackStatus.NEW)] == [feedback_id]
            moved = await brand.move(feedback_id, FeedbackStatus.IN_REVIEW)
            assert moved.status == "IN_REVIEW"
            with pytest.raises(FeedbackTransitionError):
                await brand.move(feedback_id, FeedbackStatus.NEW)
            other = FeedbackRepository(session, Scope(partner_ids=frozenset({theirs_id})))
            assert await other.reports() == []
            with pytest.raises(FeedbackNotFound):
                await other.move(feedback_id, FeedbackStatus.RESOLVED)

        async with sessions() as session:
            rows = await FeedbackRepository(session, own).reports()
            assert [(r.id, r.status) for r in rows] == [(feedback_id, "IN_REVIEW")]
    finally:
        await engine.dispose()
