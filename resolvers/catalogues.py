"""Brand services for the engagement catalogues: ``create_course`` (with its materials and
exams, each exam validated by ``domain.training``) and ``create_reward``; both need
engagement:manage and brand-wide reach (catalogues are shared by the whole channel).
A bad exam, pass mark, material kind or cost is ``InvalidInput`` naming the field; a taken
code is ``Duplicate``; nothing is written then."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.training import ExamDefinitionError, Question
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import Duplicate, Forbidden, InvalidInput
from security.viewer import Permission
from store.models import Course, Reward
from store.repositories.training import TrainingRepository

__all__ = ["ExamSpec", "create_course", "create_reward"]

MATERIAL_KINDS = ("FILE", "VIDEO")


@dataclass(frozen=True)
class ExamSpec:
    title: str
    pass_mark: Decimal
    max_attempts: int | None
    questions: Sequence[Question]
    prompts: dict[str, str]


def _lengths(**values: tuple[str, int]) -> list[tuple[str, str]]:
    return [
        (field, f"must be at most {limit} characters")
        for field, (value, limit) in values.items()
        if len(value.strip()) > limit
    ]


def _brand(caller: Caller, doing: str) -> None:
    caller.require(Permission.ENGAGEMENT_MANAGE, doing)
    if not caller.scope.all_partners:
        raise Forbidden(f"only brand-wide viewers may {doing}")


async def create_course(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    code: str,
    title: str,
    description: str | None,
    materials: Sequence[tuple[str, str, str]],
    exams: Sequence[ExamSpec],
) -> Course:
    _brand(caller, "create courses")
    problems = [
        (f"materials.{i}.kind", f"one of {', '.join(MATERIAL_KINDS)}")
        for i, (_, kind, _) in enumerate(materials)
        if kind not in MATERIAL_KINDS
    ]
    if not code.strip() or not title.strip():
        problems.append(("code" if not code.strip() else "title", "must not be empty"))
    problems += _lengths(code=(code, 64), title=(title, 200))
    for i, (material_title, _, reference) in enumerate(materials):
        problems += _lengths(
            **{
                f"materials.{i}.title": (material_title, 200),
                f"materials.{i}.reference": (reference, 500),
            }
        )
    for i, exam in enumerate(exams):
        problems += _lengths(**{f"exams.{i}.title": (exam.title, 200)})
        problems += [
            (f"exams.{i}.questions.{q.id}", "key must be at most 64 characters")
            for q in exam.questions
            if len(q.id) > 64
        ]
    if problems:
        raise InvalidInput(problems)
    async with sessions.begin() as session:
        if await session.scalar(select(Course.id).where(Course.code == code.strip())):
            raise Duplicate("code", code.strip())
        repo = TrainingRepository(session, caller.scope)
        course = await repo.create_course(
            code=code.strip(), title=title.strip(), materials=materials, description=description
        )
        for index, exam in enumerate(exams):
            try:
                await repo.add_exam(
                    course_id=course.id,
                    title=exam.title,
                    pass_mark=exam.pass_mark,
                    questions=exam.questions,
                    prompts=exam.prompts,
                    max_attempts=exam.max_attempts,
                )
            except ExamDefinitionError as error:
                raise InvalidInput.one(f"exams.{index}.{error.field}", error.message) from error
        return course


async def create_reward(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    code: str,
    name: str,
    kind: str,
    cost_points: int,
) -> Reward:
    _brand(caller, "create rewards")
    problems: list[tuple[str, str]] = []
    if cost_points < 1:
        problems.append(("costPoints", "must be at least 1"))
    if not code.strip():
        problems.append(("code", "must not be empty"))
    if not kind.strip():
        problems.append(("kind", "must not be empty"))
    problems += _lengths(code=(code, 64), name=(name, 200), kind=(kind, 32))
    if problems:
        raise InvalidInput(problems)
    async with sessions.begin() as session:
        if await session.scalar(select(Reward.id).where(Reward.code == code.strip())):
            raise Duplicate("code", code.strip())
        reward = Reward(
            code=code.strip(), name=name.strip(), kind=kind.strip().upper(), cost_points=cost_points
        )
        session.add(reward)
        await session.flush()
        return reward
