"""Promotion tasks: progress of one assignment, completion per task or partner, overdue flags.

Interface (others call these names)::

    Report(value: Decimal, evidence_kinds: frozenset[str], reported_at: datetime)
    Assignment(target: Decimal, due_at: datetime, required_evidence: frozenset[str])
    validate_report(report) -> None                 # raises TaskRuleError(field, message)
    assignment_status(assignment, reports, now) -> AssignmentStatus
    completion(statuses: Iterable[AssignmentStatus]) -> Completion

Exception tree::

    TaskRuleError(field, message)   a ValueError: a non-positive target, a negative progress
                                    value, or a time without a timezone

Rules:

- A partner's progress is the sum of its reports' values (units sold, displays set up, …);
  the fraction done is ``progress / target``, capped at 1.
- An assignment is *completed* at the first report after which the progress reaches the
  target **and** every required kind of evidence (``"photo"``, ``"invoice"``, …) has been
  given by some report so far. ``completed_at`` is that report's time.
- It is *overdue* when it is not completed and ``now`` is past ``due_at`` (at ``due_at``
  exactly it is not yet overdue). It is *late* when completed after ``due_at``.
- ``completion`` summarises statuses: the caller groups them per task (the brand's view of
  one task) or per partner (one partner's tasks); ``rate = completed / assigned`` (0 for none).

Worked example. Target 100 units, due 2026-06-30 00:00 UTC, evidence required: photo.

=========================================  ==========  ========  ============================
reports (value, evidence, day of June)     progress    fraction  status on 2026-07-01
=========================================  ==========  ========  ============================
(60, –, 10), (50, –, 20)                   110         1         not completed (no photo):
                                                                 overdue, missing "photo"
(60, photo, 10), (50, –, 20)               110         1         completed 06-20, not late
(60, –, 10), (30, photo, 20)               90          0.9       overdue
(60, –, 10), (50, –, 20), (0, photo, 31*)  110         1         completed at the photo, late
=========================================  ==========  ========  ============================

(*) July 1st, after the due date. Three assignments of one task with the first, second and
third rows give completion 1 of 3 (rate 1/3), 2 overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = [
    "Assignment",
    "AssignmentStatus",
    "Completion",
    "Report",
    "TaskRuleError",
    "assignment_status",
    "completion",
    "validate_report",
]


class TaskRuleError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Report:
    value: Decimal
    evidence_kinds: frozenset[str]
    reported_at: datetime


@dataclass(frozen=True)
class Assignment:
    target: Decimal
    due_at: datetime
    required_evidence: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AssignmentStatus:
    progress: Decimal
    fraction: Decimal
    completed: bool
    completed_at: datetime | None
    overdue: bool
    late: bool
    missing_evidence: tuple[str, ...]


@dataclass(frozen=True)
class Completion:
    assigned: int
    completed: int
    overdue: int
    rate: Decimal


def _require_aware(field: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise TaskRuleError(field, "must be timezone-aware")


def validate_report(report: Report) -> None:
    """Refuse a report that cannot count as progress, naming the field."""
    if not report.value.is_finite() or report.value < 0:
        raise TaskRuleError("value", "progress must be zero or a positive number")
    _require_aware("reported_at", report.reported_at)


def assignment_status(
    assignment: Assignment, reports: Iterable[Report], now: datetime
) -> AssignmentStatus:
    """Where one partner stands on one task at ``now``."""
    if not assignment.target.is_finite() or assignment.target <= 0:
        raise TaskRuleError("target", "must be a positive number")
    _require_aware("due_at", assignment.due_at)
    _require_aware("now", now)
    progress = Decimal(0)
    given: set[str] = set()
    completed_at: datetime | None = None
    ordered = list(reports)
    for report in ordered:
        validate_report(report)
    for report in sorted(ordered, key=lambda r: r.reported_at):
        progress += report.value
        given |= report.evidence_kinds
        if (
            completed_at is None
            and progress >= assignment.target
            and assignment.required_evidence <= given
        ):
            completed_at = report.reported_at
    completed = completed_at is not None
    return AssignmentStatus(
        progress=progress,
        fraction=min(progress / assignment.target, Decimal(1)),
        completed=completed,
        completed_at=completed_at,
        overdue=not completed and now > assignment.due_at,
        late=completed_at is not None and completed_at > assignment.due_at,
        missing_evidence=tuple(sorted(assignment.required_evidence - given)),
    )


def completion(statuses: Iterable[AssignmentStatus]) -> Completion:
    """Completed and overdue counts of a group of assignments (one task's, one partner's)."""
    items = list(statuses)
    done = sum(1 for status in items if status.completed)
    overdue = sum(1 for status in items if status.overdue)
    rate = Decimal(done) / Decimal(len(items)) if items else Decimal(0)
    return Completion(assigned=len(items), completed=done, overdue=overdue, rate=rate)
