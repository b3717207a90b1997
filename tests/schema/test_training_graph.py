"""Training and rewards catalogues through the graph: courses with materials, exams and
questions (the correct options are not in the graph), the active rewards only, readable by a
dealer, nothing for an anonymous caller."""

from __future__ import annotations

from decimal import Decimal

from domain.training import Question, QuestionKind
from security.viewer import Role
from store.models import Reward
from store.repositories.training import TrainingRepository
from store.scope import Scope
from tests.factories import create_partner

COURSES = """{ courses { code title materials { title kind reference }
  exams { title passMark maxAttempts questions { key kind prompt options points } } } }"""
REWARDS = "{ rewards { code name kind costPoints } }"


async def test_catalogues(sessions, gql_as):
    async with sessions.begin() as s:
        dealer = await create_partner(s)
        s.add(Reward(code="PRIO", name="Priority supply", kind="PRIORITY_SUPPLY", cost_points=500))
        s.add(Reward(code="OLD", name="Old", kind="MARKET_SUPPORT", cost_points=1, active=False))
        repo = TrainingRepository(s, Scope.everything())
        for code in ("C1", "C2"):
            course = await repo.create_course(
                code=code,
                title=f"Course {code}",
                materials=[
                    ("Slides", "FILE", f"files/{code}.pdf"),
                    ("Talk", "VIDEO", "https://v/1"),
                ],
            )
            await repo.add_exam(
                course_id=course.id,
                title=f"Exam {code}",
                pass_mark=Decimal("0.8"),
                max_attempts=3,
                questions=[
                    Question("q1", QuestionKind.MULTIPLE, ("a", "b", "c"), frozenset({"a", "c"}), 2)
                ],
                prompts={"q1": "Which are ours?"},
            )
        dealer_id = dealer.id
    viewer = gql_as(Role.DEALER, partner=dealer_id)
    courses = (await viewer.data(COURSES))["courses"]
    assert [c["code"] for c in courses] == ["C1", "C2"]
    assert courses[0]["materials"] == [
        {"title": "Slides", "kind": "FILE", "reference": "files/C1.pdf"},
        {"title": "Talk", "kind": "VIDEO", "reference": "https://v/1"},
    ]
    assert courses[1]["exams"] == [
        {
            "title": "Exam C2",
            "passMark": "0.80",
            "maxAttempts": 3,
            "questions": [
                {
                    "key": "q1",
                    "kind": "MULTIPLE",
                    "prompt": "Which are ours?",
                    "options": ["a", "b", "c"],
                    "points": 2,
                }
            ],
        }
    ]
    assert (await viewer.data(REWARDS))["rewards"] == [
        {"code": "PRIO", "name": "Priority supply", "kind": "PRIORITY_SUPPLY", "costPoints": 500}
    ]
    anonymous = await gql_as(None)(REWARDS)
    assert anonymous["errors"]
    assert not (anonymous.get("data") or {}).get("rewards")
