"""Accrual properties: the accruals of a year sum to the year's entitlement, rounded once, in
every currency and whatever the sales do month to month (late tiers, returns)."""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.accrual import accruals_for_year
from domain.money import is_minor_multiple, round_money
from domain.rebates import (
    Growth,
    RebateBasis,
    RebateMethod,
    RebateTerms,
    Sales,
    Tier,
    entitlement,
)

D = Decimal
currencies = st.sampled_from(["CNY", "USD", "JPY", "KWD"])
unrounded = st.decimals(min_value=-(10**6), max_value=10**7, places=6)


@settings(max_examples=120)
@given(st.lists(unrounded, min_size=1, max_size=12), currencies)
def test_each_running_total_is_the_rounded_year_to_date_entitlement(ytds, currency):
    accruals = accruals_for_year(ytds, currency)
    assert len(accruals) == len(ytds)
    for accrual in accruals:
        assert is_minor_multiple(accrual, currency)
    for running, ytd in zip(accumulate(accruals), ytds, strict=True):
        assert running == round_money(ytd, currency)


@settings(max_examples=60)
@given(st.lists(unrounded, min_size=1, max_size=12), st.sampled_from([ROUND_HALF_EVEN]))
def test_a_configured_rounding_mode_is_honoured(ytds, rounding):
    accruals = accruals_for_year(ytds, "CNY", rounding)
    assert sum(accruals) == round_money(ytds[-1], "CNY", rounding)


def amount_terms(method: RebateMethod, step: Decimal, cap: Decimal | None) -> RebateTerms:
    tiers = (
        Tier(D(0), step, rate=D("0.0125")),
        Tier(step, step * 3, rate=D("0.0275")),
        Tier(step * 3, None, rate=D("0.0333")),
    )
    growth = Growth(step, D("0.25"), D("0.0075"), "increment")
    return RebateTerms(method, RebateBasis.AMOUNT, tiers, growth=growth, cap=cap)


months = st.lists(
    st.builds(
        Sales,
        quantity=st.decimals(min_value=-50, max_value=500, places=0),
        amount=st.decimals(min_value=-5000, max_value=90000, places=2),
    ),
    min_size=12,
    max_size=12,
)


@settings(max_examples=80)
@given(
    months,
    st.sampled_from(RebateMethod),
    st.decimals(min_value=1000, max_value=200000, places=2),
    st.none() | st.decimals(min_value=0, max_value=20000, places=2),
    currencies,
)
def test_the_accruals_of_a_year_sum_to_the_year_s_entitlement(sales, method, step, cap, currency):
    terms = amount_terms(method, step, cap)
    ytd_sales = list(
        accumulate(sales, lambda a, b: Sales(a.quantity + b.quantity, a.amount + b.amount))
    )
    monthly = accruals_for_year([entitlement(terms, s) for s in ytd_sales], currency)
    quarterly = accruals_for_year(
        [entitlement(terms, ytd_sales[m]) for m in (2, 5, 8, 11)], currency
    )
    year = round_money(entitlement(terms, ytd_sales[-1]), currency, ROUND_HALF_UP)
    assert sum(monthly) == year
    assert sum(quarterly) == year
    if cap is not None:  # rounding is monotone: a capped figure rounds to at most the cap
        assert max(accumulate(monthly)) <= round_money(cap, currency)
