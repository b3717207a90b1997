"""Demand forecast for one monthly series: classification (ADI / CV²), model choice per
class, point forecasts with prediction intervals, and a backtest on the last 3 months.

Interface (others call these names)::

    class SeriesClass(StrEnum): SMOOTH, ERRATIC, INTERMITTENT, LUMPY
    Classification(adi, cv2, series_class)
    classify(history) -> Classification                  # raises NoForecast
    DEFAULT_MODELS: dict[SeriesClass, Method]
    Forecast(series_class, adi, cv2, method, points, lower, upper, sigma)
    forecast_series(history, horizon=3, method=None) -> Forecast | NoForecast
    Backtest(method, series_class, actual, predicted, mase, wape, abs_error, actual_total)
    backtest(history, method, holdout=3) -> Backtest | NoForecast
    Summary(method, series_class, series, mase, wape)
    summarize(backtests) -> list[Summary]                # per (method, class), and class None
    choose_models(backtests) -> dict[SeriesClass, Method] # lowest WAPE per class
    NoForecast(reason, message)                          # an outcome, also raisable
    class NoForecastReason(StrEnum): NO_HISTORY, NO_DEMAND, TOO_SHORT
    forecast_reorder(projected, minimum, maximum, multiple, demand) -> int

History is a sequence of monthly quantities, oldest first, one per month with zeros filled in
(the caller builds it from order lines). Quantities are units: ``float`` math.

Classification (Syntetos-Boylan cut-offs): ``ADI`` = months in history / months with demand;
``CV²`` = (population standard deviation / mean)² of the non-zero demand sizes.
``ADI < 1.32`` and ``CV² < 0.49`` → smooth; ``ADI < 1.32``, ``CV² ≥ 0.49`` → erratic;
``ADI ≥ 1.32``, ``CV² < 0.49`` → intermittent; both at or over → lumpy.
Example: ``[0, 4, 0, 0, 2]`` → ADI 5/2 = 2.5, sizes 4, 2: mean 3, variance 1, CV² 1/9 →
intermittent. ``[10, 12, 14]`` → ADI 1, CV² (8/3)/144 = 0.0185 → smooth.

Default model per class: smooth → Holt-Winters (Holt under 24 months), erratic → SES,
intermittent → SBA, lumpy → TSB. ``choose_models`` replaces these with the backtest winners.

Prediction interval (80 %, normal approximation): ``sigma`` is the root mean square of the
in-sample one-step errors (``history[t] - fitted[t]`` where a fitted value exists); the
interval for step ``k`` (1-based) is ``point ± 1.2816 · sigma · √k``, the lower bound clamped
at 0. With no in-sample error available (a single month), ``sigma`` is that month's value:
a deliberately wide interval rather than a falsely certain one.
Example: SES on ``[10, 20, 30]``: errors 10, 17 → sigma = √((100 + 289)/2) = 13.9463…;
step 1: 18.1 ± 17.8736… → [0.2264…, 35.9736…].

Backtest: fit on all but the last ``holdout`` (3) months, forecast them, compare.
``WAPE`` = Σ|actual - predicted| / Σ actual (``None`` when the actuals are all zero);
``MASE`` = mean |error| / in-sample MAE of the seasonal naive (lag 12, or lag 1 when the
training part is 12 months or shorter) on the training part (``None`` when that MAE is 0).
Example: ``[10, 20, 30, 40, 50, 60]`` with SES: training ``[10, 20, 30]`` forecasts 18.1;
errors 21.9, 31.9, 41.9 → WAPE 95.7/150 = 0.638; naive MAE on training 10 → MASE 3.19.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.forecast_methods import SEASON, Method, fit

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
Z_80 = 1.2816
HOLDOUT = 3


class SeriesClass(StrEnum):
    """Syntetos-Boylan demand class."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


class NoForecastReason(StrEnum):
    """Why a series gets no forecast."""

    NO_HISTORY = "no_history"
    NO_DEMAND = "no_demand"
    TOO_SHORT = "too_short"


