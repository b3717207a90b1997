"""Points: the docstring's worked examples, step boundaries, and refused redemptions."""

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.points import (
    Earning,
    EarningKind,
    InsufficientPoints,
    PointsRuleError,
    PointsRules,
    balance,
    points_for,
    redeem,
    validate_rules,
)

D = Decimal
RULES = PointsRules()


@pytest.mark.parametrize(
    ("earning", "expected"),
    [
        (Earning(EarningKind.PURCHASE, amount=D("12345.67")), 123),
        (Earning(EarningKind.PURCHASE, amount=D("99.99")), 0),
        (Earning(EarningKind.PURCHASE, amount=D("100.00")), 1),
        (Earning(EarningKind.PURCHASE, amount=D("-500")), 0),
        (Earning(EarningKind.TASK_COMPLETED), 50),
        (Earning(EarningKind.TRAINING_PASSED), 100),
        (Earning(EarningKind.SCAN_REPORT, quantity=24), 24),
        (Earning(EarningKind.SCAN_REPORT, quantity=0), 0),
    ],
)
def test_worked_examples(earning: Earning, expected: int) -> None:
    assert points_for(RULES, earning) == expected


def test_custom_rules_scale_each_kind() -> None:
    rules = PointsRules(
        amount_step=D("50"),
        points_per_step=3,
        task_completed=7,
        training_passed=11,
        scan_report_per_unit=2,
    )
    assert points_for(rules, Earning(EarningKind.PURCHASE, amount=D("149.99"))) == 6
    assert points_for(rules, Earning(EarningKind.TASK_COMPLETED)) == 7
    assert points_for(rules, Earning(EarningKind.TRAINING_PASSED)) == 11
    assert points_for(rules, Earning(EarningKind.SCAN_REPORT, quantity=5)) == 10


def test_balance_and_redemption_worked_example() -> None:
    total = balance([123, 50, 100, -200])
    assert total == 73
    assert redeem(total, 73) == 0
    assert redeem(total, 1) == 72
    with pytest.raises(InsufficientPoints) as caught:
        redeem(total, 74)
    assert (caught.value.balance, caught.value.cost) == (73, 74)
    assert "74" in str(caught.value) and "73" in str(caught.value)


def test_balance_of_no_entries_is_zero_and_redeeming_from_it_is_refused() -> None:
    assert balance([]) == 0
    with pytest.raises(InsufficientPoints):
        redeem(0, 1)


@pytest.mark.parametrize("cost", [0, -5])
def test_redemption_of_no_or_negative_cost_is_refused(cost: int) -> None:
    with pytest.raises(PointsRuleError) as caught:
        redeem(100, cost)
    assert caught.value.field == "cost"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (replace(RULES, amount_step=D(0)), "amount_step"),
        (replace(RULES, amount_step=D("-1")), "amount_step"),
        (replace(RULES, amount_step=D("NaN")), "amount_step"),
        (replace(RULES, points_per_step=-1), "points_per_step"),
        (replace(RULES, task_completed=-1), "task_completed"),
        (replace(RULES, training_passed=-3), "training_passed"),
        (replace(RULES, scan_report_per_unit=-2), "scan_report_per_unit"),
    ],
)
def test_refused_rules_name_the_field(rules: PointsRules, field: str) -> None:
    with pytest.raises(PointsRuleError) as caught:
        validate_rules(rules)
    assert caught.value.field == field
    with pytest.raises(PointsRuleError):
        points_for(rules, Earning(EarningKind.TASK_COMPLETED))


def test_negative_scan_quantity_and_infinite_amount_are_refused() -> None:
    with pytest.raises(PointsRuleError) as caught:
        points_for(RULES, Earning(EarningKind.SCAN_REPORT, quantity=-1))
    assert caught.value.field == "quantity"
    with pytest.raises(PointsRuleError) as caught:
        points_for(RULES, Earning(EarningKind.PURCHASE, amount=D("Infinity")))
    assert caught.value.field == "amount"
