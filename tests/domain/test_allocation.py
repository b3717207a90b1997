"""Allocation rules: the docstring's worked examples, largest-remainder ties, caps binding,
zero stock, more stock than requested, priority levels, the weight-multiplier hook, and
refused input naming the field."""

from decimal import Decimal
from fractions import Fraction

import pytest

from domain.allocation import (
    AllocationError,
    AllocationRequest,
    AllocationRule,
    allocate,
)

D = Decimal
R = AllocationRequest
PROP, TIER, PRIO, SELL = (
    AllocationRule.PROPORTIONAL,
    AllocationRule.TIER_WEIGHTED,
    AllocationRule.STRICT_PRIORITY,
    AllocationRule.SELL_THROUGH,
)


def alloc(stock: int, requests: list[AllocationRequest], rule: AllocationRule) -> dict[str, int]:
    return {line.key: line.allocated for line in allocate(stock, requests, rule).lines}


def test_proportional_worked_example_largest_remainder() -> None:
    result = allocate(10, [R("A", 6), R("B", 4), R("C", 2)], PROP)
    assert [line.allocated for line in result.lines] == [5, 3, 2]
    assert [line.exact_share for line in result.lines] == [
        Fraction(5),
        Fraction(10, 3),
        Fraction(5, 3),
    ]
    assert [line.rounded_up for line in result.lines] == [False, False, True]
    assert result.allocated == 10 and result.unallocated == 0
    assert "rounded up by largest remainder" in result.by_key["C"].explanation
    assert "allocated 3 of 4" in result.by_key["B"].explanation


def test_tie_goes_to_larger_weight_then_earlier_request() -> None:
    assert alloc(1, [R("A", 1), R("B", 1)], PROP) == {"A": 1, "B": 0}
    assert alloc(1, [R("B", 1), R("A", 1)], PROP) == {"B": 1, "A": 0}
    # equal remainders (½ each: shares ½ and 1½) but C's weight is larger: C wins although
    # listed later
    reqs = [R("A", 1, sell_through=D(1)), R("C", 5, sell_through=D(3))]
    assert alloc(2, reqs, SELL) == {"A": 0, "C": 2}
    # stock 3 over 2,2,2: shares 1,1,1 — no rounding at all
    assert alloc(3, [R("A", 2), R("B", 2), R("C", 2)], PROP) == {"A": 1, "B": 1, "C": 1}
    # stock 2 over 1,1,1: shares ⅔ each, the first two in order get the units
    assert alloc(2, [R("A", 1), R("B", 1), R("C", 1)], PROP) == {"A": 1, "B": 1, "C": 0}


def test_tie_on_remainder_broken_by_weight() -> None:
    # sell-through weights 3 and 1, stock 2, requests 1 and 5: A capped at 1 → B gets 1
    assert alloc(2, [R("A", 1, sell_through=D(3)), R("B", 5, sell_through=D(1))], SELL) == {
        "A": 1,
        "B": 1,
    }
    # weights 2 and 2 vs 1: stock 1 with remainders equal on all → heaviest first
    reqs = [R("A", 2, tier_weight=D(1)), R("B", 1, tier_weight=D(2))]
    # weights 2 and 2: equal → A (earlier)
    assert alloc(1, reqs, TIER) == {"A": 1, "B": 0}
    reqs = [R("A", 2, tier_weight=D(1)), R("B", 1, tier_weight=D(4))]
    # weights 2 and 4: shares ⅓, ⅔ → B by remainder
    assert alloc(1, reqs, TIER) == {"A": 0, "B": 1}


def test_cap_binding_redistributes_excess() -> None:
    result = allocate(10, [R("A", 2, tier_weight=D(4)), R("B", 10, tier_weight=D(1))], TIER)
    assert [line.allocated for line in result.lines] == [2, 8]
    assert result.by_key["A"].capped and not result.by_key["B"].capped
    assert "capped at its request 2" in result.by_key["A"].explanation