class NoForecast(Exception):
    """A recorded outcome: this series gets no forecast, and why."""

    def __init__(self, reason: NoForecastReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoForecast) and (self.reason, self.message) == (
            other.reason,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.reason, self.message))


DEFAULT_MODELS: dict[SeriesClass, Method] = {
    SeriesClass.SMOOTH: Method.HOLT_WINTERS,
    SeriesClass.ERRATIC: Method.SES,
    SeriesClass.INTERMITTENT: Method.SBA,
    SeriesClass.LUMPY: Method.TSB,
}


@dataclass(frozen=True)
class Classification:
    """ADI, CV² and the class they give."""

    adi: float
    cv2: float
    series_class: SeriesClass


def classify(history: Sequence[float]) -> Classification:
    """Classify a series by ADI and CV²; raises ``NoForecast`` when there is no demand."""
    if not history:
        raise NoForecast(NoForecastReason.NO_HISTORY, "the series has no history")
    sizes = [float(v) for v in history if v > 0]
    if not sizes:
        raise NoForecast(
            NoForecastReason.NO_DEMAND, f"no demand in the {len(history)} months of history"
        )
    adi = len(history) / len(sizes)
    mean = sum(sizes) / len(sizes)
    variance = sum((s - mean) ** 2 for s in sizes) / len(sizes)
    cv2 = variance / mean**2
    if adi < ADI_CUTOFF:
        series_class = SeriesClass.SMOOTH if cv2 < CV2_CUTOFF else SeriesClass.ERRATIC
    else:
        series_class = SeriesClass.INTERMITTENT if cv2 < CV2_CUTOFF else SeriesClass.LUMPY
    return Classification(adi, cv2, series_class)


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and 80 % intervals for the next months, with how they were made."""

    series_class: SeriesClass
    adi: float
    cv2: float
    method: Method
    points: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma: float


def _sigma(history: Sequence[float], fitted: Sequence[float | None]) -> float:
    errors = [float(y) - f for y, f in zip(history, fitted, strict=True) if f is not None]
    if not errors:
        return abs(float(history[-1]))
    return math.sqrt(sum(e * e for e in errors) / len(errors))


def forecast_series(
    history: Sequence[float], horizon: int = HOLDOUT, method: Method | None = None
) -> Forecast | NoForecast:
    """Classify, fit (``method`` or the class default) and forecast ``horizon`` months."""
    try:
        classification = classify(history)
    except NoForecast as outcome:
        return outcome
    chosen = method or DEFAULT_MODELS[classification.series_class]
    result = fit(chosen, history, horizon)
    sigma = _sigma(history, result.fitted)
    widths = [Z_80 * sigma * math.sqrt(k + 1) for k in range(horizon)]
    return Forecast(
        series_class=classification.series_class,
        adi=classification.adi,
        cv2=classification.cv2,
        method=chosen,
        points=result.forecast,
        lower=tuple(max(0.0, p - w) for p, w in zip(result.forecast, widths, strict=True)),
        upper=tuple(p + w for p, w in zip(result.forecast, widths, strict=True)),
        sigma=sigma,
    )


@dataclass(frozen=True)
class Backtest:
    """One method's holdout forecast of one series against what happened."""

    method: Method
    series_class: SeriesClass
    actual: tuple[float, ...]
    predicted: tuple[float, ...]
    mase: float | None
    wape: float | None
    abs_error: float
    actual_total: float


def _naive_mae(train: Sequence[float]) -> float:
    lag = SEASON if len(train) > SEASON else 1
    diffs = [abs(train[t] - train[t - lag]) for t in range(lag, len(train))]
    return sum(diffs) / len(diffs) if diffs else 0.0


