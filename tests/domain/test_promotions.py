"""Promotion subsidies: the worked examples, the window's first and last days, bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.money import round_money
from domain.promotions import PromotionRuleError, Subsidy, active_on, subsidy_for

D = Decimal
MAY_1, MAY_31 = date(2026, 5, 1), date(2026, 5, 31)
PER_UNIT = Subsidy(D("4.50"), None, MAY_1, MAY_31)
PERCENT = Subsidy(None, D(5), MAY_1, MAY_31)


def test_the_worked_examples():
    assert subsidy_for(PER_UNIT, D(120), D("6000.00"), MAY_31) == D("540.00")
    assert subsidy_for(PERCENT, D(120), D("6000.00"), MAY_31) == D("300.00")
    assert subsidy_for(PER_UNIT, D(120), D("6000.00"), date(2026, 6, 1)) == 0
    assert subsidy_for(PERCENT, D(120), D("6000.00"), date(2026, 4, 30)) == 0
    odd = Subsidy(None, D("12.5"), MAY_1, MAY_31)
    assert subsidy_for(odd, D(3), D("99.99"), MAY_1) == D("12.49875")
    assert round_money(subsidy_for(odd, D(3), D("99.99"), MAY_1)) == D("12.50")


@pytest.mark.parametrize(
    ("day", "active"),
    [
        (date(2026, 4, 30), False),
        (MAY_1, True),
        (date(2026, 5, 2), True),
        (date(2026, 5, 30), True),
        (MAY_31, True),
        (date(2026, 6, 1), False),
    ],
)
def test_both_ends_of_the_window_are_included(day, active):
    assert active_on(PER_UNIT, day) is active
    assert (subsidy_for(PER_UNIT, D(1), D(10), day) == D("4.50")) is active


def test_a_one_day_promotion_and_a_return_clawing_back():
    one_day = Subsidy(D(1), None, MAY_1, MAY_1)
    assert subsidy_for(one_day, D(7), D(70), MAY_1) == D(7)
    assert subsidy_for(PERCENT, D(-2), D("-100.00"), MAY_1) == D("-5.00")


@pytest.mark.parametrize(
    ("subsidy", "field"),
    [
        (Subsidy(D(1), D(5), MAY_1, MAY_31), "per_unit"),
        (Subsidy(None, None, MAY_1, MAY_31), "per_unit"),
        (Subsidy(D("-0.01"), None, MAY_1, MAY_31), "per_unit"),
        (Subsidy(None, D("-0.01"), MAY_1, MAY_31), "percent"),
        (Subsidy(None, D("100.01"), MAY_1, MAY_31), "percent"),
        (Subsidy(None, D("NaN"), MAY_1, MAY_31), "percent"),
        (Subsidy(D(1), None, MAY_1, None), "ends"),  # type: ignore[arg-type]
        (Subsidy(D(1), None, None, MAY_31), "starts"),  # type: ignore[arg-type]
        (Subsidy(D(1), None, MAY_31, MAY_1), "ends"),
    ],
)
def test_refused_subsidies_name_the_field(subsidy, field):
    with pytest.raises(PromotionRuleError) as raised:
        subsidy_for(subsidy, D(1), D(1), MAY_1)
    assert raised.value.field == field


def test_a_sale_must_be_finite():
    with pytest.raises(PromotionRuleError) as raised:
        subsidy_for(PERCENT, D(1), D("Infinity"), MAY_1)
    assert raised.value.field == "amount"


def test_a_full_percent_subsidy_is_the_amount():
    assert subsidy_for(Subsidy(None, D(100), MAY_1, MAY_31), D(3), D("99.99"), MAY_1) == D("99.99")


@settings(max_examples=80)
@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=10**7, places=2),
    st.integers(min_value=-40, max_value=70),
)
def test_a_percent_subsidy_stays_within_the_amount_and_the_window(percent, amount, offset):
    subsidy = Subsidy(None, percent, MAY_1, MAY_31)
    day = MAY_1 + timedelta(days=offset)
    earned = subsidy_for(subsidy, D(1), amount, day)
    assert 0 <= earned <= amount
    if not MAY_1 <= day <= MAY_31:
        assert earned == 0
    else:
        assert earned * 100 == percent * amount  # exact: nothing rounded


def test_the_docstring_examples_run():
    import doctest

    import domain.promotions

    result = doctest.testmod(domain.promotions)
    assert result.attempted > 0
    assert result.failed == 0
