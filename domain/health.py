"""Channel health score per partner and period: weighted components, a band, and why it fell.

Interface (others call these names)::

    class HealthComponent(StrEnum): TARGET, ORDER_STABILITY, PAYMENT, INVENTORY,
                                    ENGAGEMENT, COMPLIANCE
    class HealthBand(StrEnum): GREEN, YELLOW, RED
    DEFAULT_WEIGHTS: Mapping[HealthComponent, Decimal]
    validate_weights(weights) -> None                   # raises HealthRuleError
    health_score(components, weights=DEFAULT_WEIGHTS) -> HealthScore
    band_for(total: Decimal) -> HealthBand
    band_drop(previous: HealthScore, current: HealthScore, top=3) -> BandDrop | None
    HealthScore(total: Decimal, band, components: dict, weights: dict)
    BandDrop(previous_band, current_band, reasons: tuple[DropReason, ...])
    DropReason(component, previous, current, points_lost: Decimal)
    HealthRuleError(field: str, message: str)           # a ValueError naming e.g. "weights.payment"

    # raw measures → component scores 0–100 (helpers for the scoring job)
    target_score(actual, target, growth=None) -> Decimal
    stability_score(monthly_amounts) -> Decimal
    payment_score(on_time_share, average_days_late) -> Decimal
    inventory_score(weeks_of_cover, low=4, high=12) -> Decimal

Meaning of the numbers:

- Each component is a score from 0 to 100 (anything else is refused with the component named).
  ``TARGET`` covers target attainment and growth, ``PAYMENT`` the payment behaviour,
  ``INVENTORY`` the inventory health.
- Weights are non-negative numbers with a positive sum; they need not add to 1 or 100 — the
  total is the weighted mean ``Σ wᵢ·sᵢ / Σ wᵢ``, so it stays in 0–100. A component with weight
  0 is ignored; a component with a positive weight must be given.
- The total is rounded to 2 decimals (half up) and the band is read from the **rounded** total,
  so the figure shown and the band agree: green ≥ 80, yellow 50–79.99, red < 50.
- *Why a band dropped*: when the current band is worse than the previous one, the components
  are ranked by the points of the total they lost, ``wᵢ/Σw × (previousᵢ - currentᵢ)``, largest
  first (ties by component order); only components that fell are reasons.

Worked example, default weights (target 30, stability 15, payment 20, inventory 15,
engagement 10, compliance 10; sum 100). Last quarter: target 90, stability 80, payment 95,
inventory 70, engagement 60, compliance 100 → (2700 + 1200 + 1900 + 1050 + 600 + 1000) / 100
= 84.50, green. This quarter target 60, payment 70, the rest unchanged → (1800 + 1200 + 1400
+ 1050 + 600 + 1000) / 100 = 70.50, yellow. The band dropped green → yellow because target
lost 9.00 points and payment 5.00.

Helpers: ``target_score(95, 100)`` = 95 (attainment capped at 100 %); with growth 10 %
it gains 10 × 0.5 = 5 points (growth counts half, the score is capped at 100, a decline
costs the same). ``stability_score([100, 100, 100])`` = 100; the score falls by 100 × the
coefficient of variation (population), floored at 0. ``payment_score(0.9, 5)`` = 90 - 5 × 2
= 80. ``inventory_score(8)`` = 100 (4 to 12 weeks of cover is healthy); 2 weeks = 50, 0 = 0;
above 12 it falls by 5 points a week (24 weeks = 40).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

__all__ = [
    "DEFAULT_WEIGHTS",
    "BandDrop",
    "DropReason",
    "HealthBand",
    "HealthComponent",
    "HealthRuleError",
    "HealthScore",
    "band_drop",
    "band_for",
    "health_score",
    "inventory_score",
    "payment_score",
    "stability_score",
    "target_score",
    "validate_weights",
]

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")


class HealthComponent(StrEnum):
    TARGET = "target"
    ORDER_STABILITY = "order_stability"
    PAYMENT = "payment"
    INVENTORY = "inventory"
    ENGAGEMENT = "engagement"
    COMPLIANCE = "compliance"


class HealthBand(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_BAND_RANK = {HealthBand.GREEN: 2, HealthBand.YELLOW: 1, HealthBand.RED: 0}
_ORDER = list(HealthComponent)

DEFAULT_WEIGHTS: Mapping[HealthComponent, Decimal] = {
    HealthComponent.TARGET: Decimal(30),
    HealthComponent.ORDER_STABILITY: Decimal(15),
    HealthComponent.PAYMENT: Decimal(20),
    HealthComponent.INVENTORY: Decimal(15),
    HealthComponent.ENGAGEMENT: Decimal(10),
    HealthComponent.COMPLIANCE: Decimal(10),
}


class HealthRuleError(ValueError):
    """Refused health input; ``field`` names it, e.g. ``weights.payment``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class HealthScore:
    total: Decimal
    band: HealthBand
    components: dict[HealthComponent, Decimal]
    weights: dict[HealthComponent, Decimal]


