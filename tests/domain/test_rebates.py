"""Rebate entitlement: the docstring's worked examples, every tier boundary (at, one cent
under, one cent over), growth and cap boundaries, and refused terms naming the field."""

from dataclasses import replace
from decimal import Decimal
from typing import Literal

import pytest

from domain.rebates import (
    Growth,
    RebateBasis,
    RebateMethod,
    RebateRuleError,
    RebateTerms,
    Sales,
    Tier,
    breakdown,
    entitlement,
    tier_reached,
    validate_terms,
)

D = Decimal
RETRO, MARGINAL = RebateMethod.RETROACTIVE, RebateMethod.MARGINAL
AMOUNT, QUANTITY = RebateBasis.AMOUNT, RebateBasis.QUANTITY

AMOUNT_TIERS = (
    Tier(D(0), D(100000), rate=D("0.01")),
    Tier(D(100000), D(500000), rate=D("0.02")),
    Tier(D(500000), None, rate=D("0.03")),
)


def amount_terms(method: RebateMethod, cap: Decimal | None = None) -> RebateTerms:
    return RebateTerms(method, AMOUNT, AMOUNT_TIERS, cap=cap)


def by_amount(amount: str | int) -> Sales:
    return Sales(quantity=D(1), amount=D(amount))


@pytest.mark.parametrize(
    ("amount", "retroactive", "marginal"),
    [
        ("300000.00", "6000", "5000"),
        ("100000.00", "2000", "1000"),
        ("99999.99", "999.9999", "999.9999"),
        ("100000.01", "2000.0002", "1000.0002"),
        ("600000.00", "18000", "12000"),
    ],
)
def test_the_worked_examples_of_the_amount_tiers(amount, retroactive, marginal):
    assert entitlement(amount_terms(RETRO), by_amount(amount)) == D(retroactive)
    assert entitlement(amount_terms(MARGINAL), by_amount(amount)) == D(marginal)


def test_the_worked_example_of_the_cap():
    assert entitlement(amount_terms(RETRO, cap=D(5000)), by_amount("600000.00")) == D(5000)


@pytest.mark.parametrize(
    ("amount", "retroactive", "marginal"),
    [
        ("0.00", "0", "0"),
        ("99999.99", "999.9999", "999.9999"),
        ("100000.00", "2000.00", "1000.00"),
        ("100000.01", "2000.0002", "1000.0002"),
        ("499999.99", "9999.9998", "8999.9998"),
        ("500000.00", "15000.00", "9000.00"),
        ("500000.01", "15000.0003", "9000.0003"),
    ],
)
def test_each_amount_boundary_at_and_one_cent_either_side(amount, retroactive, marginal):
    assert entitlement(amount_terms(RETRO), by_amount(amount)) == D(retroactive)
    assert entitlement(amount_terms(MARGINAL), by_amount(amount)) == D(marginal)


@pytest.mark.parametrize(
    ("amount", "tier"),
    [("99999.99", 0), ("100000.00", 1), ("100000.01", 1), ("499999.99", 1), ("500000.00", 2)],
)
def test_a_boundary_belongs_to_the_tier_it_opens(amount, tier):
    assert tier_reached(amount_terms(RETRO), by_amount(amount)) == tier


PER_UNIT_TIERS = (
    Tier(D(0), D(1000), per_unit=D("0.50")),
    Tier(D(1000), None, per_unit=D("0.80")),
)


def test_the_worked_example_of_per_unit_tiers():
    sales = Sales(D(1500), D("75000.00"))
    assert entitlement(RebateTerms(RETRO, QUANTITY, PER_UNIT_TIERS), sales) == D(1200)
    assert entitlement(RebateTerms(MARGINAL, QUANTITY, PER_UNIT_TIERS), sales) == D(900)


@pytest.mark.parametrize(
    ("quantity", "retroactive", "marginal"),
    [
        ("999.99", "499.995", "499.995"),
        ("1000", "800", "500"),
        ("1000.01", "800.008", "500.008"),
    ],
)
def test_each_quantity_boundary_at_and_one_cent_either_side(quantity, retroactive, marginal):
    sales = Sales(D(quantity), D("50000.00"))
    assert entitlement(RebateTerms(RETRO, QUANTITY, PER_UNIT_TIERS), sales) == D(retroactive)
    assert entitlement(RebateTerms(MARGINAL, QUANTITY, PER_UNIT_TIERS), sales) == D(marginal)


