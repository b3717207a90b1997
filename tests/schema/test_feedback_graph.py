"""Market feedback through the graph per role: a dealer reports at its own partner only and
sees only its own reports; the brand moves it through the workflow; a refused move or a bad
category is an InvalidInputError naming the field with nothing changed; a dealer may not
move feedback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from schema.node import encode_id
from security.viewer import Role
from store.models import MarketFeedback
from tests.factories import create_partner

SUBMIT = """mutation($partner: ID!, $category: String!, $text: String!, $photos: [String!]) {
  submitMarketFeedback(partner: $partner, category: $category, text: $text,
                       photoRefs: $photos, location: "31.23,121.47") {
  __typename
  ... on MarketFeedbackPayload { feedback { id status photoRefs location } }
  ... on InvalidInputError { fields { field } }
  ... on NotFoundError { field } } }"""

MOVE = """mutation($id: ID!, $status: FeedbackStatus!) {
  moveMarketFeedback(id: $id, status: $status) {
  __typename
  ... on MarketFeedbackPayload { feedback { status } }
  ... on InvalidInputError { fields { field message } }
  ... on ForbiddenError { permission } } }"""

LIST = "query($status: FeedbackStatus) { marketFeedback(status: $status) { id status } }"


async def setup(sessions: Any) -> dict[str, Any]:
    async with sessions.begin() as s:
        a, b = await create_partner(s), await create_partner(s)
        return {
            "a": a.id,
            "b": b.id,
            "A": encode_id("Partner", a.id),
            "B": encode_id("Partner", b.id),
        }


async def test_feedback_per_role(sessions, gql, gql_as):
    ids = await setup(sessions)
    dealer = gql_as(Role.DEALER, partner=ids["a"])
    made = (
        await dealer.data(
            SUBMIT,
            partner=ids["A"],
            category="COMPETITOR",
            text="Rival at 8.50",
            photos=["p/1.jpg"],
        )
    )["submitMarketFeedback"]
    assert made["__typename"] == "MarketFeedbackPayload"
    feedback = made["feedback"]
    assert (feedback["status"], feedback["photoRefs"]) == ("NEW", ["p/1.jpg"])
    bad = await dealer.data(SUBMIT, partner=ids["A"], category="GOSSIP", text="x", photos=[])
    assert bad["submitMarketFeedback"] == {
        "__typename": "InvalidInputError",
        "fields": [{"field": "category"}],
    }
    outside = await dealer.data(SUBMIT, partner=ids["B"], category="PRICE", text="x", photos=[])
    assert outside["submitMarketFeedback"] == {"__typename": "NotFoundError", "field": "partner"}
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(MarketFeedback)) == 1

    denied = (await dealer.data(MOVE, id=feedback["id"], status="IN_REVIEW"))["moveMarketFeedback"]
    assert denied["__typename"] == "ForbiddenError"
    moved = (await gql.data(MOVE, id=feedback["id"], status="IN_REVIEW"))["moveMarketFeedback"]
    assert moved == {"__typename": "MarketFeedbackPayload", "feedback": {"status": "IN_REVIEW"}}
    back = (await gql.data(MOVE, id=feedback["id"], status="NEW"))["moveMarketFeedback"]
    assert back["__typename"] == "InvalidInputError"
    assert back["fields"][0]["field"] == "status"

    assert (await gql.data(LIST, status="IN_REVIEW"))["marketFeedback"] == [
        {"id": feedback["id"], "status": "IN_REVIEW"}
    ]
    assert (await dealer.data(LIST))["marketFeedback"] == [
        {"id": feedback["id"], "status": "IN_REVIEW"}
    ]
    other = gql_as(Role.DEALER, partner=ids["b"])
    assert (await other.data(LIST))["marketFeedback"] == []