def test_cascading_caps() -> None:
    # proportional by weights 1,1,1 via sell-through: 12 over 2, 3, 20 → 2, 3, 7
    reqs = [R(k, q, sell_through=D(1)) for k, q in (("A", 2), ("B", 3), ("C", 20))]
    assert alloc(12, reqs, SELL) == {"A": 2, "B": 3, "C": 7}


def test_zero_stock_allocates_nothing() -> None:
    for rule in AllocationRule:
        result = allocate(0, [R("A", 5, sell_through=D(1)), R("B", 3)], rule)
        assert [line.allocated for line in result.lines] == [0, 0]
        assert result.unallocated == 0


def test_more_stock_than_requested_everyone_full_rest_stays() -> None:
    for rule in AllocationRule:
        result = allocate(100, [R("A", 30), R("B", 20), R("C", 0)], rule)
        assert [line.allocated for line in result.lines] == [30, 20, 0]
        assert result.allocated == 50 and result.unallocated == 50
        assert result.by_key["C"].explanation.endswith("nothing requested")


def test_no_requests() -> None:
    result = allocate(5, [], PROP)
    assert result.lines == () and result.unallocated == 5


def test_strict_priority_serves_levels_in_order() -> None:
    reqs = [R("A", 6, priority=1), R("B", 6, priority=2), R("C", 2, priority=2)]
    assert alloc(10, reqs, PRIO) == {"A": 6, "B": 3, "C": 1}
    assert alloc(5, reqs, PRIO) == {"A": 5, "B": 0, "C": 0}
    reqs.append(R("D", 9, priority=0))
    assert alloc(10, reqs, PRIO) == {"A": 1, "B": 0, "C": 0, "D": 9}


def test_sell_through_fastest_first_zero_sellers_last() -> None:
    reqs = [R("slow", 10, sell_through=D(0)), R("fast", 4, sell_through=D("2.5"))]
    assert alloc(3, reqs, SELL) == {"slow": 0, "fast": 3}
    # fast is full at 4; the remaining 2 go to the zero-seller
    assert alloc(6, reqs, SELL) == {"slow": 2, "fast": 4}


def test_weight_multiplier_hook_raises_share() -> None:
    base = [R("A", 10), R("B", 10)]
    assert alloc(10, base, PROP) == {"A": 5, "B": 5}
    boosted = [R("A", 10, weight_multiplier=D(4)), R("B", 10)]
    assert alloc(10, boosted, PROP) == {"A": 8, "B": 2}
    assert "multiplier 4" in allocate(10, boosted, PROP).by_key["A"].explanation


def test_sum_equals_min_of_stock_and_requests_and_never_exceeds_request() -> None:
    reqs = [
        R(f"P{i}", q, tier_weight=D(i % 3 + 1), sell_through=D(i))
        for i, q in enumerate([7, 0, 13, 1, 1, 29, 4])
    ]
    for rule in AllocationRule:
        for stock in range(60):
            result = allocate(stock, reqs, rule)
            assert result.allocated == min(stock, 55)
            assert all(0 <= line.allocated <= line.requested for line in result.lines)
            assert all(abs(line.allocated - line.exact_share) < 1 for line in result.lines)


@pytest.mark.parametrize(
    ("stock", "requests", "field"),
    [
        (10, [R("A", 1), R("B", -1)], "requests[1].requested"),
        (-1, [R("A", 1)], "stock"),
        (10, [R("A", 1), R("A", 2)], "requests[1].key"),
        (10, [R("A", 1, tier_weight=D(-1))], "requests[0].tier_weight"),
        (10, [R("A", 1, sell_through=D("NaN"))], "requests[0].sell_through"),
        (10, [R("A", 1, weight_multiplier=D("-0.5"))], "requests[0].weight_multiplier"),
    ],
)
def test_bad_input_names_the_field(
    stock: int, requests: list[AllocationRequest], field: str
) -> None:
    with pytest.raises(AllocationError) as err:
        allocate(stock, requests, PROP)
    assert err.value.field == field
