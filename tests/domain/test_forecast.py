"""Demand forecast: ADI/CV² classification at the Syntetos-Boylan cut-offs, intervals,
backtest metrics and model choice against the hand-computed docstring examples, and the
no-forecast outcomes (no history, all zeros, too short)."""

import math

import pytest

from domain.forecast import (
    Backtest,
    Forecast,
    NoForecast,
    NoForecastReason,
    SeriesClass,
    backtest,
    choose_models,
    classify,
    forecast_reorder,
    forecast_series,
    summarize,
)
from domain.forecast_methods import Method


def test_classify_worked_examples() -> None:
    intermittent = classify([0, 4, 0, 0, 2])
    assert intermittent.adi == pytest.approx(2.5)
    assert intermittent.cv2 == pytest.approx(1 / 9)
    assert intermittent.series_class is SeriesClass.INTERMITTENT
    smooth = classify([10, 12, 14])
    assert smooth.adi == 1.0
    assert smooth.cv2 == pytest.approx((8 / 3) / 144)
    assert smooth.series_class is SeriesClass.SMOOTH


def test_classify_erratic_and_lumpy() -> None:
    # sizes 1 and 9: mean 5, variance 16, CV² 0.64
    assert classify([1, 9, 1, 9]).series_class is SeriesClass.ERRATIC
    assert classify([1, 0, 9, 0]).series_class is SeriesClass.LUMPY


def test_classify_cutoffs_are_inclusive_upwards() -> None:
    # ADI exactly 1.32 is intermittent: 33 months, 25 with demand
    y = [5.0] * 25 + [0.0] * 8
    c = classify(y)
    assert c.adi == pytest.approx(1.32)
    assert c.series_class is SeriesClass.INTERMITTENT
    # CV² exactly 0.49: sizes 3 and 17 -> mean 10, sd 7, CV² 0.49
    assert classify([3, 17]).cv2 == pytest.approx(0.49)
    assert classify([3, 17]).series_class is SeriesClass.ERRATIC


def test_no_history_and_no_demand_are_outcomes() -> None:
    empty = forecast_series([])
    assert isinstance(empty, NoForecast)
    assert empty.reason is NoForecastReason.NO_HISTORY
    zeros = forecast_series([0, 0, 0])
    assert isinstance(zeros, NoForecast)
    assert zeros.reason is NoForecastReason.NO_DEMAND
    assert "3 months" in zeros.message
    with pytest.raises(NoForecast) as raised:
        classify([])
    assert raised.value.reason is NoForecastReason.NO_HISTORY


def test_ses_interval_worked_example() -> None:
    result = forecast_series([10, 20, 30], horizon=2, method=Method.SES)
    assert isinstance(result, Forecast)
    sigma = math.sqrt((100 + 289) / 2)
    assert result.sigma == pytest.approx(sigma)
    assert result.points == pytest.approx((18.1, 18.1))
    assert result.lower[0] == pytest.approx(18.1 - 1.2816 * sigma)
    assert result.upper[0] == pytest.approx(35.9736, abs=1e-3)
    assert result.upper[1] == pytest.approx(18.1 + 1.2816 * sigma * math.sqrt(2))
    assert result.lower[1] == 0.0  # clamped


def test_one_point_has_a_wide_interval() -> None:
    result = forecast_series([7])
    assert isinstance(result, Forecast)
    assert result.series_class is SeriesClass.SMOOTH
    assert result.method is Method.HOLT_WINTERS
    assert result.points == pytest.approx((7.0, 7.0, 7.0))
    assert result.sigma == 7.0
    assert result.lower[0] == 0.0
    assert result.upper[0] == pytest.approx(7 + 1.2816 * 7)


def test_default_model_per_class() -> None:
    lumpy = forecast_series([1, 0, 9, 0])
    intermittent = forecast_series([0, 4, 0, 0, 2])
    erratic = forecast_series([1, 9, 1, 9])
    assert isinstance(lumpy, Forecast) and lumpy.method is Method.TSB
    assert isinstance(intermittent, Forecast) and intermittent.method is Method.SBA
    assert intermittent.points[0] == pytest.approx(0.95 * 3.8 / 2.1)
    assert isinstance(erratic, Forecast) and erratic.method is Method.SES


