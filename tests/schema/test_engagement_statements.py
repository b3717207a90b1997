"""No N+1 in engagement reads: taskProgress and courses issue the same statements for a few
rows as for many."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.training import Question, QuestionKind
from schema.node import encode_id
from store.repositories.engagement import EngagementRepository
from store.repositories.training import TrainingRepository
from store.scope import Scope
from tests.factories import create_partner
from tests.schema.test_statement_count import counting

PROGRESS = """query($task: ID!) { taskProgress(task: $task) { assigned completed
  partners { partnerId progress completed overdue missingEvidence } } }"""
COURSES = "{ courses { code materials { title } exams { title questions { key options } } } }"
QUESTION = Question("q1", QuestionKind.SINGLE, ("a", "b"), frozenset({"a"}))


async def seed(sessions: Any, partners: int, courses: int) -> str:
    async with sessions.begin() as s:
        ids = [(await create_partner(s)).id for _ in range(partners)]
        repo = EngagementRepository(s, Scope.everything())
        task, _ = await repo.issue_task(
            title="t",
            target=Decimal(5),
            unit="u",
            due_at=datetime(2030, 1, 1, tzinfo=UTC),
            evidence_required=["photo"],
            issued_by="brand",
            partner_ids=ids,
        )
        for pid in ids:
            for day in (1, 2):
                await repo.report_progress(
                    task_id=task.id,
                    partner_id=pid,
                    value=Decimal(3),
                    evidence=[("photo", "f")],
                    reported_by="d",
                    reported_at=datetime(2026, 1, day, tzinfo=UTC),
                )
        training = TrainingRepository(s, Scope.everything())
        for n in range(courses):
            course = await training.create_course(
                code=f"C{partners}-{n}", title="c", materials=[("m", "FILE", "f")]
            )
            await training.add_exam(
                course_id=course.id, title="e", pass_mark=Decimal("0.5"), questions=[QUESTION]
            )
        return str(encode_id("EngagementTask", task.id))


async def test_same_statements_for_2_and_12_rows(app, gql, sessions):
    small_task = await seed(sessions, 2, 1)
    with counting(app) as small:
        few = (await gql.data(PROGRESS, task=small_task))["taskProgress"]
        await gql.data(COURSES)
    big_task = await seed(sessions, 12, 5)
    with counting(app) as big:
        many = (await gql.data(PROGRESS, task=big_task))["taskProgress"]
        courses = (await gql.data(COURSES))["courses"]
    assert (few["assigned"], few["completed"]) == (2, 2)
    assert (many["assigned"], many["completed"]) == (12, 12)
    assert len(courses) == 6
    assert 0 < len(big) == len(small) <= 8
