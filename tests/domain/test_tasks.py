"""Tasks: the docstring's worked example, the due-date boundary, evidence, refused input."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.tasks import (
    Assignment,
    Report,
    TaskRuleError,
    assignment_status,
    completion,
    validate_report,
)

D = Decimal
DUE = datetime(2026, 6, 30, tzinfo=UTC)
NOW = datetime(2026, 7, 1, tzinfo=UTC)
TASK = Assignment(target=D(100), due_at=DUE, required_evidence=frozenset({"photo"}))
PHOTO = frozenset({"photo"})
NONE: frozenset[str] = frozenset()


def june(day: int) -> datetime:
    return datetime(2026, 6, day, tzinfo=UTC)


ROW1 = [Report(D(60), NONE, june(10)), Report(D(50), NONE, june(20))]
ROW2 = [Report(D(60), PHOTO, june(10)), Report(D(50), NONE, june(20))]
ROW3 = [Report(D(60), NONE, june(10)), Report(D(30), PHOTO, june(20))]
ROW4 = [*ROW1, Report(D(0), PHOTO, NOW)]


def test_target_reached_without_required_evidence_is_overdue_and_names_it() -> None:
    status = assignment_status(TASK, ROW1, NOW)
    assert (status.progress, status.fraction) == (D(110), D(1))
    assert (status.completed, status.overdue, status.late) == (False, True, False)
    assert status.missing_evidence == ("photo",)
    assert status.completed_at is None


def test_completed_at_the_report_that_reaches_target_with_evidence() -> None:
    status = assignment_status(TASK, list(reversed(ROW2)), NOW)
    assert status.completed is True
    assert status.completed_at == june(20)
    assert (status.overdue, status.late, status.missing_evidence) == (False, False, ())


def test_short_of_target_after_due_date_is_overdue() -> None:
    status = assignment_status(TASK, ROW3, NOW)
    assert (status.progress, status.fraction) == (D(90), D("0.9"))
    assert (status.completed, status.overdue) == (False, True)
    assert status.missing_evidence == ()


def test_completed_after_due_date_is_late_not_overdue() -> None:
    status = assignment_status(TASK, ROW4, NOW + timedelta(days=1))
    assert status.completed_at == NOW
    assert (status.completed, status.late, status.overdue) == (True, True, False)


def test_due_date_boundary() -> None:
    assert assignment_status(TASK, ROW3, DUE).overdue is False
    assert assignment_status(TASK, ROW3, DUE + timedelta(microseconds=1)).overdue is True


def test_no_reports_no_progress() -> None:
    status = assignment_status(TASK, [], june(1))
    assert (status.progress, status.fraction, status.completed, status.overdue) == (
        D(0),
        D(0),
        False,
        False,
    )


def test_completion_per_task_worked_example() -> None:
    summary = completion(assignment_status(TASK, rows, NOW) for rows in (ROW1, ROW2, ROW3))
    assert (summary.assigned, summary.completed, summary.overdue) == (3, 1, 2)
    assert summary.rate == D(1) / D(3)


def test_completion_of_nothing_is_zero() -> None:
    summary = completion([])
    assert (summary.assigned, summary.completed, summary.overdue, summary.rate) == (0, 0, 0, D(0))


@pytest.mark.parametrize(
    ("assignment", "reports", "now", "field"),
    [
        (Assignment(D(0), DUE), [], NOW, "target"),
        (Assignment(D(-5), DUE), [], NOW, "target"),
        (Assignment(D(10), datetime(2026, 6, 30)), [], NOW, "due_at"),
        (Assignment(D(10), DUE), [], datetime(2026, 7, 1), "now"),
        (Assignment(D(10), DUE), [Report(D(-1), NONE, june(1))], NOW, "value"),
        (Assignment(D(10), DUE), [Report(D(1), NONE, datetime(2026, 6, 1))], NOW, "reported_at"),
    ],
)
def test_refused_input_names_the_field(
    assignment: Assignment, reports: list[Report], now: datetime, field: str
) -> None:
    with pytest.raises(TaskRuleError) as caught:
        assignment_status(assignment, reports, now)
    assert caught.value.field == field


def test_naive_report_time_among_aware_ones_is_refused_not_a_crash() -> None:
    reports = [Report(D(1), NONE, june(1)), Report(D(1), NONE, datetime(2026, 6, 2))]
    with pytest.raises(TaskRuleError) as caught:
        assignment_status(TASK, reports, NOW)
    assert caught.value.field == "reported_at"


def test_validate_report_refuses_not_a_number() -> None:
    with pytest.raises(TaskRuleError) as caught:
        validate_report(Report(D("NaN"), NONE, june(1)))
    assert caught.value.field == "value"
