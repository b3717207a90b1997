"""Courses, materials, exams and graded attempts; certificates and points for passing.

Exams are graded by ``domain.training``; an attempt is recorded only when it grades (an
answer to a question not in the exam, an option not offered, attempts used up: the typed
``domain.training`` errors, nothing written). A passed attempt earns the partner the
``training_passed`` points once per exam (POINTS fund, ``source_type="training"``,
``source_id`` the exam) and, when every exam of the course is passed, the course
certificate (unique per course and partner). Nothing here commits.

Exception tree: ``TrainingStoreError`` (a ``ValueError``) ← ``ExamNotFound(exam_id)``,
``PartnerNotVisible(partner_id)``; plus the ``domain.training`` errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.points import Earning, EarningKind, PointsRules, points_for
from domain.training import (
    Exam as ExamRules,
)
from domain.training import (
    Grade,
    Question,
    QuestionKind,
    certificate_eligibility,
    check_attempt_allowed,
    grade,
    validate_exam,
)
from store.models import (
    Certificate,
    Course,
    CourseMaterial,
    Exam,
    ExamAttempt,
    ExamQuestion,
    Partner,
)
from store.repositories.points import PointsRepository
from store.scope import Scope

__all__ = [
    "AttemptOutcome",
    "ExamNotFound",
    "PartnerNotVisible",
    "TrainingRepository",
    "TrainingStoreError",
]


class TrainingStoreError(ValueError):
    """Base of the training store errors."""


class ExamNotFound(TrainingStoreError):
    def __init__(self, exam_id: int) -> None:
        super().__init__(f"no exam {exam_id}")
        self.exam_id = exam_id


class PartnerNotVisible(TrainingStoreError):
    def __init__(self, partner_id: int) -> None:
        super().__init__(f"partner {partner_id} is not visible to this viewer")
        self.partner_id = partner_id


@dataclass(frozen=True)
class AttemptOutcome:
    attempt: ExamAttempt
    grade: Grade
    certificate: Certificate | None
    points: int


def _rules(exam: Exam, questions: Sequence[ExamQuestion]) -> ExamRules:
    return ExamRules(
        id=str(exam.id),
        questions=tuple(
            Question(
                id=q.key,
                kind=QuestionKind(q.kind),
                options=tuple(json.loads(q.options_json)),
                correct=frozenset(json.loads(q.correct_json)),
                points=q.points,
            )
            for q in questions
        ),
        pass_mark=exam.pass_mark,
        max_attempts=exam.max_attempts,
    )


class TrainingRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def create_course(
        self,
        *,
        code: str,
        title: str,
        materials: Sequence[tuple[str, str, str]] = (),
        description: str | None = None,
    ) -> Course:
        """A course with its materials ``(title, kind "FILE" | "VIDEO", reference)``."""
        course = Course(code=code, title=title, description=description)
        self.session.add(course)
        await self.session.flush()
        self.session.add_all(
            CourseMaterial(course_id=course.id, title=t, kind=k, reference=r, position=i)
            for i, (t, k, r) in enumerate(materials)
        )
        await self.session.flush()
        return course

    async def add_exam(
        self,
        *,
        course_id: int,
        title: str,
        pass_mark: Decimal,
        questions: Sequence[Question],
        prompts: Mapping[str, str] | None = None,
        max_attempts: int | None = None,
    ) -> Exam:
        """An exam of a course; refuses one ``domain.training`` cannot grade (nothing written)."""
        validate_exam(ExamRules("new", tuple(questions), pass_mark, max_attempts))
        exam = Exam(
            course_id=course_id, title=title, pass_mark=pass_mark, max_attempts=max_attempts
        )
        self.session.add(exam)
        await self.session.flush()
        self.session.add_all(
            ExamQuestion(
                exam_id=exam.id,
                key=q.id,
                kind=q.kind.value,
                prompt=(prompts or {}).get(q.id, q.id),
                options_json=json.dumps(list(q.options)),
                correct_json=json.dumps(sorted(q.correct)),
                points=q.points,
            )
            for q in questions
        )
        await self.session.flush()
        return exam

    async def submit_attempt(
        self,
        *,
        exam_id: int,
        partner_id: int,
        answers: Mapping[str, Sequence[str]],
        taken_by: str,
        rules: PointsRules | None = None,
    ) -> AttemptOutcome:
        """Grade and record one attempt; certificate and points when it passes."""
        visible = await self.session.scalar(
            select(Partner.id).where(Partner.id == partner_id, self.scope.partners())
        )
        if visible is None:
            raise PartnerNotVisible(partner_id)
        exam = await self.session.get(Exam, exam_id)
        if exam is None:
            raise ExamNotFound(exam_id)
        questions = list(
            await self.session.scalars(
                select(ExamQuestion)
                .where(ExamQuestion.exam_id == exam_id)
                .order_by(ExamQuestion.id)
            )
        )
        exam_rules = _rules(exam, questions)
        used = await self.session.scalar(
            select(func.count()).where(
                ExamAttempt.exam_id == exam_id, ExamAttempt.partner_id == partner_id
            )
        )
        check_attempt_allowed(exam_rules, int(used or 0))
        result = grade(exam_rules, answers)
        attempt = ExamAttempt(
            exam_id=exam_id,
            partner_id=partner_id,
            answers_json=json.dumps({k: sorted(v) for k, v in sorted(answers.items())}),
            score=result.score,
            max_score=result.max_score,
            passed=result.passed,
            taken_by=taken_by,
        )
        self.session.add(attempt)
        await self.session.flush()
        if not result.passed:
            return AttemptOutcome(attempt, result, None, 0)
        earned = points_for(rules or PointsRules(), Earning(EarningKind.TRAINING_PASSED))
        entry = await PointsRepository(self.session, self.scope).earn(
            partner_id, earned, "training", exam_id, taken_by
        )
        certificate = await self._certify(exam.course_id, partner_id)
        return AttemptOutcome(attempt, result, certificate, earned if entry is not None else 0)

    async def _certify(self, course_id: int, partner_id: int) -> Certificate | None:
        required = [
            str(e)
            for e in await self.session.scalars(select(Exam.id).where(Exam.course_id == course_id))
        ]
        passed = [
            str(e)
            for e in await self.session.scalars(
                select(ExamAttempt.exam_id)
                .join(Exam, Exam.id == ExamAttempt.exam_id)
                .where(
                    Exam.course_id == course_id,
                    ExamAttempt.partner_id == partner_id,
                    ExamAttempt.passed.is_(True),
                )
                .distinct()
            )
        ]
        if not certificate_eligibility(required, passed).eligible:
            return None
        existing = await self.session.scalar(
            select(Certificate).where(
                Certificate.course_id == course_id, Certificate.partner_id == partner_id
            )
        )
        if existing is not None:
            return existing
        certificate = Certificate(
            course_id=course_id, partner_id=partner_id, number=f"C{course_id}-P{partner_id}"
        )
        self.session.add(certificate)
        await self.session.flush()
        return certificate

    async def catalogue(
        self,
    ) -> tuple[list[Course], list[CourseMaterial], list[Exam], list[ExamQuestion]]:
        """Every course with its materials, exams and questions: four statements whatever
        the number of courses (reference data: empty for a viewer without channel access)."""
        if not self.scope.reference_data:
            return [], [], [], []
        courses = list(await self.session.scalars(select(Course).order_by(Course.id)))
        materials = list(
            await self.session.scalars(
                select(CourseMaterial).order_by(CourseMaterial.course_id, CourseMaterial.position)
            )
        )
        exams = list(await self.session.scalars(select(Exam).order_by(Exam.id)))
        questions = list(await self.session.scalars(select(ExamQuestion).order_by(ExamQuestion.id)))
        return courses, materials, exams, questions
