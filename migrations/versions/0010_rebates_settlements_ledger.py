"""rebates settlements ledger (issue 6): agreements, tiers, promotions, accruals (of an
agreement or a promotion), settlements and their lines, the append-only fund ledger, and
credit-limit change requests.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("product_ids_json", sa.Text(), nullable=False),
        sa.Column("per_unit", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("percent", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("tier_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_promotions_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_promotions_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_code")),
    )
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotions_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promotions_tier_id"), ["tier_id"], unique=False)

    op.create_table(
        "fund_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("fund", sa.String(length=16), nullable=False),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_fund_ledger_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_ledger")),
    )
    with op.batch_alter_table("fund_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_fund_ledger_partner_fund", ["partner_id", "fund"], unique=False)
        batch_op.create_index("ix_fund_ledger_source", ["source_type", "source_id"], unique=False)

    op.create_table(
        "rebate_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("tier_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("product_ids_json", sa.Text(), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.Column("growth_baseline", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("growth_threshold", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("growth_rate", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("growth_on", sa.String(length=16), nullable=True),
        sa.Column("cap", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_rebate_agreements_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_rebate_agreements_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_rebate_agreements_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rebate_agreements")),
        sa.UniqueConstraint("code", name=op.f("uq_rebate_agreements_code")),
    )
    with op.batch_alter_table("rebate_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rebate_agreements_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rebate_agreements_region_id"), ["region_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rebate_agreements_tier_id"), ["tier_id"], unique=False)

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approval_request_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("approved_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_settlements_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("number", name=op.f("uq_settlements_number")),
        sa.UniqueConstraint(
            "partner_id",
            "period_kind",
            "year",
            "period_index",
            "currency",
            name=op.f("uq_settlements_partner_id"),
        ),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlements_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlements_status"), ["status"], unique=False)

    op.create_table(
        "accruals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("promotion_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ytd_quantity", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("ytd_amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("entitlement_ytd", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("accrued_before", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["rebate_agreements.id"],
            name=op.f("fk_accruals_agreement_id_rebate_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_accruals_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"], ["promotions.id"], name=op.f("fk_accruals_promotion_id_promotions")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_accruals_settlement_id_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accruals")),
        sa.UniqueConstraint(
            "agreement_id",
            "partner_id",
            "year",
            "period_index",
            name=op.f("uq_accruals_agreement_id"),
        ),
        sa.UniqueConstraint(
            "promotion_id",
            "partner_id",
            "year",
            "period_index",
            name=op.f("uq_accruals_promotion_id"),
        ),
    )
    with op.batch_alter_table("accruals", schema=None) as batch_op:
        batch_op.create_index("ix_accruals_partner_year", ["partner_id", "year"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_accruals_settlement_id"), ["settlement_id"], unique=False
        )

    op.create_table(
        "rebate_tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lower", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("upper", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("rate", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("per_unit", store.types.Money(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["rebate_agreements.id"],
            name=op.f("fk_rebate_tiers_agreement_id_rebate_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rebate_tiers")),
    )
    with op.batch_alter_table("rebate_tiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rebate_tiers_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "settlement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("accrual_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("promotion_id", sa.Integer(), nullable=True),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["accrual_id"], ["accruals.id"], name=op.f("fk_settlement_lines_accrual_id_accruals")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["rebate_agreements.id"],
            name=op.f("fk_settlement_lines_agreement_id_rebate_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_settlement_lines_promotion_id_promotions"),
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_settlement_lines_settlement_id_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_lines")),
        sa.UniqueConstraint("accrual_id", name=op.f("uq_settlement_lines_accrual_id")),
    )
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_lines_settlement_id"), ["settlement_id"], unique=False
        )

    op.create_table(
        "credit_limit_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("old_limit", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("new_limit", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("approval_request_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_credit_limit_changes_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_limit_changes")),
    )
    with op.batch_alter_table("credit_limit_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_limit_changes_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_limit_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_limit_changes_partner_id"))

    op.drop_table("credit_limit_changes")
    with op.batch_alter_table("settlement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_lines_settlement_id"))

    op.drop_table("settlement_lines")
    with op.batch_alter_table("rebate_tiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rebate_tiers_agreement_id"))

    op.drop_table("rebate_tiers")
    with op.batch_alter_table("accruals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accruals_settlement_id"))
        batch_op.drop_index("ix_accruals_partner_year")

    op.drop_table("accruals")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlements_status"))
        batch_op.drop_index(batch_op.f("ix_settlements_partner_id"))

    op.drop_table("settlements")
    with op.batch_alter_table("rebate_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rebate_agreements_tier_id"))
        batch_op.drop_index(batch_op.f("ix_rebate_agreements_region_id"))
        batch_op.drop_index(batch_op.f("ix_rebate_agreements_partner_id"))

    op.drop_table("rebate_agreements")
    with op.batch_alter_table("fund_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_fund_ledger_source")
        batch_op.drop_index("ix_fund_ledger_partner_fund")

    op.drop_table("fund_ledger")
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_tier_id"))
        batch_op.drop_index(batch_op.f("ix_promotions_region_id"))

    op.drop_table("promotions")
