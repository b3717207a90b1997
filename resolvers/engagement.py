"""Engagement services behind the graph: tasks, scan reports, exam attempts, points.

Each service checks the caller's permission (``engagement:manage`` to issue tasks,
``engagement:report`` to report progress, scan, take exams and redeem), resolves referenced
rows through the caller's scope (a row outside it is ``NotFound``, audited as
``OutOfScope``), runs in one unit of work, and turns the store's and domain's typed errors
into ``MutationFailure``s so nothing is written when one is raised:

- a non-positive target, a negative progress, an answer to a question not in the exam, an
  option not offered, attempts used up, no partner targeted → ``InvalidInput`` naming the
  field (``answers.q4``);
- an unknown scanned code, task assignment, exam or reward → ``NotFound``;
- a redemption beyond the balance → ``InsufficientPoints`` (balance and cost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.points import InsufficientPoints as DomainInsufficientPoints
from domain.tasks import TaskRuleError
from domain.training import InvalidAnswer as DomainInvalidAnswer
from domain.training import TrainingError, UnknownQuestion
from resolvers.mutations.common import Caller, Ref, RefRule, field_name, load
from resolvers.mutations.errors import InvalidInput, MutationFailure, NotFound
from security.viewer import Permission
from store.repositories.engagement import (
    AssignmentNotFound,
    EngagementRepository,
    NoPartnersTargeted,
    TaskProgress,
    UnknownCode,
)
from store.repositories.partners import PartnerRepository
from store.repositories.points import PointsRepository, RewardNotFound
from store.repositories.regions import RegionRepository, TierRepository
from store.repositories.training import AttemptOutcome, ExamNotFound, TrainingRepository
from store.scope import Scope

__all__ = [
    "InsufficientPoints",
    "IssuedTask",
    "Redeemed",
    "ScanRecorded",
    "issue_task",
    "points_balance",
    "record_scan",
    "redeem_reward",
    "report_progress",
    "submit_attempt",
    "task_progress",
]

PARTNER = RefRule(PartnerRepository, "partner")
TIER = RefRule(TierRepository, "tier")
REGION = RefRule(RegionRepository, "region")


class InsufficientPoints(MutationFailure):
    """A redemption beyond the partner's points balance."""

    def __init__(self, balance: int, cost: int) -> None:
        self.balance = balance
        self.cost = cost
        super().__init__(f"redemption of {cost} points exceeds the balance of {balance} points")


@dataclass(frozen=True)
class IssuedTask:
    task_id: int
    partner_ids: list[int]


@dataclass(frozen=True)
class ScanRecorded:
    scan_id: int
    product_id: int
    quantity: int
    points: int


@dataclass(frozen=True)
class Redeemed:
    redemption_id: int
    cost: int
    balance: int


async def _partner(session: AsyncSession, caller: Caller, partner: Ref) -> int:
    row = await load(session, caller.scope, PARTNER, partner, "partner")
    return int(row.id)


def _invalid(error: TaskRuleError) -> InvalidInput:
    return InvalidInput.one(field_name(error.field), error.message)


async def issue_task(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    title: str,
    target: Decimal,
    unit: str,
    due_at: datetime,
    evidence_required: Sequence[str],
    partners: Sequence[Ref],
    tiers: Sequence[Ref],
    regions: Sequence[Ref],
    description: str | None,
) -> IssuedTask:
    caller.require(Permission.ENGAGEMENT_MANAGE, "issue tasks")
    if not title.strip():
        raise InvalidInput.one("title", "must not be empty")
    async with sessions.begin() as session:
        partner_ids = [await _partner(session, caller, p) for p in partners]
        tier_ids = [int((await load(session, caller.scope, TIER, t, "tiers")).id) for t in tiers]
        region_ids = [
            int((await load(session, caller.scope, REGION, r, "regions")).id) for r in regions
        ]
        try:
            task, assigned = await EngagementRepository(session, caller.scope).issue_task(
                title=title.strip(),
                target=target,
                unit=unit,
                due_at=due_at,
                evidence_required=evidence_required,
                issued_by=caller.subject,
                partner_ids=partner_ids,
                tier_ids=tier_ids,
                region_ids=region_ids,
                description=description,
            )
        except TaskRuleError as error:
            raise _invalid(error) from error
        except NoPartnersTargeted as error:
            raise InvalidInput.one("partners", str(error)) from error
        return IssuedTask(task.id, assigned)


