"""Engagement in the graph: tasks, scan reports, exam attempts and points.

Mutations: ``issueTask`` (engagement:manage — brand admin, region manager in scope; by list,
tier or region: a partner outside the issuer's scope is ``NotFoundError``), and for
engagement:report (dealers for their own partner too) ``reportTaskProgress``,
``recordScanReport`` (a barcode/QR or SKU + quantity → sell-out at the partner, with points),
``submitExamAttempt`` (graded at once; an answer to a question not in the exam is an
``InvalidInputError`` naming ``answers.<question>``) and ``redeemReward``
(``InsufficientPointsError`` beyond the balance). Queries: ``taskProgress`` (completion per
partner, scoped: a dealer sees only its own line) and ``pointsBalance``. Services in
``resolvers.engagement``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, cast

import strawberry

from resolvers import engagement as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import ref, run
from schema.mutations.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UserError,
    register_user_error,
)
from schema.node import encode_id
from schema.permissions import CHANNEL_READERS
from store.repositories.training import AttemptOutcome


@strawberry.type(description="A redemption beyond the partner's points balance; nothing debited.")
class InsufficientPointsError(UserError):
    balance: int
    cost: int


def _points_error(failure: service.InsufficientPoints) -> UserError:
    return InsufficientPointsError(
        message=failure.message, balance=failure.balance, cost=failure.cost
    )


register_user_error(service.InsufficientPoints, _points_error)


@strawberry.input(description="A promotion task for partners chosen by list, tier or region.")
class IssueTaskInput:
    title: str
    target: Decimal
    unit: str
    due_at: datetime
    evidence_required: list[str] = strawberry.field(default_factory=list)
    partners: list[strawberry.ID] = strawberry.field(default_factory=list)
    tiers: list[strawberry.ID] = strawberry.field(default_factory=list)
    regions: list[strawberry.ID] = strawberry.field(default_factory=list)
    description: str | None = None


@strawberry.input(description='One piece of evidence: its kind ("photo") and a file reference.')
class EvidenceInput:
    kind: str
    ref: str


@strawberry.input(description="The options chosen for one question (by its key).")
class AnswerInput:
    question: str
    options: list[str]


@strawberry.type
class IssueTaskPayload:
    task_id: strawberry.ID
    assigned_partners: list[strawberry.ID]


@strawberry.type
class TaskProgressReportPayload:
    report_id: strawberry.ID


@strawberry.type
class ScanReportPayload:
    scan_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    points: int = strawberry.field(description="Points the report earned.")


@strawberry.type
class ExamAttemptPayload:
    attempt_id: strawberry.ID
    score: int
    max_score: int
    percent: Decimal
    passed: bool
    points: int = strawberry.field(description="Points earned (once per exam passed).")
    certificate_number: str | None


@strawberry.type
class RedemptionPayload:
    redemption_id: strawberry.ID
    cost: int
    balance: int = strawberry.field(description="The balance after the redemption.")


@strawberry.type(description="One partner's standing on a task.")
class PartnerTaskStatus:
    partner_id: strawberry.ID
    progress: Decimal
    fraction: Decimal
    completed: bool
    completed_at: datetime | None
    overdue: bool
    late: bool
    missing_evidence: list[str]


@strawberry.type(description="Completion of one task over the partners the viewer sees.")
class TaskProgress:
    task_id: strawberry.ID
    assigned: int
    completed: int
    overdue: int
    rate: Decimal
    partners: list[PartnerTaskStatus]


Errors = InvalidInputError | NotFoundError | ForbiddenError
IssueTaskResult = Annotated[IssueTaskPayload | Errors, strawberry.union("IssueTaskResult")]
ReportTaskProgressResult = Annotated[
    TaskProgressReportPayload | Errors, strawberry.union("ReportTaskProgressResult")
]
RecordScanReportResult = Annotated[
    ScanReportPayload | Errors, strawberry.union("RecordScanReportResult")
]
SubmitExamAttemptResult = Annotated[
    ExamAttemptPayload | Errors, strawberry.union("SubmitExamAttemptResult")
]
RedeemRewardResult = Annotated[
    RedemptionPayload | InsufficientPointsError | Errors, strawberry.union("RedeemRewardResult")
]


def _attempt(outcome: AttemptOutcome) -> ExamAttemptPayload:
    certificate = outcome.certificate
    return ExamAttemptPayload(
        attempt_id=encode_id("ExamAttempt", outcome.attempt.id),
        score=outcome.grade.score,
        max_score=outcome.grade.max_score,
        percent=outcome.grade.percent,
        passed=outcome.grade.passed,
        points=outcome.points,
        certificate_number=None if certificate is None else certificate.number,
    )


@strawberry.type
class EngagementMutation:
    @strawberry.mutation(description="Issue a task to partners by list, tier or region.")
    async def issue_task(self, info: Info, input: IssueTaskInput) -> IssueTaskResult:
        ctx = info.context
        action = service.issue_task(
            ctx.sessions,
            Caller.of(ctx),
            title=input.title,
            target=input.target,
            unit=input.unit,
            due_at=input.due_at,
            evidence_required=input.evidence_required,
            partners=[ref(p, "Partner") for p in input.partners],
            tiers=[ref(t, "Tier") for t in input.tiers],
            regions=[ref(r, "Region") for r in input.regions],
            description=input.description,
        )

        def wrap(issued: service.IssuedTask) -> IssueTaskPayload:
            return IssueTaskPayload(
                task_id=encode_id("EngagementTask", issued.task_id),
                assigned_partners=[encode_id("Partner", p) for p in issued.partner_ids],
            )

        return cast(IssueTaskResult, await run(info, IssueTaskResult, action, wrap))

    @strawberry.mutation(description="Report progress (and evidence) on a partner's task.")
    async def report_task_progress(
        self,
        info: Info,
        task: strawberry.ID,
        partner: strawberry.ID,
        value: Decimal,
        evidence: list[EvidenceInput] | None = None,
        note: str | None = None,
    ) -> ReportTaskProgressResult:
        ctx = info.context
        action = service.report_progress(
            ctx.sessions,
            Caller.of(ctx),
            task=ref(task, "EngagementTask"),
            partner=ref(partner, "Partner"),
            value=value,
            evidence=[(e.kind, e.ref) for e in evidence or []],
            reported_at=datetime.now(UTC),
            note=note,
        )

        def wrap(report_id: int) -> TaskProgressReportPayload:
            return TaskProgressReportPayload(report_id=encode_id("TaskReport", report_id))

        return cast(
            ReportTaskProgressResult, await run(info, ReportTaskProgressResult, action, wrap)
        )

    @strawberry.mutation(description="A scanned barcode/QR code + quantity sold at a partner.")
    async def record_scan_report(
        self,
        info: Info,
        partner: strawberry.ID,
        code: str,
        quantity: int,
        sold_at: datetime | None = None,
    ) -> RecordScanReportResult:
        ctx = info.context
        action = service.record_scan(
            ctx.sessions,
            Caller.of(ctx),
            partner=ref(partner, "Partner"),
            code=code,
            quantity=quantity,
            sold_at=sold_at or datetime.now(UTC),
        )

        def wrap(scan: service.ScanRecorded) -> ScanReportPayload:
            return ScanReportPayload(
                scan_id=encode_id("ScanReport", scan.scan_id),
                product_id=encode_id("Product", scan.product_id),
                quantity=scan.quantity,
                points=scan.points,
            )

        return cast(RecordScanReportResult, await run(info, RecordScanReportResult, action, wrap))

    @strawberry.mutation(description="Take an exam for a partner; graded at once.")
    async def submit_exam_attempt(
        self, info: Info, exam: strawberry.ID, partner: strawberry.ID, answers: list[AnswerInput]
    ) -> SubmitExamAttemptResult:
        ctx = info.context
        chosen: dict[str, list[str]] = {}
        for answer in answers:
            chosen.setdefault(answer.question, []).extend(answer.options)
        action = service.submit_attempt(
            ctx.sessions,
            Caller.of(ctx),
            exam=ref(exam, "Exam"),
            partner=ref(partner, "Partner"),
            answers=chosen,
        )
        return cast(
            SubmitExamAttemptResult, await run(info, SubmitExamAttemptResult, action, _attempt)
        )

    @strawberry.mutation(description="Redeem a reward of the catalogue with a partner's points.")
    async def redeem_reward(
        self, info: Info, partner: strawberry.ID, reward: str
    ) -> RedeemRewardResult:
        ctx = info.context
        action = service.redeem_reward(
            ctx.sessions, Caller.of(ctx), partner=ref(partner, "Partner"), reward=reward
        )

        def wrap(done: service.Redeemed) -> RedemptionPayload:
            return RedemptionPayload(
                redemption_id=encode_id("RewardRedemption", done.redemption_id),
                cost=done.cost,
                balance=done.balance,
            )

        return cast(RedeemRewardResult, await run(info, RedeemRewardResult, action, wrap))


def _pk(global_id: str, type_name: str) -> int | None:
    parsed = ref(global_id, type_name)
    return None if parsed.problem is not None else parsed.pk


@strawberry.type
class EngagementQuery:
    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="Completion of a task per partner (only partners you see); null if none.",
    )
    async def task_progress(self, info: Info, task: strawberry.ID) -> TaskProgress | None:
        ctx = info.context
        pk = _pk(task, "EngagementTask")
        if pk is None:
            return None
        found = await service.task_progress(ctx.sessions, ctx.scope, pk, datetime.now(UTC))
        if found is None:
            return None
        partners = [
            PartnerTaskStatus(
                partner_id=encode_id("Partner", partner_id),
                progress=s.progress,
                fraction=s.fraction,
                completed=s.completed,
                completed_at=s.completed_at,
                overdue=s.overdue,
                late=s.late,
                missing_evidence=list(s.missing_evidence),
            )
            for partner_id, s in found.per_partner.items()
        ]
        return TaskProgress(
            task_id=encode_id("EngagementTask", found.task_id),
            assigned=found.summary.assigned,
            completed=found.summary.completed,
            overdue=found.summary.overdue,
            rate=found.summary.rate,
            partners=partners,
        )

    @strawberry.field(
        permission_classes=CHANNEL_READERS,
        description="A partner's points balance; null when you may not see the partner.",
    )
    async def points_balance(self, info: Info, partner: strawberry.ID) -> int | None:
        pk = _pk(partner, "Partner")
        if pk is None:
            return None
        return await service.points_balance(info.context.sessions, info.context.scope, pk)