def backtest(
    history: Sequence[float], method: Method, holdout: int = HOLDOUT
) -> Backtest | NoForecast:
    """Fit ``method`` on all but the last ``holdout`` months and score it on them.

    The class is that of the training part (what the forecaster would have known)."""
    if len(history) <= holdout:
        return NoForecast(
            NoForecastReason.TOO_SHORT,
            f"{len(history)} months of history; a backtest needs more than {holdout}",
        )
    train = [float(v) for v in history[:-holdout]]
    actual = tuple(float(v) for v in history[-holdout:])
    try:
        series_class = classify(train).series_class
    except NoForecast as outcome:
        return outcome
    predicted = fit(method, train, holdout).forecast
    abs_error = sum(abs(a - p) for a, p in zip(actual, predicted, strict=True))
    actual_total = sum(actual)
    scale = _naive_mae(train)
    return Backtest(
        method=method,
        series_class=series_class,
        actual=actual,
        predicted=predicted,
        mase=abs_error / holdout / scale if scale > 0 else None,
        wape=abs_error / actual_total if actual_total > 0 else None,
        abs_error=abs_error,
        actual_total=actual_total,
    )


@dataclass(frozen=True)
class Summary:
    """Backtest metrics of one method over many series (``series_class=None``: all)."""

    method: Method
    series_class: SeriesClass | None
    series: int
    mase: float | None
    wape: float | None


def _summary(method: Method, cls: SeriesClass | None, runs: list[Backtest]) -> Summary:
    mases = [b.mase for b in runs if b.mase is not None]
    total = sum(b.actual_total for b in runs)
    return Summary(
        method=method,
        series_class=cls,
        series=len(runs),
        mase=sum(mases) / len(mases) if mases else None,
        wape=sum(b.abs_error for b in runs) / total if total > 0 else None,
    )


def summarize(backtests: Iterable[Backtest]) -> list[Summary]:
    """Per method and class, then per method over all classes (``series_class=None``).

    MASE is the mean of the defined series MASEs; WAPE is pooled (Σ|error| / Σ actual)."""
    groups: dict[tuple[Method, SeriesClass | None], list[Backtest]] = {}
    for b in backtests:
        groups.setdefault((b.method, b.series_class), []).append(b)
        groups.setdefault((b.method, None), []).append(b)
    order = {c: i for i, c in enumerate(SeriesClass)}
    keys = sorted(groups, key=lambda k: (k[0], -1 if k[1] is None else order[k[1]]))
    return [_summary(m, c, groups[(m, c)]) for m, c in keys]


def choose_models(backtests: Iterable[Backtest]) -> dict[SeriesClass, Method]:
    """The method with the lowest pooled WAPE per class; the default where nothing scored.

    Ties go to the class default, then to the method name (deterministic)."""
    chosen = dict(DEFAULT_MODELS)
    best: dict[SeriesClass, tuple[float, int, str]] = {}
    for s in summarize(backtests):
        if s.series_class is None or s.wape is None:
            continue
        key = (s.wape, 0 if DEFAULT_MODELS[s.series_class] == s.method else 1, str(s.method))
        if s.series_class not in best or key < best[s.series_class]:
            best[s.series_class] = key
            chosen[s.series_class] = s.method
    return chosen


def forecast_reorder(
    projected: int, minimum: int, maximum: int, multiple: int, demand: float
) -> int:
    """What to reorder so stock stays at or above ``minimum`` after the forecast ``demand``
    (units over the forecast horizon): 0 when ``projected - demand >= minimum``; otherwise
    the larger of ``maximum - projected`` (the min/max rule) and ``⌈minimum + demand -
    projected⌉``, rounded up to ``multiple``. With no demand it is the min/max rule.

    >>> forecast_reorder(15, 20, 100, 12, 0.0)      # the plain rule: 85 → 96
    96
    >>> forecast_reorder(15, 20, 100, 12, 120.0)    # 20 + 120 - 15 = 125 → 132
    132
    >>> forecast_reorder(50, 20, 100, 12, 40.0)     # 50 - 40 < 20: max(50, 10) → 60
    60
    >>> forecast_reorder(50, 20, 100, 12, 30.0)     # 50 - 30 = 20: enough
    0
    """
    if multiple < 1:
        raise ValueError("multiple must be at least 1")
    if demand < 0 or not math.isfinite(demand):
        raise ValueError("demand must be a finite number at least 0")
    if projected - demand >= minimum:
        return 0
    need = max(maximum - projected, math.ceil(minimum + demand - projected))
    return -(-need // multiple) * multiple
