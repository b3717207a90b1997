"""Brand mutations for the engagement catalogues: ``createCourse`` (materials and exams with
single- or multiple-choice questions, checked before anything is stored) and
``createReward``. engagement:manage and brand-wide reach. Services in
``resolvers.catalogues``; reading is ``courses`` / ``rewards`` (``schema.training``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, cast

import strawberry

from domain.training import Question, QuestionKind
from resolvers import catalogues as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import run
from schema.mutations.errors import DuplicateError, ForbiddenError, InvalidInputError
from schema.node import encode_id
from store import models


@strawberry.input
class MaterialInput:
    title: str
    kind: str = strawberry.field(description='"FILE" or "VIDEO".')
    reference: str = strawberry.field(description="A file reference or a video URL.")


@strawberry.input
class QuestionInput:
    key: str
    multiple: bool = strawberry.field(description="Multiple choice (all or nothing).")
    prompt: str
    options: list[str]
    correct: list[str]
    points: int = 1


@strawberry.input
class ExamInput:
    title: str
    pass_mark: Decimal = strawberry.field(description="Fraction of the points needed (0–1).")
    questions: list[QuestionInput]
    max_attempts: int | None = None


@strawberry.input
class CourseInput:
    code: str
    title: str
    description: str | None = None
    materials: list[MaterialInput] = strawberry.field(default_factory=list)
    exams: list[ExamInput] = strawberry.field(default_factory=list)


@strawberry.type
class CreateCoursePayload:
    course_id: strawberry.ID
    code: str


@strawberry.type
class CreateRewardPayload:
    code: str
    kind: str
    cost_points: int


Errors = InvalidInputError | DuplicateError | ForbiddenError
CreateCourseResult = Annotated[CreateCoursePayload | Errors, strawberry.union("CreateCourseResult")]
CreateRewardResult = Annotated[CreateRewardPayload | Errors, strawberry.union("CreateRewardResult")]


def _exam(exam: ExamInput) -> service.ExamSpec:
    return service.ExamSpec(
        title=exam.title,
        pass_mark=exam.pass_mark,
        max_attempts=exam.max_attempts,
        questions=[
            Question(
                id=q.key,
                kind=QuestionKind.MULTIPLE if q.multiple else QuestionKind.SINGLE,
                options=tuple(q.options),
                correct=frozenset(q.correct),
                points=q.points,
            )
            for q in exam.questions
        ],
        prompts={q.key: q.prompt for q in exam.questions},
    )


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(description="Create a training course with materials and exams.")
    async def create_course(self, info: Info, input: CourseInput) -> CreateCourseResult:
        ctx = info.context
        action = service.create_course(
            ctx.sessions,
            Caller.of(ctx),
            code=input.code,
            title=input.title,
            description=input.description,
            materials=[(m.title, m.kind, m.reference) for m in input.materials],
            exams=[_exam(e) for e in input.exams],
        )

        def wrap(row: models.Course) -> CreateCoursePayload:
            return CreateCoursePayload(course_id=encode_id("Course", row.id), code=row.code)

        return cast(CreateCourseResult, await run(info, CreateCourseResult, action, wrap))

    @strawberry.mutation(description="Add a reward to the catalogue.")
    async def create_reward(
        self, info: Info, code: str, name: str, kind: str, cost_points: int
    ) -> CreateRewardResult:
        ctx = info.context
        action = service.create_reward(
            ctx.sessions, Caller.of(ctx), code=code, name=name, kind=kind, cost_points=cost_points
        )

        def wrap(row: models.Reward) -> CreateRewardPayload:
            return CreateRewardPayload(code=row.code, kind=row.kind, cost_points=row.cost_points)

        return cast(CreateRewardResult, await run(info, CreateRewardResult, action, wrap))