def test_the_worked_example_of_a_quantity_basis_paying_rates_pro_rata():
    tiers = (Tier(D(0), D(1000), rate=D("0.01")), Tier(D(1000), None, rate=D("0.02")))
    sales = Sales(D(1500), D("60000.00"))
    assert entitlement(RebateTerms(RETRO, QUANTITY, tiers), sales) == D(1200)
    assert entitlement(RebateTerms(MARGINAL, QUANTITY, tiers), sales) == D(800)


def test_an_amount_basis_paying_per_unit_shares_the_quantity_pro_rata():
    tiers = (Tier(D(0), D(10000), per_unit=D(1)), Tier(D(10000), None, per_unit=D(2)))
    # 400 units for 40 000.00: the first 10 000.00 carry 100 units at 1, the rest 300 at 2.
    sales = Sales(D(400), D("40000.00"))
    assert entitlement(RebateTerms(RETRO, AMOUNT, tiers), sales) == D(800)
    assert entitlement(RebateTerms(MARGINAL, AMOUNT, tiers), sales) == D(700)


def test_nothing_is_earned_below_the_first_tier():
    tiers = (Tier(D(50000), D(100000), rate=D("0.01")), Tier(D(100000), None, rate=D("0.02")))
    retro, marginal = RebateTerms(RETRO, AMOUNT, tiers), RebateTerms(MARGINAL, AMOUNT, tiers)
    assert entitlement(retro, by_amount("49999.99")) == 0
    assert entitlement(marginal, by_amount("49999.99")) == 0
    assert entitlement(retro, by_amount("50000.00")) == D(500)
    assert entitlement(marginal, by_amount("50000.00")) == 0
    assert entitlement(retro, by_amount("50000.01")) == D("500.0001")
    assert entitlement(marginal, by_amount("50000.01")) == D("0.0001")
    assert tier_reached(retro, by_amount("49999.99")) is None


def growth_terms(on: Literal["total", "increment"], threshold: str = "0.10") -> RebateTerms:
    growth = Growth(D("200000.00"), D(threshold), D("0.01"), on)
    return RebateTerms(RETRO, AMOUNT, (), growth=growth)


@pytest.mark.parametrize(
    ("amount", "on_total", "on_increment"),
    [
        ("230000.00", "2300", "300"),
        ("220000.00", "2200", "200"),
        ("219999.99", "0", "0"),
        ("220000.01", "2200.0001", "200.0001"),
        ("150000.00", "0", "0"),
    ],
)
def test_the_growth_threshold_at_and_one_cent_either_side(amount, on_total, on_increment):
    assert entitlement(growth_terms("total"), by_amount(amount)) == D(on_total)
    assert entitlement(growth_terms("increment"), by_amount(amount)) == D(on_increment)


def test_growth_on_a_quantity_basis_pays_the_increment_s_share_of_the_amount():
    growth = Growth(D(1000), D("0.20"), D("0.05"), "increment")
    terms = RebateTerms(RETRO, QUANTITY, (), growth=growth)
    # 1 250 units (25 % growth) for 25 000.00: the 250 extra units carry 5 000.00; 5 % = 250.
    assert entitlement(terms, Sales(D(1250), D("25000.00"))) == D(250)
    assert entitlement(terms, Sales(D("1199.99"), D("25000.00"))) == 0


def test_growth_adds_to_the_tiers_and_the_breakdown_shows_the_parts():
    growth = Growth(D("200000.00"), D("0.10"), D("0.01"), "increment")
    terms = RebateTerms(MARGINAL, AMOUNT, AMOUNT_TIERS, growth=growth, cap=D(5500))
    parts = breakdown(terms, by_amount("300000.00"))
    assert parts.tiered == D(5000)
    assert parts.growth == D(1000)
    assert parts.uncapped == D(6000)
    assert parts.total == D(5500)
    assert parts.tier_index == 1


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("300000.00", "6000"), ("299999.99", "5999.9998"), ("300000.01", "6000")],
)
def test_the_cap_at_and_one_cent_either_side(amount, expected):
    assert entitlement(amount_terms(RETRO, cap=D(6000)), by_amount(amount)) == D(expected)


def test_a_zero_cap_pays_nothing_and_negative_sales_earn_nothing():
    assert entitlement(amount_terms(RETRO, cap=D(0)), by_amount("900000")) == 0
    assert entitlement(amount_terms(MARGINAL), by_amount("-5000.00")) == 0
    assert entitlement(growth_terms("total", threshold="0"), by_amount("-1")) == 0


