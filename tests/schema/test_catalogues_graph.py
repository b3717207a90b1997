"""Catalogue mutations through the graph: the brand creates a course (materials, exams) and
a reward; a bad exam names its field and stores nothing; a taken code is DuplicateError; a
region manager or dealer may not create catalogue entries."""

from __future__ import annotations

from sqlalchemy import func, select

from security.viewer import Role
from store.models import Course, Exam, ExamQuestion
from tests.factories import create_partner, create_region

COURSE = """mutation($input: CourseInput!) { createCourse(input: $input) {
  __typename
  ... on CreateCoursePayload { code }
  ... on InvalidInputError { fields { field message } }
  ... on DuplicateError { field value }
  ... on ForbiddenError { message } } }"""

REWARD = """mutation($code: String!, $cost: Int!) {
  createReward(code: $code, name: "Priority supply", kind: "priority_supply", costPoints: $cost) {
  __typename
  ... on CreateRewardPayload { code kind costPoints }
  ... on InvalidInputError { fields { field } }
  ... on ForbiddenError { message } } }"""

LIST = "{ courses { code exams { title questions { key options } } } rewards { code } }"


def course(code: str, correct: list[str]) -> dict[str, object]:
    return {
        "code": code,
        "title": "Basics",
        "materials": [{"title": "Slides", "kind": "FILE", "reference": "files/1.pdf"}],
        "exams": [
            {
                "title": "Exam",
                "passMark": "0.5",
                "questions": [
                    {
                        "key": "q1",
                        "multiple": True,
                        "prompt": "Which?",
                        "options": ["a", "b"],
                        "correct": correct,
                    }
                ],
            }
        ],
    }


async def test_catalogues_by_the_brand_only(sessions, gql, gql_as):
    async with sessions.begin() as s:
        region = await create_region(s)
        dealer = await create_partner(s, region=region)
        ids = (region.id, dealer.id)
    made = (await gql.data(COURSE, input=course("B1", ["a"])))["createCourse"]
    assert made == {"__typename": "CreateCoursePayload", "code": "B1"}
    again = (await gql.data(COURSE, input=course("B1", ["a"])))["createCourse"]
    assert again == {"__typename": "DuplicateError", "field": "code", "value": "B1"}
    bad = (await gql.data(COURSE, input=course("B2", ["z"])))["createCourse"]
    assert bad["__typename"] == "InvalidInputError"
    assert bad["fields"][0]["field"] == "exams.0.questions[0].correct"
    async with sessions() as s:
        counts = [
            await s.scalar(select(func.count()).select_from(m))
            for m in (Course, Exam, ExamQuestion)
        ]
    assert counts == [1, 1, 1]

    reward = (await gql.data(REWARD, code="PRIO", cost=500))["createReward"]
    assert reward == {
        "__typename": "CreateRewardPayload",
        "code": "PRIO",
        "kind": "PRIORITY_SUPPLY",
        "costPoints": 500,
    }
    free = (await gql.data(REWARD, code="FREE", cost=0))["createReward"]
    assert free == {"__typename": "InvalidInputError", "fields": [{"field": "costPoints"}]}

    manager = gql_as(Role.REGION_MANAGER, regions=[ids[0]])
    assert (await manager.data(REWARD, code="X", cost=1))["createReward"]["__typename"] == (
        "ForbiddenError"
    )
    dealer_client = gql_as(Role.DEALER, partner=ids[1])
    denied = (await dealer_client.data(COURSE, input=course("B3", ["a"])))["createCourse"]
    assert denied["__typename"] == "ForbiddenError"
    listed = await dealer_client.data(LIST)
    assert [c["code"] for c in listed["courses"]] == ["B1"]
    assert listed["rewards"] == [{"code": "PRIO"}]