async def report_progress(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    task: Ref,
    partner: Ref,
    value: Decimal,
    evidence: Sequence[tuple[str, str]],
    reported_at: datetime,
    note: str | None,
) -> int:
    caller.require(Permission.ENGAGEMENT_REPORT, "report task progress")
    if task.problem is not None:
        raise InvalidInput.one("task", task.problem)
    async with sessions.begin() as session:
        partner_id = await _partner(session, caller, partner)
        try:
            report = await EngagementRepository(session, caller.scope).report_progress(
                task_id=task.pk,
                partner_id=partner_id,
                value=value,
                evidence=evidence,
                reported_by=caller.subject,
                reported_at=reported_at,
                note=note,
            )
        except TaskRuleError as error:
            raise _invalid(error) from error
        except AssignmentNotFound as error:
            raise NotFound("task", task.given, "task assignment") from error
        return report.id


async def record_scan(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    partner: Ref,
    code: str,
    quantity: int,
    sold_at: datetime,
) -> ScanRecorded:
    caller.require(Permission.ENGAGEMENT_REPORT, "report sell-out")
    async with sessions.begin() as session:
        partner_id = await _partner(session, caller, partner)
        try:
            scan, points = await EngagementRepository(session, caller.scope).record_scan(
                partner_id=partner_id,
                code=code,
                quantity=quantity,
                sold_at=sold_at,
                reported_by=caller.subject,
            )
        except TaskRuleError as error:
            raise _invalid(error) from error
        except UnknownCode as error:
            raise NotFound("code", error.code, "product with code") from error
        return ScanRecorded(scan.id, scan.product_id, scan.quantity, points)


async def redeem_reward(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, *, partner: Ref, reward: str
) -> Redeemed:
    caller.require(Permission.ENGAGEMENT_REPORT, "redeem rewards")
    async with sessions.begin() as session:
        partner_id = await _partner(session, caller, partner)
        repo = PointsRepository(session, caller.scope)
        try:
            redemption = await repo.redeem(partner_id, reward.strip(), caller.subject)
        except RewardNotFound as error:
            raise NotFound("reward", error.code, "reward") from error
        except DomainInsufficientPoints as error:
            raise InsufficientPoints(error.balance, error.cost) from error
        return Redeemed(redemption.id, redemption.cost_points, await repo.balance(partner_id))


async def submit_attempt(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    *,
    exam: Ref,
    partner: Ref,
    answers: Mapping[str, Sequence[str]],
) -> AttemptOutcome:
    caller.require(Permission.ENGAGEMENT_REPORT, "take exams")
    if exam.problem is not None:
        raise InvalidInput.one("exam", exam.problem)
    async with sessions.begin() as session:
        partner_id = await _partner(session, caller, partner)
        try:
            return await TrainingRepository(session, caller.scope).submit_attempt(
                exam_id=exam.pk, partner_id=partner_id, answers=answers, taken_by=caller.subject
            )
        except ExamNotFound as error:
            raise NotFound("exam", exam.given, "exam") from error
        except (UnknownQuestion, DomainInvalidAnswer) as error:
            raise InvalidInput.one(f"answers.{error.question_id}", str(error)) from error
        except TrainingError as error:
            raise InvalidInput.one("exam", str(error)) from error


async def task_progress(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, task_id: int, now: datetime
) -> TaskProgress | None:
    async with sessions() as session:
        return await EngagementRepository(session, scope).progress(task_id, now)


async def points_balance(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, partner_id: int
) -> int | None:
    """The partner's points, or None when the partner is not visible."""
    async with sessions() as session:
        if not await PartnerRepository(session, scope).by_ids([partner_id]):
            return None
        return await PointsRepository(session, scope).balance(partner_id)
