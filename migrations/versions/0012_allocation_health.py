"""allocation health (issue 7): allocation runs and their lines, monthly health scores.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = store.types.Money(precision=18, scale=4)
_TIME = store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "allocation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("unallocated", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=True),
        sa.Column("applied_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_allocation_runs_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
    )
    with op.batch_alter_table("allocation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_runs_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_allocation_runs_status"), ["status"], unique=False)

    op.create_table(
        "allocation_run_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("weight", _MONEY, nullable=False),
        sa.Column("weight_multiplier", _MONEY, nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_allocation_run_lines_run_id_allocation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_allocation_run_lines_partner_id_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_allocation_run_lines_order_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_run_lines")),
        sa.UniqueConstraint("run_id", "line_no", name=op.f("uq_allocation_run_lines_run_id")),
    )
    with op.batch_alter_table("allocation_run_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_run_lines_run_id"), ["run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_run_lines_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_run_lines_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "health_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("target", _MONEY, nullable=False),
        sa.Column("order_stability", _MONEY, nullable=False),
        sa.Column("payment", _MONEY, nullable=False),
        sa.Column("inventory", _MONEY, nullable=False),
        sa.Column("engagement", _MONEY, nullable=False),
        sa.Column("compliance", _MONEY, nullable=False),
        sa.Column("total", _MONEY, nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("weights_json", sa.Text(), nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_health_scores_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scores")),
        sa.UniqueConstraint("partner_id", "period", name=op.f("uq_health_scores_partner_id")),
    )
    with op.batch_alter_table("health_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_scores_period"), ["period"], unique=False)


def downgrade() -> None:
    op.drop_table("health_scores")
    op.drop_table("allocation_run_lines")
    op.drop_table("allocation_runs")
