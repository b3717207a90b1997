"""Accrual periods and the year-to-date true-up: the worked examples and refused input."""

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

import pytest

from domain.accrual import (
    PeriodKind,
    accrual_for_period,
    accruals_for_year,
    check_period,
    period_bounds,
    period_closed,
    period_index,
    periods_of_year,
    year_to_date,
)
from domain.money import MoneyError
from domain.rebates import (
    RebateBasis,
    RebateMethod,
    RebateRuleError,
    RebateTerms,
    Sales,
    Tier,
    entitlement,
)

D = Decimal
TERMS = RebateTerms(
    RebateMethod.RETROACTIVE,
    RebateBasis.AMOUNT,
    (Tier(D(0), D(100000), rate=D("0.01")), Tier(D(100000), None, rate=D("0.02"))),
)


def test_the_worked_quarterly_example_catches_up_and_trues_down():
    ytd_sales = ["40000.00", "90000.00", "130000.00", "125000.00"]
    ytd = [entitlement(TERMS, Sales(D(1), D(s))) for s in ytd_sales]
    assert ytd == [D(400), D(900), D(2600), D(2500)]
    accruals = accruals_for_year(ytd, "CNY")
    assert accruals == (D("400.00"), D("500.00"), D("1700.00"), D("-100.00"))
    assert sum(accruals) == D("2500.00")
    assert accrual_for_period(D("2600.0000"), D("900.00"), "CNY") == D("1700.00")
    assert accrual_for_period(D("2500"), D("2600.00"), "CNY") == D("-100.00")


def test_rounding_happens_on_the_year_to_date_figure_only():
    assert accrual_for_period(D("333.333"), D(0), "CNY") == D("333.33")
    assert accrual_for_period(D("666.666"), D("333.33"), "CNY") == D("333.34")
    assert accruals_for_year([D("333.333"), D("666.666"), D("999.999")], "CNY") == (
        D("333.33"),
        D("333.34"),
        D("333.33"),
    )


def test_half_up_unless_configured_and_the_currency_s_minor_unit():
    assert accrual_for_period(D("0.125"), D(0), "CNY") == D("0.13")
    assert accrual_for_period(D("0.125"), D(0), "CNY", ROUND_HALF_EVEN) == D("0.12")
    assert accrual_for_period(D("1234.5"), D(1000), "JPY") == D(235)
    assert str(accrual_for_period(D("2.5"), D("1.00"), "CNY")) == "1.50"


@pytest.mark.parametrize(
    ("ytd", "before", "currency", "field", "error"),
    [
        (D("10"), D("0.005"), "CNY", "accrued_before", RebateRuleError),
        (D("10"), D("0.5"), "JPY", "accrued_before", RebateRuleError),
        (D("NaN"), D(0), "CNY", "entitlement_ytd", RebateRuleError),
        (D(10), D("Infinity"), "CNY", "accrued_before", RebateRuleError),
        (D(10), D(0), "XYZ", "currency", MoneyError),
    ],
)
def test_refused_accrual_input_names_the_field(ytd, before, currency, field, error):
    with pytest.raises(error) as raised:
        accrual_for_period(ytd, before, currency)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("kind", "year", "index", "bounds"),
    [
        (PeriodKind.MONTH, 2026, 1, (date(2026, 1, 1), date(2026, 2, 1))),
        (PeriodKind.MONTH, 2028, 2, (date(2028, 2, 1), date(2028, 3, 1))),
        (PeriodKind.MONTH, 2026, 12, (date(2026, 12, 1), date(2027, 1, 1))),
        (PeriodKind.QUARTER, 2026, 2, (date(2026, 4, 1), date(2026, 7, 1))),
        (PeriodKind.QUARTER, 2026, 4, (date(2026, 10, 1), date(2027, 1, 1))),
        (PeriodKind.YEAR, 2026, 1, (date(2026, 1, 1), date(2027, 1, 1))),
    ],
)
def test_period_bounds_are_half_open(kind, year, index, bounds):
    assert period_bounds(kind, year, index) == bounds
    start, end = bounds
    assert period_index(kind, start) == index
    assert period_index(kind, date.fromordinal(end.toordinal() - 1)) == index
    assert year_to_date(kind, year, index) == (date(year, 1, 1), end)


@pytest.mark.parametrize("kind", list(PeriodKind))
def test_the_periods_of_a_year_tile_it(kind):
    periods = periods_of_year(kind, 2026)
    assert len(periods) == {"MONTH": 12, "QUARTER": 4, "YEAR": 1}[kind]
    assert periods[0][0] == date(2026, 1, 1)
    assert periods[-1][1] == date(2027, 1, 1)
    for (_, end), (start, _) in pairwise(periods):
        assert end == start


def test_a_period_closes_on_its_end_day():
    assert not period_closed(PeriodKind.QUARTER, 2026, 1, date(2026, 3, 31))
    assert period_closed(PeriodKind.QUARTER, 2026, 1, date(2026, 4, 1))
    assert not period_closed(PeriodKind.YEAR, 2026, 1, date(2026, 12, 31))


@pytest.mark.parametrize(
    ("kind", "year", "index", "field"),
    [
        (PeriodKind.MONTH, 2026, 0, "period.index"),
        (PeriodKind.MONTH, 2026, 13, "period.index"),
        (PeriodKind.QUARTER, 2026, 5, "period.index"),
        (PeriodKind.YEAR, 2026, 2, "period.index"),
        (PeriodKind.QUARTER, 0, 1, "period.year"),
        (PeriodKind.QUARTER, 2026, True, "period.index"),
    ],
)
def test_an_unknown_period_is_refused(kind, year, index, field):
    with pytest.raises(RebateRuleError) as raised:
        period_bounds(kind, year, index)
    assert raised.value.field == field


def test_a_period_with_no_end_is_refused():
    check_period(date(2026, 1, 1), date(2027, 1, 1))
    with pytest.raises(RebateRuleError) as raised:
        check_period(date(2026, 1, 1), None)
    assert (raised.value.field, raised.value.message) == ("period.ends", "a period needs an end")
    with pytest.raises(RebateRuleError) as raised:
        check_period(None, date(2026, 1, 1))
    assert raised.value.field == "period.starts"
    with pytest.raises(RebateRuleError) as raised:
        check_period(date(2026, 1, 1), date(2026, 1, 1))
    assert raised.value.field == "period.ends"


def test_a_period_whose_end_day_is_included_may_last_one_day():
    check_period(date(2026, 5, 1), date(2026, 5, 1), ends_included=True)
    with pytest.raises(RebateRuleError) as raised:
        check_period(date(2026, 5, 1), date(2026, 4, 30), ends_included=True)
    assert raised.value.field == "period.ends"
    with pytest.raises(RebateRuleError) as raised:
        check_period(date(2026, 5, 1), None, ends_included=True)
    assert raised.value.field == "period.ends"


def test_the_docstring_examples_run():
    import doctest

    import domain.accrual

    result = doctest.testmod(domain.accrual)
    assert result.attempted > 0
    assert result.failed == 0
