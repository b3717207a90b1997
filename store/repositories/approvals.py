"""Approval rules (admin), approval requests and their decisions.

``ApprovalRuleStore`` reads and writes rules with their steps (brand-wide reference data:
only brand admins reach it). ``ApprovalRequestRepository`` reads requests through the
viewer's scope (a request follows its document's partner; one without a partner is visible
brand-wide only) and moves them on by compare-and-set on ``current_step``, so of two
concurrent decisions of one step exactly one wins. Repositories never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.approvals import RuleSpec, StepSpec
from store.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalRule,
    ApprovalStep,
    Partner,
    Region,
)
from store.pagination import DATETIME, SortKey
from store.repositories.base import ScopedRepository
from store.scope import Scope

__all__ = [
    "PENDING",
    "ApprovalRequestRepository",
    "ApprovalRuleStore",
    "NewRule",
    "PartnerFacts",
    "steps_of_request",
]

PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"


@dataclass(frozen=True)
class NewRule:
    name: str
    document_type: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    tier_id: int | None
    region_id: int | None
    priority: int
    active: bool
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class PartnerFacts:
    tier_id: int | None
    region_ids: frozenset[int]


def steps_of_request(request: ApprovalRequest) -> list[StepSpec]:
    """The request's snapshot of its rule's steps, in order."""
    return [StepSpec(s["role"], s.get("region_id")) for s in json.loads(request.steps_json)]


def steps_json(steps: Sequence[StepSpec]) -> str:
    return json.dumps([{"role": s.role, "region_id": s.region_id} for s in steps])


def within_regions(scope: Scope, column: Any) -> ColumnElement[bool]:
    """``column`` (a region id) lies in the viewer's regions' subtrees; always for brand-wide."""
    if scope.all_partners:
        return true()
    if not scope.region_ids:
        return false()
    inside = select(Region.id).where(
        or_(
            *(
                Region.path.startswith(
                    select(Region.path).where(Region.id == rid).scalar_subquery()
                )
                for rid in sorted(scope.region_ids)
            )
        )
    )
    return column.in_(inside)  # type: ignore[no-any-return]


class ApprovalRuleStore:
    """Rules and their steps. Only the approval service and brand admins use it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rules(self, document_type: str | None = None) -> list[ApprovalRule]:
        stmt = select(ApprovalRule).order_by(ApprovalRule.priority, ApprovalRule.id)
        if document_type is not None:
            stmt = stmt.where(ApprovalRule.document_type == document_type)
        return list(await self.session.scalars(stmt))

    async def rule(self, rule_id: int) -> ApprovalRule | None:
        return await self.session.get(ApprovalRule, rule_id)

    async def steps(self, rule_ids: Iterable[int]) -> dict[int, list[ApprovalStep]]:
        wanted = sorted(set(rule_ids))
        found: dict[int, list[ApprovalStep]] = defaultdict(list)
        if wanted:
            stmt = (
                select(ApprovalStep)
                .where(ApprovalStep.rule_id.in_(wanted))
                .order_by(ApprovalStep.rule_id, ApprovalStep.position)
            )
            for step in await self.session.scalars(stmt):
                found[step.rule_id].append(step)
        return found

    async def specs(self, document_type: str) -> list[RuleSpec]:
        """The active rules of ``document_type`` as pure values (two statements)."""
        rules = [r for r in await self.rules(document_type) if r.active]
        steps = await self.steps(r.id for r in rules)
        return [
            RuleSpec(
                id=r.id,
                document_type=r.document_type,
                steps=tuple(StepSpec(s.role, s.region_id) for s in steps[r.id]),
                min_amount=r.min_amount,
                max_amount=r.max_amount,
                tier_id=r.tier_id,
                region_id=r.region_id,
                priority=r.priority,
                active=r.active,
            )
            for r in rules
        ]

    async def _write_steps(self, rule_id: int, steps: Sequence[StepSpec]) -> None:
        await self.session.execute(delete(ApprovalStep).where(ApprovalStep.rule_id == rule_id))
        self.session.add_all(
            ApprovalStep(rule_id=rule_id, position=i, role=s.role, region_id=s.region_id)
            for i, s in enumerate(steps)
        )
        await self.session.flush()

    async def insert(self, new: NewRule, now: datetime) -> ApprovalRule:
        rule = ApprovalRule(
            name=new.name,
            document_type=new.document_type,
            min_amount=new.min_amount,
            max_amount=new.max_amount,
            tier_id=new.tier_id,
            region_id=new.region_id,
            priority=new.priority,
            active=new.active,
            created_at=now,
            updated_at=now,
        )
        self.session.add(rule)
        await self.session.flush()
        await self._write_steps(rule.id, new.steps)
        return rule

    async def replace(self, rule: ApprovalRule, new: NewRule, now: datetime) -> ApprovalRule:
        for name in ("name", "document_type", "min_amount", "max_amount", "tier_id"):
            setattr(rule, name, getattr(new, name))
        rule.region_id, rule.priority, rule.active = new.region_id, new.priority, new.active
        rule.updated_at = now
        await self.session.flush()
        await self._write_steps(rule.id, new.steps)
        return rule

    async def delete(self, rule_id: int) -> bool:
        """Delete a rule and its steps; requests under way keep their snapshot."""
        await self.session.execute(delete(ApprovalStep).where(ApprovalStep.rule_id == rule_id))
        result = await self.session.execute(delete(ApprovalRule).where(ApprovalRule.id == rule_id))
        return bool(getattr(result, "rowcount", 0))

    async def partner_facts(self, partner_id: int) -> PartnerFacts | None:
        """The partner's tier and its region with every region above it."""
        row = (
            await self.session.execute(
                select(Partner.tier_id, Region.path)
                .select_from(Partner)
                .outerjoin(Region, Region.id == Partner.region_id)
                .where(Partner.id == partner_id)
            )
        ).first()
        if row is None:
            return None
        tier_id, path = row
        regions = frozenset(int(part) for part in (path or "").split("/") if part)
        return PartnerFacts(tier_id, regions)


