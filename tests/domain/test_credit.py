"""Available credit and whether an order exceeds it: at the limit, one cent either side."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.credit import CreditRuleError, available_credit, exceeds, shortfall

D = Decimal


def test_the_worked_example():
    available = available_credit(D("50000.00"), D("12000.00"), D("30000.00"))
    assert available == D("8000.00")
    assert not exceeds(available, D("8000.00"))
    assert not exceeds(available, D("7999.99"))
    assert exceeds(available, D("8000.01"))
    assert shortfall(available, D("8000.01")) == D("0.01")
    assert shortfall(available, D("8000.00")) == 0
    assert shortfall(available, D("7999.99")) == 0


def test_a_partner_over_its_limit_has_negative_credit_and_every_order_exceeds_it():
    available = available_credit(D("10000.00"), D(0), D("12500.00"))
    assert available == D("-2500.00")
    assert exceeds(available, D("0.01"))
    assert exceeds(available, D(0))  # nothing at all fits once over the limit
    assert shortfall(available, D("100.00")) == D("2600.00")


def test_a_zero_limit_refuses_any_positive_amount():
    available = available_credit(D(0), D(0), D(0))
    assert not exceeds(available, D(0))
    assert exceeds(available, D("0.01"))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: available_credit(D("-0.01"), D(0), D(0)), "limit"),
        (lambda: available_credit(D(100), D("-1"), D(0)), "open_orders"),
        (lambda: available_credit(D(100), D(0), D("-1")), "open_invoices"),
        (lambda: available_credit(D("NaN"), D(0), D(0)), "limit"),
        (lambda: exceeds(D(100), D("-0.01")), "amount"),
        (lambda: exceeds(D("Infinity"), D(1)), "available"),
        (lambda: shortfall(D(100), 5), "amount"),  # type: ignore[arg-type]
    ],
)
def test_bad_figures_name_the_field(call, field):
    with pytest.raises(CreditRuleError) as raised:
        call()
    assert raised.value.field == field


money = st.decimals(min_value=0, max_value=10**9, places=2)


@settings(max_examples=80)
@given(money, money, money, money)
def test_an_amount_fits_exactly_when_it_leaves_no_shortfall(limit, orders, invoices, amount):
    available = available_credit(limit, orders, invoices)
    assert available == limit - orders - invoices
    assert exceeds(available, amount) == (shortfall(available, amount) > 0)
    if not exceeds(available, amount):
        assert orders + invoices + amount <= limit


def test_the_docstring_examples_run():
    import doctest

    import domain.credit

    result = doctest.testmod(domain.credit)
    assert result.attempted > 0
    assert result.failed == 0
