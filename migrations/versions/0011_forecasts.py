"""forecasts (issue 7): forecast runs, their partner × product series and forecast lines.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("history_months", sa.Integer(), nullable=False),
        sa.Column("series_total", sa.Integer(), nullable=False),
        sa.Column("series_forecast", sa.Integer(), nullable=False),
        sa.Column("series_skipped", sa.Integer(), nullable=False),
        sa.Column("series_failed", sa.Integer(), nullable=False),
        sa.Column("models_json", sa.Text(), nullable=True),
        sa.Column("metrics_json", sa.Text(), nullable=True),
        sa.Column("finished_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_forecast_runs_job_run_id_job_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
    )
    with op.batch_alter_table("forecast_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_runs_job_run_id"), ["job_run_id"])

    op.create_table(
        "forecast_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("series_class", sa.String(length=20), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("adi", sa.Float(), nullable=True),
        sa.Column("cv2", sa.Float(), nullable=True),
        sa.Column("sigma", sa.Float(), nullable=True),
        sa.Column("backtest_mase", sa.Float(), nullable=True),
        sa.Column("backtest_wape", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_forecast_series_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_forecast_series_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_series_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_series")),
        sa.UniqueConstraint(
            "run_id", "partner_id", "product_id", name=op.f("uq_forecast_series_run_id")
        ),
    )
    with op.batch_alter_table("forecast_series", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forecast_series_partner_product", ["partner_id", "product_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_forecast_series_product_id"), ["product_id"])

    op.create_table(
        "forecast_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("point", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_lines_run_id_forecast_runs")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["forecast_series.id"],
            name=op.f("fk_forecast_lines_series_id_forecast_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_lines")),
        sa.UniqueConstraint("series_id", "month", name=op.f("uq_forecast_lines_series_id")),
    )
    with op.batch_alter_table("forecast_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_lines_run_id"), ["run_id"])


def downgrade() -> None:
    with op.batch_alter_table("forecast_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_lines_run_id"))
    op.drop_table("forecast_lines")
    with op.batch_alter_table("forecast_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_series_product_id"))
        batch_op.drop_index("ix_forecast_series_partner_product")
    op.drop_table("forecast_series")
    with op.batch_alter_table("forecast_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_runs_job_run_id"))
    op.drop_table("forecast_runs")
