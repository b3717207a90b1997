"""Casts of the mapping engine: exact decimals, strict integers, aware UTC times, booleans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.mapper import cast_value


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_decimal_string_round_trips_exactly(value):
    cast = cast_value(str(value), "decimal")
    assert isinstance(cast, Decimal)
    assert str(cast) == str(value)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.timezones(),
    )
)
def test_any_aware_iso_datetime_maps_to_the_same_instant_in_utc(moment):
    if moment.utcoffset() is None:  # e.g. a zone that does not exist in that year
        return
    mapped = cast_value(moment.isoformat(), "datetime", timezone="Asia/Tokyo")
    assert mapped.tzinfo is UTC
    assert mapped == moment.astimezone(UTC)  # (PEP 495: compare in one zone)


def test_decimal_from_int_float_and_text_is_exact():
    assert cast_value(12, "decimal") == Decimal(12)
    assert str(cast_value(0.1, "decimal")) == "0.1"
    assert str(cast_value(" 1234.50 ", "decimal")) == "1234.50"


@pytest.mark.parametrize("text", ["1,234.50", "NaN", "Infinity", "", "12 EUR", "1.2.3"])
def test_decimal_refuses_anything_but_plain_digits(text):
    with pytest.raises(ValueError, match="decimal"):
        cast_value(text, "decimal")


def test_decimal_refuses_booleans_and_non_finite_floats():
    for value in (True, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            cast_value(value, "decimal")


def test_int_accepts_whole_numbers_and_refuses_fractions():
    assert cast_value("42", "int") == 42
    assert cast_value("2.0", "int") == 2
    assert cast_value(7, "int") == 7
    for value in ("1.5", 1.5, "abc", True):
        with pytest.raises(ValueError, match="integer"):
            cast_value(value, "int")


def test_naive_datetime_gets_the_rule_zone_then_utc():
    mapped = cast_value("2024-07-01T10:00:00", "datetime", timezone="Europe/Berlin")
    assert mapped == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert mapped.tzinfo is UTC


def test_aware_datetime_keeps_its_instant():
    mapped = cast_value("2024-01-02T03:04:05Z", "datetime", timezone="Asia/Tokyo")
    assert mapped == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    offset = datetime(2024, 1, 2, 12, tzinfo=timezone(timedelta(hours=5)))
    assert cast_value(offset, "datetime") == datetime(2024, 1, 2, 7, tzinfo=UTC)


def test_datetime_refuses_garbage_and_unknown_zones():
    with pytest.raises(ValueError, match="ISO 8601"):
        cast_value("yesterday", "datetime")
    with pytest.raises(ValueError, match="time zone"):
        cast_value("2024-01-02T03:04:05", "datetime", timezone="Mars/Olympus")


def test_date_accepts_iso_dates_only():
    assert cast_value("2024-02-29", "date") == date(2024, 2, 29)
    for value in ("2024-02-30", "02/03/2024", datetime(2024, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValueError, match="date"):
            cast_value(value, "date")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("Y", True),
        ("n", False),
        (1, True),
        (0, False),
        (True, True),
    ],
)
def test_bool_accepts_the_usual_spellings(raw, expected):
    assert cast_value(raw, "bool") is expected


def test_bool_refuses_other_values():
    for value in ("maybe", 2, "t"):
        with pytest.raises(ValueError, match="boolean"):
            cast_value(value, "bool")


def test_str_refuses_objects_and_lists():
    assert cast_value(12, "str") == "12"
    for value in ({"a": 1}, [1]):
        with pytest.raises(ValueError, match="text"):
            cast_value(value, "str")
