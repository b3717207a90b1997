"""Training and rewards catalogues in the graph: ``courses`` (materials, exams and their
questions — never the correct options) and ``rewards`` (the active catalogue). Both are
reference data, readable by anyone who may read the channel; four statements for
``courses`` whatever its size. Exams are taken with ``submitExamAttempt`` and rewards
redeemed with ``redeemReward`` (``schema.engagement``)."""

from __future__ import annotations

import json
from decimal import Decimal

import strawberry

from schema.context import Info
from schema.node import encode_id
from schema.permissions import CHANNEL_READERS
from store.repositories.points import PointsRepository
from store.repositories.training import TrainingRepository


@strawberry.type(description="A file reference or a video URL of a course.")
class CourseMaterial:
    title: str
    kind: str = strawberry.field(description='"FILE" or "VIDEO".')
    reference: str


@strawberry.type(description="A question as shown to the partner (without its answer).")
class ExamQuestion:
    key: str
    kind: str = strawberry.field(description='"SINGLE" or "MULTIPLE" choice.')
    prompt: str
    options: list[str]
    points: int


@strawberry.type
class Exam:
    id: strawberry.ID
    title: str
    pass_mark: Decimal = strawberry.field(description="Fraction of the points needed (0–1).")
    max_attempts: int | None
    questions: list[ExamQuestion]


@strawberry.type
class Course:
    id: strawberry.ID
    code: str
    title: str
    description: str | None
    materials: list[CourseMaterial]
    exams: list[Exam]


@strawberry.type(description="A reward of the catalogue and what it costs in points.")
class Reward:
    code: str
    name: str
    kind: str = strawberry.field(description="E.g. PRIORITY_SUPPLY, MARKET_SUPPORT.")
    cost_points: int


@strawberry.type
class TrainingQuery:
    @strawberry.field(permission_classes=CHANNEL_READERS, description="The training courses.")
    async def courses(self, info: Info) -> list[Course]:
        ctx = info.context
        async with ctx.sessions() as session:
            courses, materials, exams, questions = await TrainingRepository(
                session, ctx.scope
            ).catalogue()
        by_exam: dict[int, list[ExamQuestion]] = {}
        for q in questions:
            by_exam.setdefault(q.exam_id, []).append(
                ExamQuestion(
                    key=q.key,
                    kind=q.kind,
                    prompt=q.prompt,
                    options=list(json.loads(q.options_json)),
                    points=q.points,
                )
            )
        exams_of: dict[int, list[Exam]] = {}
        for e in exams:
            exams_of.setdefault(e.course_id, []).append(
                Exam(
                    id=encode_id("Exam", e.id),
                    title=e.title,
                    pass_mark=e.pass_mark,
                    max_attempts=e.max_attempts,
                    questions=by_exam.get(e.id, []),
                )
            )
        materials_of: dict[int, list[CourseMaterial]] = {}
        for m in materials:
            materials_of.setdefault(m.course_id, []).append(
                CourseMaterial(title=m.title, kind=m.kind, reference=m.reference)
            )
        return [
            Course(
                id=encode_id("Course", c.id),
                code=c.code,
                title=c.title,
                description=c.description,
                materials=materials_of.get(c.id, []),
                exams=exams_of.get(c.id, []),
            )
            for c in courses
        ]

    @strawberry.field(permission_classes=CHANNEL_READERS, description="The rewards catalogue.")
    async def rewards(self, info: Info) -> list[Reward]:
        ctx = info.context
        async with ctx.sessions() as session:
            rows = await PointsRepository(session, ctx.scope).rewards()
        return [
            Reward(code=r.code, name=r.name, kind=r.kind, cost_points=r.cost_points) for r in rows
        ]