def test_backtest_worked_example() -> None:
    result = backtest([10, 20, 30, 40, 50, 60], Method.SES)
    assert isinstance(result, Backtest)
    assert result.series_class is SeriesClass.SMOOTH
    assert result.predicted == pytest.approx((18.1, 18.1, 18.1))
    assert result.wape == pytest.approx(95.7 / 150)
    assert result.mase == pytest.approx(3.19)


def test_backtest_seasonal_scale_uses_lag_twelve() -> None:
    season = [float(v) for v in range(1, 13)]
    history = season + [v + 1 for v in season] + [1.0, 2.0, 3.0]
    result = backtest(history, Method.SEASONAL_NAIVE)
    assert isinstance(result, Backtest)
    # training = 24 months; seasonal-naive MAE on it is 1; forecast 2, 3, 4 vs 1, 2, 3
    assert result.predicted == (2.0, 3.0, 4.0)
    assert result.mase == pytest.approx(1.0)
    assert result.wape == pytest.approx(3 / 6)


def test_backtest_undefined_metrics_and_too_short() -> None:
    flat = backtest([5, 5, 5, 0, 0, 0], Method.SES)
    assert isinstance(flat, Backtest)
    assert flat.mase is None  # the naive scale is 0
    assert flat.wape is None  # nothing happened
    short = backtest([1, 2, 3], Method.SES)
    assert isinstance(short, NoForecast) and short.reason is NoForecastReason.TOO_SHORT
    no_demand = backtest([0, 0, 1, 2], Method.SES)
    assert isinstance(no_demand, NoForecast) and no_demand.reason is NoForecastReason.NO_DEMAND


def _bt(method: Method, cls: SeriesClass, err: float, total: float, mase: float) -> Backtest:
    return Backtest(method, cls, (total,), (total + err,), mase, err / total, err, total)


def test_summarize_pools_wape_and_averages_mase() -> None:
    runs = [
        _bt(Method.SES, SeriesClass.SMOOTH, 2, 10, 1.0),
        _bt(Method.SES, SeriesClass.SMOOTH, 6, 30, 2.0),
        _bt(Method.SES, SeriesClass.LUMPY, 8, 10, 3.0),
    ]
    rows = {(s.method, s.series_class): s for s in summarize(runs)}
    smooth = rows[(Method.SES, SeriesClass.SMOOTH)]
    assert (smooth.series, smooth.mase) == (2, 1.5)
    assert smooth.wape == pytest.approx(0.2)
    overall = rows[(Method.SES, None)]
    assert (overall.series, overall.mase) == (3, 2.0)
    assert overall.wape == pytest.approx(0.32)


def test_choose_models_lowest_wape_ties_to_default() -> None:
    runs = [
        _bt(Method.SES, SeriesClass.SMOOTH, 1, 10, 1.0),
        _bt(Method.HOLT_WINTERS, SeriesClass.SMOOTH, 2, 10, 1.0),
        _bt(Method.CROSTON, SeriesClass.LUMPY, 3, 10, 1.0),
        _bt(Method.TSB, SeriesClass.LUMPY, 3, 10, 1.0),
    ]
    chosen = choose_models(runs)
    assert chosen[SeriesClass.SMOOTH] is Method.SES
    assert chosen[SeriesClass.LUMPY] is Method.TSB  # tie -> the class default
    assert chosen[SeriesClass.ERRATIC] is Method.SES  # nothing scored -> default
    assert chosen[SeriesClass.INTERMITTENT] is Method.SBA


def test_forecast_reorder_worked_examples() -> None:
    assert forecast_reorder(15, 20, 100, 12, 0.0) == 96  # the plain min/max rule
    assert forecast_reorder(15, 20, 100, 12, 120.0) == 132
    assert forecast_reorder(50, 20, 100, 12, 40.0) == 60
    assert forecast_reorder(50, 20, 100, 12, 30.0) == 0  # exactly at the minimum
    assert forecast_reorder(50, 20, 100, 1, 30.5) == 50  # max(50, ceil(0.5)=1)
    with pytest.raises(ValueError, match="multiple"):
        forecast_reorder(0, 0, 0, 0, 1.0)
    with pytest.raises(ValueError, match="demand"):
        forecast_reorder(0, 0, 0, 1, -1.0)
