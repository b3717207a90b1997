"""Channel health: the docstring's worked example, band boundaries (49.99/50/79.99/80 and
rounding), weight validation (negative, all zero), missing or out-of-range components, why a
band dropped, and the raw-measure helpers."""

from decimal import Decimal

import pytest

from domain.health import (
    DEFAULT_WEIGHTS,
    HealthBand,
    HealthComponent,
    HealthRuleError,
    band_drop,
    band_for,
    health_score,
    inventory_score,
    payment_score,
    stability_score,
    target_score,
    validate_weights,
)

D = Decimal
C = HealthComponent


def comps(**values: int | str) -> dict[HealthComponent, Decimal]:
    return {C(k): D(v) for k, v in values.items()}


LAST = comps(target=90, order_stability=80, payment=95, inventory=70, engagement=60, compliance=100)
NOW = {**LAST, C.TARGET: D(60), C.PAYMENT: D(70)}


def test_worked_example_and_why_the_band_dropped() -> None:
    last, now = health_score(LAST), health_score(NOW)
    assert (last.total, last.band) == (D("84.50"), HealthBand.GREEN)
    assert (now.total, now.band) == (D("70.50"), HealthBand.YELLOW)
    drop = band_drop(last, now)
    assert drop is not None
    assert (drop.previous_band, drop.current_band) == (HealthBand.GREEN, HealthBand.YELLOW)
    assert [(r.component, r.points_lost) for r in drop.reasons] == [
        (C.TARGET, D("9.00")),
        (C.PAYMENT, D("5.00")),
    ]
    assert drop.reasons[0].previous == D(90) and drop.reasons[0].current == D(60)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        ("0", HealthBand.RED),
        ("49.99", HealthBand.RED),
        ("50", HealthBand.YELLOW),
        ("50.00", HealthBand.YELLOW),
        ("79.99", HealthBand.YELLOW),
        ("80", HealthBand.GREEN),
        ("100", HealthBand.GREEN),
    ],
)
def test_band_boundaries(total: str, band: HealthBand) -> None:
    assert band_for(D(total)) is band
    # the same through a score: one component with all the weight
    score = health_score({C.TARGET: D(total)}, {C.TARGET: D(1)})
    assert score.band is band and score.total == D(total).quantize(D("0.01"))


def test_band_read_from_rounded_total() -> None:
    # (79.995 + 79.995) / 2 → 79.995 → rounds half up to 80.00 → green, as shown
    score = health_score(
        {C.TARGET: D("79.995"), C.PAYMENT: D("79.995")}, {C.TARGET: D(1), C.PAYMENT: D(1)}
    )
    assert score.total == D("80.00") and score.band is HealthBand.GREEN
    score = health_score({C.TARGET: D("49.994")}, {C.TARGET: D(1)})
    assert score.total == D("49.99") and score.band is HealthBand.RED


def test_weights_need_not_sum_to_100_and_zero_weight_is_ignored() -> None:
    weights = {C.TARGET: D(1), C.PAYMENT: D(3), C.COMPLIANCE: D(0)}
    score = health_score({C.TARGET: D(40), C.PAYMENT: D(80)}, weights)
    assert score.total == D("70.00")


def test_all_zero_weights_refused() -> None:
    with pytest.raises(HealthRuleError) as err:
        health_score(LAST, dict.fromkeys(C, D(0)))
    assert err.value.field == "weights"
    with pytest.raises(HealthRuleError):
        validate_weights({})


def test_negative_or_nan_weight_refused_naming_it() -> None:
    with pytest.raises(HealthRuleError) as err:
        validate_weights({**DEFAULT_WEIGHTS, C.PAYMENT: D(-1)})
    assert err.value.field == "weights.payment"
    with pytest.raises(HealthRuleError) as err:
        validate_weights({**DEFAULT_WEIGHTS, C.INVENTORY: D("NaN")})
    assert err.value.field == "weights.inventory"


@pytest.mark.parametrize("value", ["-0.01", "100.01", "NaN"])
def test_component_out_of_range_refused(value: str) -> None:
    with pytest.raises(HealthRuleError) as err:
        health_score({**LAST, C.ENGAGEMENT: D(value)})
    assert err.value.field == "components.engagement"


def test_missing_weighted_component_refused() -> None:
    partial: dict[HealthComponent, Decimal] = {
        c: v for c, v in LAST.items() if c is not C.COMPLIANCE
    }
    with pytest.raises(HealthRuleError) as err:
        health_score(partial)
    assert err.value.field == "components.compliance"
    # but fine when its weight is zero
    assert health_score(partial, {**DEFAULT_WEIGHTS, C.COMPLIANCE: D(0)}).total == D("82.78")


def test_no_drop_when_band_same_or_better() -> None:
    last, now = health_score(LAST), health_score(NOW)
    assert band_drop(now, last) is None
    assert band_drop(last, last) is None
    worse_in_band = health_score({**LAST, C.TARGET: D(80)})
    assert worse_in_band.band is HealthBand.GREEN and band_drop(last, worse_in_band) is None


def test_drop_reasons_ties_by_component_order_and_top_limit() -> None:
    weights = dict.fromkeys(C, D(1))
    before = health_score(dict.fromkeys(C, D(90)), weights)
    after = health_score({**dict.fromkeys(C, D(30)), C.COMPLIANCE: D(95)}, weights)
    drop = band_drop(before, after, top=2)
    assert drop is not None and drop.current_band is HealthBand.RED
    assert [r.component for r in drop.reasons] == [C.TARGET, C.ORDER_STABILITY]
    assert all(r.points_lost == D("10.00") for r in drop.reasons)
    full = band_drop(before, after, top=10)
    assert full is not None and C.COMPLIANCE not in [r.component for r in full.reasons]


def test_helpers_worked_examples() -> None:
    assert target_score(D(95), D(100)) == D(95)
    assert target_score(D(95), D(100), growth=D("0.10")) == D(100)
    assert target_score(D(150), D(100)) == D(100)
    assert target_score(D(50), D(100), growth=D("-0.20")) == D(40)
    assert stability_score([D(100)] * 3) == D(100)
    assert stability_score([D(50), D(150)]) == D(50)
    assert stability_score([]) == D(0)
    assert stability_score([D(0), D(0)]) == D(0)
    assert payment_score(D("0.9"), D(5)) == D(80)
    assert payment_score(D(0), D(30)) == D(0)
    assert inventory_score(D(8)) == D(100)
    assert inventory_score(D(2)) == D(50)
    assert inventory_score(D(0)) == D(0)
    assert inventory_score(D(24)) == D(40)
    assert inventory_score(D(4)) == D(100) and inventory_score(D(12)) == D(100)


def test_helpers_refuse_bad_input() -> None:
    with pytest.raises(HealthRuleError) as err:
        target_score(D(1), D(0))
    assert err.value.field == "target"
    with pytest.raises(HealthRuleError) as err:
        payment_score(D("1.5"), D(0))
    assert err.value.field == "on_time_share"
    with pytest.raises(HealthRuleError) as err:
        inventory_score(D(-1))
    assert err.value.field == "weeks_of_cover"
