"""Demand forecast runs: one ``ForecastRun`` per run of the forecast job, one
``ForecastSeries`` per partner × product in it (forecast, no forecast or failed, with its
class, method and backtest metrics) and one ``ForecastLine`` per forecast month.

Forecast quantities are estimates in units (``Float``), never money. A series with no
forecast (no history, no demand) or whose computation failed has a ``ForecastSeries`` row
with ``status`` and ``reason`` and no lines: it is recorded, not lost.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import UTCDateTime


class ForecastRun(Timestamped, Base):
    """One forecast run: the months it covers, what it chose and how the backtest went."""

    __tablename__ = "forecast_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="RUNNING")
    first_month: Mapped[date] = mapped_column(Date)
    horizon: Mapped[int] = mapped_column(Integer)
    history_months: Mapped[int] = mapped_column(Integer)
    series_total: Mapped[int] = mapped_column(Integer, default=0)
    series_forecast: Mapped[int] = mapped_column(Integer, default=0)
    series_skipped: Mapped[int] = mapped_column(Integer, default=0)
    series_failed: Mapped[int] = mapped_column(Integer, default=0)
    models_json: Mapped[str | None] = mapped_column(Text)
    metrics_json: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ForecastSeries(Base):
    """One partner × product series in a run: its outcome, class, method and backtest."""

    __tablename__ = "forecast_series"
    __table_args__ = (
        UniqueConstraint("run_id", "partner_id", "product_id"),
        Index("ix_forecast_series_partner_product", "partner_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    series_class: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str | None] = mapped_column(String(20))
    adi: Mapped[float | None] = mapped_column(Float)
    cv2: Mapped[float | None] = mapped_column(Float)
    sigma: Mapped[float | None] = mapped_column(Float)
    backtest_mase: Mapped[float | None] = mapped_column(Float)
    backtest_wape: Mapped[float | None] = mapped_column(Float)


class ForecastLine(Base):
    """One forecast month of one series: the point and its 80 % interval."""

    __tablename__ = "forecast_lines"
    __table_args__ = (UniqueConstraint("series_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("forecast_series.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    step: Mapped[int] = mapped_column(Integer)
    point: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    upper: Mapped[float] = mapped_column(Float)
