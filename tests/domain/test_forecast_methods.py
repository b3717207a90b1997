"""Forecast methods against hand-computed values (the worked examples in
domain/forecast_methods.py), the seasonal cases and the refused inputs."""

import pytest

from domain.forecast_methods import Method, fit


def test_ses_worked_example() -> None:
    result = fit(Method.SES, [10, 20, 30], 2)
    assert result.fitted[:2] == (None, 10.0)
    assert result.fitted[2] == pytest.approx(13.0)
    assert result.forecast == pytest.approx((18.1, 18.1))


def test_holt_worked_example() -> None:
    result = fit(Method.HOLT, [10, 12, 14], 3)
    assert result.fitted[1:] == pytest.approx((12.0, 14.0))
    assert result.forecast == pytest.approx((16.0, 18.0, 20.0))


def test_holt_forecast_is_clamped_at_zero() -> None:
    assert fit(Method.HOLT, [30, 20, 10], 3).forecast == pytest.approx((0.0, 0.0, 0.0))


def test_croston_and_sba_worked_example() -> None:
    y = [0, 4, 0, 0, 2]
    croston = fit(Method.CROSTON, y, 1)
    assert croston.fitted[:2] == (None, None)
    assert croston.fitted[2:] == pytest.approx((2.0, 2.0, 2.0))
    assert croston.forecast == pytest.approx((3.8 / 2.1,))
    assert fit(Method.SBA, y, 1).forecast == pytest.approx((0.95 * 3.8 / 2.1,))


def test_tsb_worked_example() -> None:
    result = fit(Method.TSB, [0, 4, 0, 0, 2], 2)
    assert result.fitted[0] == pytest.approx(1.2)
    assert result.fitted[1] == pytest.approx(0.36 * 3)
    assert result.forecast == pytest.approx((1.22319704, 1.22319704))


def test_seasonal_naive_repeats_last_year() -> None:
    y = list(range(1, 25))
    result = fit(Method.SEASONAL_NAIVE, y, 3)
    assert result.forecast == (13.0, 14.0, 15.0)
    assert result.fitted[:12] == (None,) * 12
    assert result.fitted[12] == 1.0


def test_seasonal_naive_short_history_is_naive() -> None:
    result = fit(Method.SEASONAL_NAIVE, [3, 5], 2)
    assert result.fitted == (None, 3.0)
    assert result.forecast == (5.0, 5.0)


def test_holt_winters_reproduces_pure_seasonal_pattern() -> None:
    season = [5, 8, 12, 20, 30, 25, 18, 10, 6, 4, 3, 9]
    result = fit(Method.HOLT_WINTERS, season * 3, 12)
    # no trend, no noise: level 12.5, trend 0, indices exact -> the season again
    assert result.forecast == pytest.approx(tuple(float(v) for v in season))
    assert result.fitted[12:] == pytest.approx(tuple(float(v) for v in season * 2))


def test_holt_winters_under_two_seasons_is_holt() -> None:
    y = [float(v) for v in range(1, 20)]
    assert fit(Method.HOLT_WINTERS, y, 3) == fit(Method.HOLT, y, 3)


def test_one_point_every_method() -> None:
    for method in Method:
        result = fit(method, [7], 2)
        expected_fitted = (7.0,) if method is Method.TSB else (None,)
        assert result.fitted == expected_fitted
        expected = 0.95 * 7 if method is Method.SBA else 7.0
        assert result.forecast == pytest.approx((expected, expected))


def test_all_zeros_forecast_zero() -> None:
    for method in Method:
        assert fit(method, [0, 0, 0, 0], 3).forecast == (0.0, 0.0, 0.0)


def test_refused_inputs() -> None:
    with pytest.raises(ValueError, match="history is empty"):
        fit(Method.SES, [], 3)
    with pytest.raises(ValueError, match="horizon"):
        fit(Method.SES, [1], 0)
