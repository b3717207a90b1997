"""Forecast methods for monthly demand series: seasonal naive, exponential smoothing
(simple, Holt, Holt-Winters additive) and the intermittent-demand methods Croston, SBA, TSB.

Interface (others call these names)::

    class Method(StrEnum): SEASONAL_NAIVE, SES, HOLT, HOLT_WINTERS, CROSTON, SBA, TSB
    Fit(fitted: tuple[float | None, ...], forecast: tuple[float, ...])
    fit(method, history, horizon) -> Fit          # history non-empty; horizon >= 1

Every method returns the one-step in-sample *fitted* values (``fitted[t]`` is the forecast of
``history[t]`` made from ``history[:t]``; ``None`` where the method cannot say yet) and the
point forecasts for the next ``horizon`` periods. Forecasts are clamped at 0 (demand is never
negative). Quantities are units, not money: plain ``float`` math is used.

Fixed parameters (documented, not fitted, so a run is reproducible and checkable by hand):

- SES: ``alpha = 0.3``. Level starts at the first value.
- Holt: ``alpha = 0.3``, ``beta = 0.1``. Level starts at ``y0``, trend at ``y1 - y0``.
- Holt-Winters additive, season ``m = 12``: ``alpha = 0.3``, ``beta = 0.1``, ``gamma = 0.2``.
  Needs two full seasons (24 points); with fewer it is Holt. Level starts at the mean of the
  first season, trend at (mean of the second season - mean of the first) / m, seasonal
  indices at ``y_i - level0`` for the first season; updating starts at ``t = m``.
- Croston / SBA: ``alpha = 0.1`` for both size and interval. Size starts at the first non-zero
  demand, interval at its 1-based position. Updated only in periods with demand; the forecast
  is ``size / interval`` (SBA multiplies by ``1 - alpha/2 = 0.95``).
- TSB: ``alpha = 0.1`` (size), ``beta = 0.1`` (probability). Probability starts at the share
  of periods with demand, size at the mean non-zero demand; the probability updates every
  period, the size only with demand; the forecast is ``probability * size``.
- Seasonal naive (m = 12): ``history[n - m + (k % m)]``; with less than a season of history,
  the last value (naive).

Worked examples (checked in tests/domain/test_forecast_methods.py):

- SES on ``[10, 20, 30]``: levels 10, 13, 18.1 → fitted ``[None, 10, 13]``, forecast 18.1.
- Holt on ``[10, 12, 14]``: l0 = 10, b0 = 2; t1: l = 0.3·12 + 0.7·12 = 12, b = 2;
  t2: l = 14, b = 2 → forecast 16, 18, 20.
- Croston on ``[0, 4, 0, 0, 2]``: z = 4, p = 2 after t1; t4 (interval 3): z = 3.8, p = 2.1 →
  forecast 3.8 / 2.1 = 1.8095…; SBA 0.95 × that = 1.7190…
- TSB on ``[0, 4, 0, 0, 2]``: p0 = 0.4, z0 = 3; p: 0.36, 0.424, 0.3816, 0.34344, 0.409096;
  z: 3, 3.1, 3.1, 3.1, 2.99 → forecast 0.409096 × 2.99 = 1.22319704.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

SEASON = 12
SES_ALPHA = 0.3
HOLT_ALPHA, HOLT_BETA = 0.3, 0.1
HW_ALPHA, HW_BETA, HW_GAMMA = 0.3, 0.1, 0.2
CROSTON_ALPHA = 0.1
TSB_ALPHA, TSB_BETA = 0.1, 0.1


class Method(StrEnum):
    """A forecast method."""

    SEASONAL_NAIVE = "seasonal_naive"
    SES = "ses"
    HOLT = "holt"
    HOLT_WINTERS = "holt_winters"
    CROSTON = "croston"
    SBA = "sba"
    TSB = "tsb"


@dataclass(frozen=True)
class Fit:
    """One-step in-sample fitted values (``None`` where undefined) and the point forecasts."""

    fitted: tuple[float | None, ...]
    forecast: tuple[float, ...]


def _clamp(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(max(0.0, v) for v in values)


def seasonal_naive(y: Sequence[float], horizon: int, m: int = SEASON) -> Fit:
    """Same month last year; with less than a season of history, the last value."""
    n = len(y)
    if n >= m:
        fitted: list[float | None] = [None] * m + [y[t - m] for t in range(m, n)]
        forecast = [y[n - m + (k % m)] for k in range(horizon)]
    else:
        fitted = [None] + [y[t - 1] for t in range(1, n)]
        forecast = [y[-1]] * horizon
    return Fit(tuple(fitted), _clamp(forecast))


def ses(y: Sequence[float], horizon: int, alpha: float = SES_ALPHA) -> Fit:
    """Simple exponential smoothing: a flat forecast at the last level."""
    level = y[0]
    fitted: list[float | None] = [None]
    for value in y[1:]:
        fitted.append(level)
        level = alpha * value + (1 - alpha) * level
    return Fit(tuple(fitted), _clamp([level] * horizon))


def holt(
    y: Sequence[float], horizon: int, alpha: float = HOLT_ALPHA, beta: float = HOLT_BETA
) -> Fit:
    """Holt's linear trend: level plus trend, the forecast ``level + k·trend``."""
    if len(y) < 2:
        return ses(y, horizon)
    level, trend = y[0], y[1] - y[0]
    fitted: list[float | None] = [None]
    for value in y[1:]:
        fitted.append(level + trend)
        previous = level
        level = alpha * value + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
    return Fit(tuple(fitted), _clamp([level + (k + 1) * trend for k in range(horizon)]))