@dataclass(frozen=True)
class DropReason:
    component: HealthComponent
    previous: Decimal
    current: Decimal
    points_lost: Decimal


@dataclass(frozen=True)
class BandDrop:
    previous_band: HealthBand
    current_band: HealthBand
    reasons: tuple[DropReason, ...]


def validate_weights(weights: Mapping[HealthComponent, Decimal]) -> None:
    """Refuse negative or non-finite weights and an all-zero set."""
    for component, w in weights.items():
        if not isinstance(component, HealthComponent):
            raise HealthRuleError(f"weights.{component}", "is not a health component")
        if not w.is_finite() or w < 0:
            raise HealthRuleError(f"weights.{component.value}", f"must be non-negative ({w})")
    if sum(weights.values(), ZERO) <= 0:
        raise HealthRuleError("weights", "must sum to more than zero")


def band_for(total: Decimal) -> HealthBand:
    """Green ≥ 80, yellow ≥ 50, red below."""
    if total >= 80:
        return HealthBand.GREEN
    if total >= 50:
        return HealthBand.YELLOW
    return HealthBand.RED


def health_score(
    components: Mapping[HealthComponent, Decimal],
    weights: Mapping[HealthComponent, Decimal] = DEFAULT_WEIGHTS,
) -> HealthScore:
    """The weighted mean of the component scores, rounded to cents, with its band."""
    validate_weights(weights)
    for component, s in components.items():
        if not s.is_finite() or not ZERO <= s <= HUNDRED:
            raise HealthRuleError(f"components.{component.value}", f"must be 0–100 ({s})")
    used = {c: w for c, w in weights.items() if w > 0}
    for c in used:
        if c not in components:
            raise HealthRuleError(f"components.{c.value}", "is missing but has a weight")
    total_weight = sum(used.values(), ZERO)
    raw = sum((w * components[c] for c, w in used.items()), ZERO) / total_weight
    total = raw.quantize(CENT, rounding=ROUND_HALF_UP)
    return HealthScore(total, band_for(total), dict(components), dict(weights))


def band_drop(previous: HealthScore, current: HealthScore, top: int = 3) -> BandDrop | None:
    """Why the band got worse: up to ``top`` components that lost the most points, or None."""
    if _BAND_RANK[current.band] >= _BAND_RANK[previous.band]:
        return None
    weights = current.weights
    total_weight = sum((w for w in weights.values() if w > 0), ZERO)
    reasons = []
    for c in _ORDER:
        w = weights.get(c, ZERO)
        if w <= 0 or c not in previous.components or c not in current.components:
            continue
        fall = previous.components[c] - current.components[c]
        if fall > 0:
            lost = (w / total_weight * fall).quantize(CENT, rounding=ROUND_HALF_UP)
            reasons.append(DropReason(c, previous.components[c], current.components[c], lost))
    reasons.sort(key=lambda r: (-r.points_lost, _ORDER.index(r.component)))
    return BandDrop(previous.band, current.band, tuple(reasons[:top]))


def _clamp(x: Decimal) -> Decimal:
    return min(HUNDRED, max(ZERO, x))


def target_score(actual: Decimal, target: Decimal, growth: Decimal | None = None) -> Decimal:
    """Attainment (actual/target, capped at 100 %) ± half the growth in points, 0–100."""
    if target <= 0:
        raise HealthRuleError("target", f"must be positive ({target})")
    score = min(HUNDRED, max(ZERO, actual) / target * HUNDRED)
    if growth is not None:
        score += growth * HUNDRED / 2
    return _clamp(score)


def stability_score(monthly_amounts: Sequence[Decimal]) -> Decimal:
    """100 - 100 × coefficient of variation of the monthly order amounts, floored at 0."""
    if not monthly_amounts:
        return ZERO
    n = Decimal(len(monthly_amounts))
    mean = sum(monthly_amounts, ZERO) / n
    if mean <= 0:
        return ZERO
    variance = sum(((a - mean) ** 2 for a in monthly_amounts), ZERO) / n
    return _clamp(HUNDRED - HUNDRED * variance.sqrt() / mean)


def payment_score(on_time_share: Decimal, average_days_late: Decimal) -> Decimal:
    """100 × share paid on time, minus 2 points per average day late, 0–100."""
    if not ZERO <= on_time_share <= 1:
        raise HealthRuleError("on_time_share", f"must be 0–1 ({on_time_share})")
    return _clamp(on_time_share * HUNDRED - 2 * max(ZERO, average_days_late))


def inventory_score(
    weeks_of_cover: Decimal, low: Decimal = Decimal(4), high: Decimal = Decimal(12)
) -> Decimal:
    """100 between ``low`` and ``high`` weeks of cover; linear to 0 below, -5 a week above."""
    if weeks_of_cover < 0:
        raise HealthRuleError("weeks_of_cover", f"must not be negative ({weeks_of_cover})")
    if weeks_of_cover < low:
        return _clamp(weeks_of_cover / low * HUNDRED)
    if weeks_of_cover <= high:
        return HUNDRED
    return _clamp(HUNDRED - 5 * (weeks_of_cover - high))
