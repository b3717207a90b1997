"""Rebate properties over generated terms: marginal never exceeds retroactive on the same
tiers, the cap always holds, nothing is rounded inside, and broken tiers are refused."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rebates import (
    Growth,
    RebateBasis,
    RebateMethod,
    RebateRuleError,
    RebateTerms,
    Sales,
    Tier,
    entitlement,
    tier_reached,
    validate_terms,
)

D = Decimal
CENT = D("0.01")


def money(max_value: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=max_value, places=2)


@st.composite
def tier_sets(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = draw(st.lists(money(1_000_000), min_size=1, max_size=5, unique=True))
    bounds = sorted(bounds)
    if draw(st.booleans()):
        bounds = [D(0), *bounds] if bounds[0] != 0 else bounds
    per_unit = draw(st.booleans())
    values = sorted(
        draw(
            st.lists(
                st.decimals(min_value=0, max_value=1 if not per_unit else 50, places=4),
                min_size=len(bounds),
                max_size=len(bounds),
            )
        )
    )
    uppers: list[Decimal | None] = [*bounds[1:], None]
    return tuple(
        Tier(lower, upper, per_unit=value) if per_unit else Tier(lower, upper, rate=value)
        for lower, upper, value in zip(bounds, uppers, values, strict=True)
    )


growths = st.builds(
    Growth,
    baseline=money(1_000_000).filter(lambda v: v > 0),
    threshold=st.decimals(min_value=0, max_value=1, places=2),
    rate=st.decimals(min_value=0, max_value=D("0.1"), places=3),
    on=st.sampled_from(["total", "increment"]),
)

terms_of = st.builds(
    RebateTerms,
    method=st.sampled_from(RebateMethod),
    basis=st.sampled_from(RebateBasis),
    tiers=tier_sets(),
    growth=st.none() | growths,
    cap=st.none() | money(100_000),
)

sales_of = st.builds(Sales, quantity=money(2_000_000), amount=money(2_000_000))


@settings(max_examples=150)
@given(terms_of, sales_of)
def test_marginal_never_exceeds_retroactive_on_the_same_tiers(terms, sales):
    validate_terms(terms)
    marginal = entitlement(replace(terms, method=RebateMethod.MARGINAL), sales)
    retroactive = entitlement(replace(terms, method=RebateMethod.RETROACTIVE), sales)
    assert marginal <= retroactive


@settings(max_examples=150)
@given(terms_of, sales_of)
def test_the_cap_always_holds_and_nothing_is_negative(terms, sales):
    earned = entitlement(terms, sales)
    assert earned >= 0
    if terms.cap is not None:
        assert earned <= terms.cap
        uncapped = entitlement(replace(terms, cap=None), sales)
        assert earned == min(uncapped, terms.cap)


@settings(max_examples=100)
@given(tier_sets(), money(2_000_000))
def test_retroactive_on_amount_is_exactly_the_reached_rate_times_the_amount(tiers, amount):
    terms = RebateTerms(RebateMethod.RETROACTIVE, RebateBasis.AMOUNT, tiers)
    sales = Sales(D(1), amount)
    reached = tier_reached(terms, sales)
    earned = entitlement(terms, sales)
    if reached is None:
        assert earned == 0
        return
    tier = tiers[reached]
    assert tier.lower <= amount and (tier.upper is None or amount < tier.upper)
    expected = tier.rate * amount if tier.rate is not None else tier.per_unit * D(1)
    assert earned == expected  # exact: no rounding inside


@settings(max_examples=100)
@given(tier_sets(), money(2_000_000), money(2_000_000))
def test_marginal_grows_with_sales_and_moves_at_most_a_cent_at_the_top_rate(tiers, a, b):
    terms = RebateTerms(RebateMethod.MARGINAL, RebateBasis.AMOUNT, tiers)
    if tiers[0].per_unit is not None:
        tiers = tuple(replace(t, rate=min(t.per_unit, D(1)), per_unit=None) for t in tiers)
        terms = replace(terms, tiers=tiers)
    low, high = sorted((a, b))
    assert entitlement(terms, Sales(D(1), low)) <= entitlement(terms, Sales(D(1), high))
    top_rate = tiers[-1].rate
    assert top_rate is not None
    step = entitlement(terms, Sales(D(1), high + CENT)) - entitlement(terms, Sales(D(1), high))
    assert 0 <= step <= CENT * top_rate


@settings(max_examples=60)
@given(tier_sets().filter(lambda t: len(t) == 1), sales_of)
def test_one_tier_from_zero_makes_both_methods_equal(tiers, sales):
    tiers = (replace(tiers[0], lower=D(0)),)
    for basis in RebateBasis:
        retro = RebateTerms(RebateMethod.RETROACTIVE, basis, tiers)
        marginal = replace(retro, method=RebateMethod.MARGINAL)
        assert entitlement(retro, sales) == entitlement(marginal, sales)


@settings(max_examples=60)
@given(tier_sets().filter(lambda t: len(t) >= 2), st.data())
def test_a_moved_boundary_is_refused_naming_the_tier(tiers, data):
    index = data.draw(st.integers(min_value=1, max_value=len(tiers) - 1))
    shift = data.draw(st.sampled_from([-CENT, CENT]))
    moved = replace(tiers[index], lower=tiers[index].lower + shift)
    broken = (*tiers[:index], moved, *tiers[index + 1 :])
    terms = RebateTerms(RebateMethod.MARGINAL, RebateBasis.AMOUNT, broken)
    with pytest.raises(RebateRuleError) as raised:
        validate_terms(terms)
    # Moving a lower bound down one cent may also make the tier empty or negative.
    assert raised.value.field in (f"tiers[{index}].lower", f"tiers[{index}].upper")
    if raised.value.field.endswith(".lower") and shift < 0:
        assert "overlaps" in raised.value.message or "negative" in raised.value.message
