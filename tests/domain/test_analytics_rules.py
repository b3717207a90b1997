"""Analytics rules: the docstring's worked examples, growth without a base, Pareto ties and
a zero total, and the sell-through estimate's floor."""

import doctest
from decimal import Decimal

import domain.analytics
from domain.analytics import pareto, sell_through, yoy_growth

D = Decimal


def test_docstring_examples() -> None:
    result = doctest.testmod(domain.analytics)
    assert result.attempted >= 4
    assert result.failed == 0


def test_growth() -> None:
    assert yoy_growth(D("80"), D("100")) == D("-0.2000")
    assert yoy_growth(D("1"), D("3")) == D("-0.6667")
    assert yoy_growth(D("5"), D("0")) is None
    assert yoy_growth(D("0"), None) is None


def test_pareto_cumulative_reaches_one_and_ties_by_key() -> None:
    rows = pareto([("Z", D("1")), ("Y", D("1")), ("X", D("1")), ("W", D("7"))])
    assert [r.key for r in rows] == ["W", "X", "Y", "Z"]
    assert [r.share for r in rows] == [D("0.7000"), D("0.1000"), D("0.1000"), D("0.1000")]
    assert [r.cumulative_share for r in rows] == [D("0.7"), D("0.8"), D("0.9"), D("1")]


def test_pareto_thirds_cumulative_from_running_sum() -> None:
    rows = pareto([("A", D("1")), ("B", D("1")), ("C", D("1"))])
    assert [r.share for r in rows] == [D("0.3333")] * 3
    assert rows[-1].cumulative_share == D("1.0000")


def test_pareto_zero_total() -> None:
    rows = pareto([("A", D("0"))])
    assert (rows[0].share, rows[0].cumulative_share) == (D(0), D(0))
    assert pareto([]) == []


def test_sell_through() -> None:
    assert sell_through(0, 5) is None
    assert sell_through(10, 30) == D("0.0000")
    assert sell_through(10, 0) == D("1.0000")
    assert sell_through(3, 1) == D("0.6667")