def holt_winters(
    y: Sequence[float],
    horizon: int,
    m: int = SEASON,
    alpha: float = HW_ALPHA,
    beta: float = HW_BETA,
    gamma: float = HW_GAMMA,
) -> Fit:
    """Additive Holt-Winters; Holt when there are fewer than two full seasons."""
    n = len(y)
    if n < 2 * m:
        return holt(y, horizon)
    level = sum(y[:m]) / m
    trend = (sum(y[m : 2 * m]) / m - level) / m
    seasonal = [y[i] - level for i in range(m)]
    fitted: list[float | None] = [None] * m
    for t in range(m, n):
        fitted.append(level + trend + seasonal[t - m])
        previous = level
        level = alpha * (y[t] - seasonal[t - m]) + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
        seasonal.append(gamma * (y[t] - level) + (1 - gamma) * seasonal[t - m])
    forecast = [level + (k + 1) * trend + seasonal[n - m + (k % m)] for k in range(horizon)]
    return Fit(tuple(fitted), _clamp(forecast))


def croston(
    y: Sequence[float], horizon: int, alpha: float = CROSTON_ALPHA, debias: bool = False
) -> Fit:
    """Croston's method (``debias=True``: the Syntetos-Boylan approximation, SBA)."""
    factor = 1 - alpha / 2 if debias else 1.0
    size: float | None = None
    interval = 0.0
    since = 0
    fitted: list[float | None] = []
    for value in y:
        since += 1
        fitted.append(None if size is None else factor * size / interval)
        if value > 0:
            if size is None:
                size, interval = value, float(since)
            else:
                size = alpha * value + (1 - alpha) * size
                interval = alpha * since + (1 - alpha) * interval
            since = 0
    point = 0.0 if size is None else factor * size / interval
    return Fit(tuple(fitted), _clamp([point] * horizon))


def tsb(y: Sequence[float], horizon: int, alpha: float = TSB_ALPHA, beta: float = TSB_BETA) -> Fit:
    """Teunter-Syntetos-Babai: demand probability times demand size."""
    sizes = [v for v in y if v > 0]
    if not sizes:
        return Fit(tuple([None] * len(y)), tuple([0.0] * horizon))
    probability = len(sizes) / len(y)
    size = sum(sizes) / len(sizes)
    fitted: list[float | None] = []
    for value in y:
        fitted.append(probability * size)
        occurred = 1.0 if value > 0 else 0.0
        probability = probability + beta * (occurred - probability)
        if value > 0:
            size = size + alpha * (value - size)
    return Fit(tuple(fitted), _clamp([probability * size] * horizon))


def fit(method: Method, history: Sequence[float], horizon: int) -> Fit:
    """Fit ``method`` to a non-empty ``history`` and forecast ``horizon`` periods."""
    if not history:
        raise ValueError("history is empty")
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    y = [float(v) for v in history]
    match method:
        case Method.SEASONAL_NAIVE:
            return seasonal_naive(y, horizon)
        case Method.SES:
            return ses(y, horizon)
        case Method.HOLT:
            return holt(y, horizon)
        case Method.HOLT_WINTERS:
            return holt_winters(y, horizon)
        case Method.CROSTON:
            return croston(y, horizon)
        case Method.SBA:
            return croston(y, horizon, debias=True)
        case Method.TSB:
            return tsb(y, horizon)