class ApprovalRequestRepository(ScopedRepository[ApprovalRequest, None]):
    model = ApprovalRequest
    orderings = {
        "REQUESTED_AT_ASC": SortKey(
            "REQUESTED_AT_ASC", ApprovalRequest.requested_at, False, DATETIME
        )
    }

    def visible(self) -> ColumnElement[bool]:
        if self.scope.all_partners:
            return true()
        return and_(
            ApprovalRequest.partner_id.is_not(None),
            self.scope.via_partner(ApprovalRequest.partner_id),
        )

    def matching(self, filter_: None) -> list[ColumnElement[bool]]:
        return []

    def decidable_by(self, role: str) -> list[ColumnElement[bool]]:
        """Pending requests whose current step ``role`` may decide within this scope."""
        return [
            ApprovalRequest.status == PENDING,
            ApprovalRequest.current_role == role,
            or_(
                ApprovalRequest.current_region_id.is_(None),
                within_regions(self.scope, ApprovalRequest.current_region_id),
            ),
        ]

    async def open_request(self, document_type: str, document_id: int) -> ApprovalRequest | None:
        stmt = select(ApprovalRequest).where(
            ApprovalRequest.document_type == document_type,
            ApprovalRequest.document_id == document_id,
            ApprovalRequest.status == PENDING,
        )
        return (await self.session.scalars(stmt)).first()

    async def may_decide(self, request_id: int, role: str) -> bool:
        stmt = select(ApprovalRequest.id).where(
            ApprovalRequest.id == request_id, self.visible(), *self.decidable_by(role)
        )
        return (await self.session.scalar(stmt)) is not None

    async def decisions(self, request_ids: Iterable[int]) -> dict[int, list[ApprovalDecision]]:
        wanted = sorted(set(request_ids))
        found: dict[int, list[ApprovalDecision]] = defaultdict(list)
        if wanted:
            stmt = (
                select(ApprovalDecision)
                .where(ApprovalDecision.request_id.in_(wanted))
                .order_by(ApprovalDecision.request_id, ApprovalDecision.step)
            )
            for decision in await self.session.scalars(stmt):
                found[decision.request_id].append(decision)
        return found

    async def move_on(self, request: ApprovalRequest, step: int, values: dict[str, Any]) -> bool:
        """Compare-and-set: move ``request`` from ``step`` (still PENDING); False if it moved."""
        result = await self.session.execute(
            update(ApprovalRequest)
            .where(
                ApprovalRequest.id == request.id,
                ApprovalRequest.current_step == step,
                ApprovalRequest.status == PENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
