"""The order rules: the status machine, quantities, amounts and exact totals."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import OrderStatus, PartnerStatus, ProductLifecycle
from domain.orders import (
    MAX_AMOUNT,
    TRANSITIONS,
    InvalidOrder,
    LineRequest,
    TransitionNotAllowed,
    allowed_targets,
    amount_problem,
    check_transition,
    order_number,
    partner_may_order,
    price_lines,
    product_orderable,
    quantity_problem,
)

S = OrderStatus
ALLOWED = {
    (S.DRAFT, S.SUBMITTED),
    (S.SUBMITTED, S.APPROVED),
    (S.APPROVED, S.SHIPPED),
    (S.SHIPPED, S.DELIVERED),
    (S.DELIVERED, S.CLOSED),
    (S.DRAFT, S.CANCELLED),
    (S.SUBMITTED, S.CANCELLED),
    (S.APPROVED, S.CANCELLED),
}
ALL_PAIRS = [(a, b) for a in S for b in S]


def test_transition_table_is_exactly_the_documented_lifecycle():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_check_transition_accepts_allowed_changes(from_status, to_status):
    check_transition(from_status, to_status)


@pytest.mark.parametrize(("from_status", "to_status"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_check_transition_refuses_everything_else_naming_the_allowed_targets(
    from_status, to_status
):
    with pytest.raises(TransitionNotAllowed) as refused:
        check_transition(from_status, to_status)
    assert refused.value.from_status == from_status
    assert refused.value.to_status == to_status
    assert refused.value.allowed == allowed_targets(from_status)


def test_closed_and_cancelled_are_final():
    assert allowed_targets(S.CLOSED) == ()
    assert allowed_targets(S.CANCELLED) == ()
    with pytest.raises(TransitionNotAllowed, match="none"):
        check_transition(S.CLOSED, S.DRAFT)


def test_only_active_partners_may_order():
    assert [s for s in PartnerStatus if partner_may_order(s)] == [PartnerStatus.ACTIVE]


def test_draft_and_discontinued_products_are_not_orderable():
    refused = {lc for lc in ProductLifecycle if not product_orderable(lc)}
    assert refused == {ProductLifecycle.DRAFT, ProductLifecycle.DISCONTINUED}


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2", None])
def test_quantity_must_be_a_positive_whole_number(quantity):
    assert quantity_problem(quantity) is not None


def test_positive_whole_quantity_is_accepted():
    assert quantity_problem(1) is None
    assert quantity_problem(2_000_000_000) is None


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("-0.01", "negative"),
        ("1.00001", "4 decimal places"),
        ("100000000000000", "exceed"),
    ],
)
def test_amount_problems(amount, problem):
    message = amount_problem(Decimal(amount))
    assert message is not None
    assert problem in message


@pytest.mark.parametrize("amount", ["0", "12.5", "1.50000", "0.0001", str(MAX_AMOUNT)])
def test_storable_amounts_are_accepted(amount):
    assert amount_problem(Decimal(amount)) is None


def test_price_lines_numbers_lines_and_totals_exactly():
    priced = price_lines(
        [
            LineRequest(3, Decimal("12.50")),
            LineRequest(3, Decimal("0.1")),
            LineRequest(1, Decimal(0)),
        ]
    )
    assert [line.line_no for line in priced.lines] == [1, 2, 3]
    assert [line.line_total for line in priced.lines] == [
        Decimal("37.50"),
        Decimal("0.3"),
        Decimal(0),
    ]
    assert priced.total == Decimal("37.80")


def test_price_lines_reports_every_bad_line():
    with pytest.raises(InvalidOrder) as refused:
        price_lines(
            [LineRequest(0, Decimal(1)), LineRequest(2, Decimal("-1")), LineRequest(1, Decimal(1))]
        )
    problems = {(p.index, p.field) for p in refused.value.problems}
    assert problems == {(0, "quantity"), (1, "unit_price")}


def test_price_lines_refuses_an_empty_order():
    with pytest.raises(InvalidOrder) as refused:
        price_lines([])
    assert [(p.index, p.field) for p in refused.value.problems] == [(None, "lines")]


def test_price_lines_refuses_a_total_the_money_columns_cannot_hold():
    with pytest.raises(InvalidOrder, match="exceeds"):
        price_lines([LineRequest(2, MAX_AMOUNT)])
    half = (MAX_AMOUNT / 2).quantize(Decimal("0.0001"))
    with pytest.raises(InvalidOrder, match="order total exceeds"):
        price_lines([LineRequest(1, half), LineRequest(1, half), LineRequest(1, Decimal(1))])


prices = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
lines = st.lists(
    st.builds(LineRequest, quantity=st.integers(1, 10_000), unit_price=prices),
    min_size=1,
    max_size=30,
)


@given(lines)
def test_total_is_exactly_the_sum_of_quantity_times_unit_price(requested):
    priced = price_lines(requested)
    exact = sum(Fraction(line.quantity) * Fraction(line.unit_price) for line in requested)
    assert Fraction(priced.total) == exact
    assert priced.total == sum((line.quantity * line.unit_price for line in requested), Decimal(0))
    for line, request in zip(priced.lines, requested, strict=True):
        assert Fraction(line.line_total) == Fraction(request.quantity) * Fraction(
            request.unit_price
        )


def test_order_number_carries_the_day_and_the_suffix():
    assert order_number(date(2026, 1, 5), "K3M9QZ") == "SO-20260105-K3M9QZ"
