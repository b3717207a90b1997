"""Stock rules: reorder suggestions (worked examples and properties), low stock, ageing
buckets at each boundary, slow-moving stock and its share of stock value."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.stock_rules import (
    AGEING_BUCKETS,
    StockRuleError,
    ageing_bucket,
    is_below_minimum,
    is_slow_moving,
    projected_stock,
    reorder_suggestion,
    slow_moving_share,
)


@pytest.mark.parametrize(
    ("on_hand", "reserved", "in_transit", "expected"),
    [(30, 15, 0, 96), (30, 10, 0, 0), (30, 11, 0, 84), (10, 0, 9, 84), (5, 8, 0, 108)],
)
def test_the_worked_reorder_examples(on_hand, reserved, in_transit, expected):
    assert reorder_suggestion(on_hand, reserved, in_transit, 20, 100, 12) == expected


def test_a_multiple_of_one_orders_exactly_up_to_the_maximum():
    assert reorder_suggestion(0, 0, 0, 1, 50, 1) == 50
    assert reorder_suggestion(19, 0, 0, 20, 20, 1) == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1, 0, 0, 1, 2, 1), "on_hand"),
        ((0, -1, 0, 1, 2, 1), "reserved"),
        ((0, 0, -1, 1, 2, 1), "in_transit"),
        ((0, 0, 0, -1, 2, 1), "minimum"),
        ((0, 0, 0, 5, 4, 1), "maximum"),
        ((0, 0, 0, 1, 2, 0), "multiple"),
        ((1.5, 0, 0, 1, 2, 1), "on_hand"),
        ((True, 0, 0, 1, 2, 1), "on_hand"),
    ],
)
def test_refused_reorder_input_names_the_field(args, field):
    with pytest.raises(StockRuleError) as raised:
        reorder_suggestion(*args)
    assert raised.value.field == field


counts = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=150)
@given(counts, counts, counts, counts, counts, st.integers(min_value=1, max_value=500))
def test_a_suggestion_refills_to_the_maximum_in_the_fewest_multiples(
    on_hand, reserved, in_transit, minimum, extra, multiple
):
    maximum = minimum + extra
    projected = projected_stock(on_hand, reserved, in_transit)
    suggestion = reorder_suggestion(on_hand, reserved, in_transit, minimum, maximum, multiple)
    assert suggestion % multiple == 0
    if projected >= minimum:
        assert suggestion == 0
    else:
        assert suggestion > 0
        assert projected + suggestion >= maximum
        assert projected + suggestion - multiple < maximum


def test_low_stock_is_strictly_below_the_minimum():
    assert is_below_minimum(19, 20)
    assert not is_below_minimum(20, 20)
    assert not is_below_minimum(21, 20)
    assert is_below_minimum(-3, 0)
    with pytest.raises(StockRuleError):
        is_below_minimum(5, -1)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (29, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (89, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (10_000, "90+"),
    ],
)
def test_ageing_buckets_at_each_boundary(days, bucket):
    assert ageing_bucket(days) == bucket


def test_the_bucket_table_matches_the_function_and_has_no_gaps():
    for (label, first, last), (_, next_first, _) in zip(
        AGEING_BUCKETS, [*AGEING_BUCKETS[1:], ("", None, None)], strict=True
    ):
        assert ageing_bucket(first) == label
        if last is not None:
            assert ageing_bucket(last) == label
            assert next_first == last + 1
    with pytest.raises(StockRuleError) as raised:
        ageing_bucket(-1)
    assert raised.value.field == "days"


def test_slow_moving_from_the_threshold_day_and_when_never_sold():
    assert not is_slow_moving(89)
    assert is_slow_moving(90)
    assert is_slow_moving(None)
    assert not is_slow_moving(29, threshold_days=30)
    assert is_slow_moving(30, threshold_days=30)
    with pytest.raises(StockRuleError) as raised:
        is_slow_moving(10, threshold_days=0)
    assert raised.value.field == "threshold_days"


def test_the_slow_moving_share_of_stock_value():
    assert slow_moving_share(Decimal("2500.00"), Decimal("10000.00")) == Decimal("0.25")
    assert slow_moving_share(Decimal(0), Decimal(0)) == 0
    with pytest.raises(StockRuleError) as raised:
        slow_moving_share(Decimal(2), Decimal(1))
    assert raised.value.field == "slow_value"
    with pytest.raises(StockRuleError) as raised:
        slow_moving_share(Decimal(0), Decimal("-1"))
    assert raised.value.field == "total_value"


def test_the_docstring_examples_run():
    import doctest

    import domain.stock_rules

    result = doctest.testmod(domain.stock_rules)
    assert result.attempted > 0
    assert result.failed == 0
