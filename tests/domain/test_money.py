"""Rounding money to a currency's minor unit: the worked examples, modes, and bad input."""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.money import (
    MINOR_UNITS,
    MoneyError,
    is_minor_multiple,
    minor_unit,
    money_quantum,
    round_money,
)


@pytest.mark.parametrize(
    ("value", "currency", "rounding", "expected"),
    [
        ("1234.565", "CNY", ROUND_HALF_UP, "1234.57"),
        ("1234.564", "CNY", ROUND_HALF_UP, "1234.56"),
        ("-0.005", "CNY", ROUND_HALF_UP, "-0.01"),
        ("1234.5", "JPY", ROUND_HALF_UP, "1235"),
        ("0.0005", "KWD", ROUND_HALF_UP, "0.001"),
        ("2.675", "CNY", ROUND_HALF_EVEN, "2.68"),
        ("2.665", "CNY", ROUND_HALF_EVEN, "2.66"),
        ("2.669", "USD", ROUND_DOWN, "2.66"),
    ],
)
def test_the_worked_examples(value, currency, rounding, expected):
    result = round_money(Decimal(value), currency, rounding)
    assert result == Decimal(expected)
    assert str(result) == expected  # the exponent is the currency's, not the input's


def test_half_up_is_the_default_and_cny_the_default_currency():
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("0.124999")) == Decimal("0.12")


def test_minor_units_and_quanta():
    assert minor_unit("CNY") == minor_unit("usd") == minor_unit("EUR") == 2
    assert minor_unit("JPY") == 0
    assert money_quantum("CNY") == Decimal("0.01")
    assert money_quantum("JPY") == Decimal(1)
    assert money_quantum("BHD") == Decimal("0.001")


def test_a_huge_value_rounds_exactly():
    value = Decimal("123456789012345678901234567890.125")
    assert round_money(value) == Decimal("123456789012345678901234567890.13")


def test_is_minor_multiple():
    assert is_minor_multiple(Decimal("1.50"), "CNY")
    assert is_minor_multiple(Decimal("1.5000"), "CNY")
    assert not is_minor_multiple(Decimal("1.505"), "CNY")
    assert not is_minor_multiple(Decimal("1.5"), "JPY")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: round_money(Decimal(1), "XXX"), "currency"),
        (lambda: round_money(Decimal(1), rounding="ROUND_SOMETIMES"), "rounding"),
        (lambda: round_money(Decimal("NaN")), "value"),
        (lambda: round_money(Decimal("Infinity")), "value"),
        (lambda: round_money(1.5), "value"),  # type: ignore[arg-type]
        (lambda: is_minor_multiple(Decimal("sNaN"), "CNY"), "value"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(MoneyError) as raised:
        call()
    assert raised.value.field == field
    assert field in str(raised.value)


def test_an_unknown_currency_lists_the_known_ones():
    with pytest.raises(MoneyError, match="CNY"):
        minor_unit("ABC")


amounts = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=6)


@settings(max_examples=60)
@given(amounts, st.sampled_from(sorted(MINOR_UNITS)))
def test_rounding_lands_on_the_minor_unit_within_half_of_it(value, currency):
    result = round_money(value, currency)
    quantum = money_quantum(currency)
    assert is_minor_multiple(result, currency)
    assert abs(result - value) <= quantum / 2
    assert round_money(result, currency) == result  # idempotent
    assert round_money(-value, currency) == -result  # half-up is symmetric about zero


def test_the_docstring_examples_run():
    import doctest

    import domain.money

    result = doctest.testmod(domain.money)
    assert result.attempted > 0
    assert result.failed == 0
