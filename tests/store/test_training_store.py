"""Training store: an exam refused when it cannot be graded, attempts graded and recorded,
an answer to a question not in the exam refused with nothing written, attempts limited,
points once per exam and the certificate when every exam of the course is passed."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.training import (
    AttemptsExhausted,
    ExamDefinitionError,
    Question,
    QuestionKind,
    UnknownQuestion,
)
from settings import Settings
from store.engine import create_engine, create_sessionmaker
from store.models import Certificate, Exam, ExamAttempt
from store.repositories.points import PointsRepository
from store.repositories.training import PartnerNotVisible, TrainingRepository
from store.scope import Scope
from tests.factories import create_partner

Q1 = Question("q1", QuestionKind.SINGLE, ("a", "b"), frozenset({"b"}))
Q2 = Question("q2", QuestionKind.MULTIPLE, ("x", "y", "z"), frozenset({"x", "z"}), 2)
RIGHT = {"q1": ["b"], "q2": ["x", "z"]}


async def test_attempts_certificate_and_points(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            partner = await create_partner(session)
            other = await create_partner(session)
            repo = TrainingRepository(session, Scope.everything())
            course = await repo.create_course(
                code="BASICS",
                title="Product basics",
                materials=[("Intro", "VIDEO", "https://video.example/intro")],
            )
            first = await repo.add_exam(
                course_id=course.id,
                title="Part 1",
                pass_mark=Decimal("0.6"),
                questions=[Q1, Q2],
                max_attempts=2,
            )
            second = await repo.add_exam(
                course_id=course.id, title="Part 2", pass_mark=Decimal("1"), questions=[Q1]
            )
            with pytest.raises(ExamDefinitionError):
                await repo.add_exam(
                    course_id=course.id, title="bad", pass_mark=Decimal("2"), questions=[Q1]
                )
            ids = (partner.id, other.id, first.id, second.id)
        partner_id, other_id, first_id, second_id = ids
        own = Scope(partner_ids=frozenset({partner_id}))

        async with sessions.begin() as session:
            repo = TrainingRepository(session, own)
            with pytest.raises(UnknownQuestion) as caught:
                await repo.submit_attempt(
                    exam_id=first_id, partner_id=partner_id, answers={"q9": ["a"]}, taken_by="d"
                )
            assert caught.value.question_id == "q9"
            with pytest.raises(PartnerNotVisible):
                await repo.submit_attempt(
                    exam_id=first_id, partner_id=other_id, answers=RIGHT, taken_by="d"
                )
            failed = await repo.submit_attempt(
                exam_id=first_id, partner_id=partner_id, answers={"q1": ["a"]}, taken_by="d"
            )
            assert (failed.grade.score, failed.grade.passed, failed.points) == (0, False, 0)
            passed = await repo.submit_attempt(
                exam_id=first_id, partner_id=partner_id, answers=RIGHT, taken_by="d"
            )
            assert (passed.grade.score, passed.grade.passed, passed.points) == (3, True, 100)
            assert passed.certificate is None  # part 2 not passed yet
            with pytest.raises(AttemptsExhausted):
                await repo.submit_attempt(
                    exam_id=first_id, partner_id=partner_id, answers=RIGHT, taken_by="d"
                )
            done = await repo.submit_attempt(
                exam_id=second_id, partner_id=partner_id, answers={"q1": ["b"]}, taken_by="d"
            )
            assert done.certificate is not None
            assert done.certificate.partner_id == partner_id
            again = await repo.submit_attempt(
                exam_id=second_id, partner_id=partner_id, answers={"q1": ["b"]}, taken_by="d"
            )
            assert again.points == 0  # points once per exam
            assert again.certificate is not None and again.certificate.id == done.certificate.id

        async with sessions() as session:
            attempts = await session.scalar(select(func.count()).select_from(ExamAttempt))
            certificates = await session.scalar(select(func.count()).select_from(Certificate))
            exams = await session.scalar(select(func.count()).select_from(Exam))
            assert (attempts, certificates, exams) == (4, 1, 2)
            assert await PointsRepository(session, own).balance(partner_id) == 200
    finally:
        await engine.dispose()