def test_nothing_is_rounded():
    assert entitlement(amount_terms(RETRO), by_amount("0.01")) == D("0.0001")


def tiers(*specs: tuple[Decimal | None, ...]) -> tuple[Tier, ...]:
    return tuple(Tier(*spec) for spec in specs)  # type: ignore[arg-type]


OK_TIERS = AMOUNT_TIERS
R = D("0.01")


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), D(100), R), (D(90), None, R))),
            "tiers[1].lower",
            "overlaps",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), D(100), R), (D(110), None, R))),
            "tiers[1].lower",
            "gap",
        ),
        (
            RebateTerms(
                RETRO, AMOUNT, tiers((D(0), D(100), R), (D(100), D(200), R), (D("200.01"), None, R))
            ),
            "tiers[2].lower",
            "gap",
        ),
        (RebateTerms(RETRO, AMOUNT, tiers((D(0), None, D("-0.01")))), "tiers[0].rate", "negative"),
        (RebateTerms(RETRO, AMOUNT, tiers((D(0), None, D("1.01")))), "tiers[0].rate", "at most"),
        (RebateTerms(RETRO, AMOUNT, tiers((D(0), None, R, D(1)))), "tiers[0].rate", "not both"),
        (RebateTerms(RETRO, AMOUNT, tiers((D(0), None))), "tiers[0].rate", "needs a rate"),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), None, None, D(-1)))),
            "tiers[0].per_unit",
            "negative",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), D(100), R), (D(100), None, None, D(1)))),
            "tiers[1].per_unit",
            "same kind",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), D(100), D("0.02")), (D(100), None, R))),
            "tiers[1].rate",
            "below the tier under it",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), None, R), (D(100), None, R))),
            "tiers[0].upper",
            "open-ended",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(0), D(100), R))),
            "tiers[0].upper",
            "must be open-ended",
        ),
        (
            RebateTerms(RETRO, AMOUNT, tiers((D(100), D(100), R), (D(100), None, R))),
            "tiers[0].upper",
            "above lower",
        ),
        (RebateTerms(RETRO, AMOUNT, tiers((D(-1), None, R))), "tiers[0].lower", "negative"),
        (RebateTerms(RETRO, AMOUNT, tiers((D("NaN"), None, R))), "tiers[0].lower", "finite"),
        (RebateTerms(RETRO, AMOUNT, OK_TIERS, cap=D("-0.01")), "cap", "negative"),
        (RebateTerms(RETRO, AMOUNT, ()), "tiers", "at least one tier"),
        (
            RebateTerms(RETRO, AMOUNT, (), Growth(D(0), D("0.1"), R, "total")),
            "growth.baseline",
            "above 0",
        ),
        (
            RebateTerms(RETRO, AMOUNT, (), Growth(D(10), D("-0.1"), R, "total")),
            "growth.threshold",
            "negative",
        ),
        (
            RebateTerms(RETRO, AMOUNT, (), Growth(D(10), D("0.1"), D(-1), "total")),
            "growth.rate",
            "negative",
        ),
        (
            RebateTerms(RETRO, AMOUNT, (), Growth(D(10), D("0.1"), R, "sometimes")),  # type: ignore[arg-type]
            "growth.on",
            "increment",
        ),
        (RebateTerms("RETRO", AMOUNT, OK_TIERS), "method", "MARGINAL"),  # type: ignore[arg-type]
        (RebateTerms(RETRO, "AMT", OK_TIERS), "basis", "QUANTITY"),  # type: ignore[arg-type]
    ],
)
def test_refused_terms_name_the_field(terms, field, words):
    with pytest.raises(RebateRuleError) as raised:
        validate_terms(terms)
    assert raised.value.field == field
    assert words in raised.value.message
    with pytest.raises(RebateRuleError):
        entitlement(terms, by_amount("1000"))


def test_valid_terms_pass_and_sales_must_be_finite():
    validate_terms(amount_terms(MARGINAL, cap=D(0)))
    validate_terms(growth_terms("increment"))
    with pytest.raises(RebateRuleError) as raised:
        entitlement(amount_terms(RETRO), Sales(D(1), D("NaN")))
    assert raised.value.field == "sales.amount"
    with pytest.raises(RebateRuleError) as raised:
        entitlement(amount_terms(RETRO), replace(by_amount(1), quantity=D("Infinity")))
    assert raised.value.field == "sales.quantity"


def test_the_docstring_examples_run():
    import doctest

    import domain.rebates

    result = doctest.testmod(domain.rebates)
    assert result.attempted > 0
    assert result.failed == 0
