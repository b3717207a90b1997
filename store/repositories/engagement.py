"""Promotion tasks and scan reports: issue, report progress, completion; scan → sell-out.

Every read and write takes the viewer's scope: a task is assigned only to partners the
issuer sees, progress is reported only on a visible partner's assignment, a scan report is
recorded only at a visible partner. Completion and overdue come from ``domain.tasks``.
Points (POINTS fund, ``store.repositories.points``): the report that completes an assignment
earns the task points once (``source_type="task"``, ``source_id`` the assignment); a scan
report earns per unit (``source_type="scan_report"``, ``source_id`` the scan).

Exception tree (``ValueError``s; nothing is written when one is raised)::

    EngagementError
    ├── PartnersOutOfScope(partner_ids)    explicit partners the issuer may not see (or absent)
    ├── NoPartnersTargeted                 the list, tiers and regions select nobody
    ├── AssignmentNotFound(task_id, partner_id)
    └── UnknownCode(code)                  a scanned code matching no product barcode or SKU
    (domain) TaskRuleError(field, message) a non-positive target, a negative progress value,
                                           a time without a timezone; also a quantity < 1
Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.points import Earning, EarningKind, PointsRules, points_for
from domain.tasks import (
    Assignment,
    AssignmentStatus,
    Completion,
    Report,
    TaskRuleError,
    assignment_status,
    completion,
    validate_report,
)
from store.models import (
    EngagementTask,
    Partner,
    Product,
    Region,
    ScanReport,
    TaskAssignment,
    TaskReport,
)
from store.repositories.points import PointsRepository
from store.scope import Scope

__all__ = [
    "AssignmentNotFound",
    "EngagementError",
    "EngagementRepository",
    "NoPartnersTargeted",
    "PartnersOutOfScope",
    "TaskProgress",
    "UnknownCode",
]


class EngagementError(ValueError):
    """Base of the engagement store errors."""


class PartnersOutOfScope(EngagementError):
    def __init__(self, partner_ids: Sequence[int]) -> None:
        super().__init__(f"partners outside the issuer's scope: {', '.join(map(str, partner_ids))}")
        self.partner_ids = tuple(partner_ids)


class NoPartnersTargeted(EngagementError):
    def __init__(self) -> None:
        super().__init__("the partners, tiers and regions given select no partner")


class AssignmentNotFound(EngagementError):
    def __init__(self, task_id: int, partner_id: int) -> None:
        super().__init__(f"task {task_id} is not assigned to partner {partner_id}")
        self.task_id = task_id
        self.partner_id = partner_id


class UnknownCode(EngagementError):
    def __init__(self, code: str) -> None:
        super().__init__(f"code {code!r} matches no product")
        self.code = code


@dataclass(frozen=True)
class TaskProgress:
    task_id: int
    per_partner: dict[int, AssignmentStatus]
    summary: Completion


def _evidence_kinds(evidence_json: str) -> frozenset[str]:
    return frozenset(str(item["kind"]) for item in json.loads(evidence_json))


def _terms(task: EngagementTask) -> Assignment:
    return Assignment(task.target, task.due_at, frozenset(json.loads(task.evidence_required_json)))


class EngagementRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    async def issue_task(
        self,
        *,
        title: str,
        target: Decimal,
        unit: str,
        due_at: datetime,
        evidence_required: Sequence[str],
        issued_by: str,
        partner_ids: Sequence[int] = (),
        tier_ids: Sequence[int] = (),
        region_ids: Sequence[int] = (),
        description: str | None = None,
    ) -> tuple[EngagementTask, list[int]]:
        """Create a task and its assignments; returns the task and the assigned partner ids."""
        assignment_status(Assignment(target, due_at), [], due_at)  # validates target and time
        chosen: set[int] = set()
        if partner_ids:
            visible = set(
                await self.session.scalars(
                    select(Partner.id).where(
                        Partner.id.in_(sorted(set(partner_ids))), self.scope.partners()
                    )
                )
            )
            refused = sorted(set(partner_ids) - visible)
            if refused:
                raise PartnersOutOfScope(refused)
            chosen |= visible
        if tier_ids or region_ids:
            clauses: list[ColumnElement[bool]] = []
            if tier_ids:
                clauses.append(Partner.tier_id.in_(sorted(set(tier_ids))))
            if region_ids:
                paths = list(
                    await self.session.scalars(
                        select(Region.path).where(Region.id.in_(sorted(set(region_ids))))
                    )
                )
                if paths:
                    subtree = select(Region.id).where(
                        or_(*(Region.path.startswith(path) for path in paths))
                    )
                    clauses.append(Partner.region_id.in_(subtree))
            if not clauses:
                clauses.append(false())
            stmt = select(Partner.id).where(or_(*clauses), self.scope.partners())
            chosen |= set(await self.session.scalars(stmt))
        if not chosen:
            raise NoPartnersTargeted()
        task = EngagementTask(
            title=title,
            description=description,
            target=target,
            unit=unit,
            due_at=due_at,
            evidence_required_json=json.dumps(sorted(set(evidence_required))),
            issued_by=issued_by,
        )
        self.session.add(task)
        await self.session.flush()
        self.session.add_all(TaskAssignment(task_id=task.id, partner_id=p) for p in sorted(chosen))
        await self.session.flush()
        return task, sorted(chosen)

    async def report_progress(
        self,
        *,
        task_id: int,
        partner_id: int,
        value: Decimal,
        evidence: Sequence[tuple[str, str]],
        reported_by: str,
        reported_at: datetime,
        note: str | None = None,
        rules: PointsRules | None = None,
    ) -> TaskReport:
        """Append one progress report (value + evidence ``(kind, reference)`` pairs); the
        report that completes the assignment earns the task points (once per assignment)."""
        kinds = frozenset(kind for kind, _ in evidence)
        validate_report(Report(value, kinds, reported_at))
        assignment_id = await self.session.scalar(
            select(TaskAssignment.id).where(
                TaskAssignment.task_id == task_id,
                TaskAssignment.partner_id == partner_id,
                self.scope.via_partner(TaskAssignment.partner_id),
            )
        )
        if assignment_id is None:
            raise AssignmentNotFound(task_id, partner_id)
        report = TaskReport(
            assignment_id=assignment_id,
            value=value,
            evidence_json=json.dumps([{"kind": k, "ref": r} for k, r in evidence]),
            note=note,
            reported_by=reported_by,
            reported_at=reported_at,
        )
        self.session.add(report)
        await self.session.flush()
        task = await self.session.get(EngagementTask, task_id)
        if task is None:  # cannot happen: the assignment references it
            raise AssignmentNotFound(task_id, partner_id)
        reports = [
            Report(r.value, _evidence_kinds(r.evidence_json), r.reported_at)
            for r in await self.session.scalars(
                select(TaskReport).where(TaskReport.assignment_id == assignment_id)
            )
        ]
        if assignment_status(_terms(task), reports, reported_at).completed:
            points = points_for(rules or PointsRules(), Earning(EarningKind.TASK_COMPLETED))
            await PointsRepository(self.session, self.scope).earn(
                partner_id, points, "task", assignment_id, reported_by
            )
        return report

    async def progress(self, task_id: int, now: datetime) -> TaskProgress | None:
        """Each visible assignment's status and the summary (two statements)."""
        task = await self.session.get(EngagementTask, task_id)
        if task is None:
            return None
        rows = (
            await self.session.execute(
                select(TaskAssignment.partner_id, TaskReport)
                .join(TaskReport, TaskReport.assignment_id == TaskAssignment.id, isouter=True)
                .where(
                    TaskAssignment.task_id == task_id,
                    self.scope.via_partner(TaskAssignment.partner_id),
                )
            )
        ).all()
        if not rows:
            return None
        reports: dict[int, list[Report]] = {}
        for partner_id, row in rows:
            bucket = reports.setdefault(partner_id, [])
            if row is not None:
                bucket.append(
                    Report(row.value, _evidence_kinds(row.evidence_json), row.reported_at)
                )
        terms = _terms(task)
        statuses = {p: assignment_status(terms, r, now) for p, r in sorted(reports.items())}
        return TaskProgress(task_id, statuses, completion(statuses.values()))

    async def record_scan(
        self,
        *,
        partner_id: int,
        code: str,
        quantity: int,
        sold_at: datetime,
        reported_by: str,
        rules: PointsRules | None = None,
    ) -> tuple[ScanReport, int]:
        """Resolve ``code`` (barcode, else SKU) and record the sell-out; returns the report
        and the points it earned."""
        if quantity < 1:
            raise TaskRuleError("quantity", "a scan report sells at least one unit")
        if sold_at.tzinfo is None:
            raise TaskRuleError("sold_at", "must be timezone-aware")
        visible = await self.session.scalar(
            select(Partner.id).where(Partner.id == partner_id, self.scope.partners())
        )
        if visible is None:
            raise PartnersOutOfScope([partner_id])
        clean = code.strip()
        product_id = await self.session.scalar(
            select(Product.id).where(or_(Product.barcode == clean, Product.sku == clean))
        )
        if product_id is None:
            raise UnknownCode(clean)
        scan = ScanReport(
            partner_id=partner_id,
            product_id=product_id,
            code=clean,
            quantity=quantity,
            sold_at=sold_at,
            reported_by=reported_by,
        )
        self.session.add(scan)
        await self.session.flush()
        points = points_for(
            rules or PointsRules(), Earning(EarningKind.SCAN_REPORT, quantity=quantity)
        )
        await PointsRepository(self.session, self.scope).earn(
            partner_id, points, "scan_report", scan.id, reported_by
        )
        return scan, points
