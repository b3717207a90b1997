"""credit approvals finance (issue 6)

Invoices and payments synced from finance, and approval flows: rules, their steps,
requests (with a snapshot of their steps) and decisions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("min_amount", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("max_amount", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("tier_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_approval_rules_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_approval_rules_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_rules")),
    )
    with op.batch_alter_table("approval_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_rules_document_type", ["document_type", "active"], unique=False
        )

    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("steps_json", sa.Text(), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("current_role", sa.String(length=32), nullable=True),
        sa.Column("current_region_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_approval_requests_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_approval_requests_document", ["document_type", "document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_approval_requests_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            "ix_approval_requests_status_role", ["status", "current_role"], unique=False
        )

    op.create_table(
        "approval_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_approval_steps_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["approval_rules.id"],
            name=op.f("fk_approval_steps_rule_id_approval_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_steps")),
        sa.UniqueConstraint("rule_id", "position", name=op.f("uq_approval_steps_rule_id")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("open_amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN", "PARTIALLY_PAID", "PAID", name="invoicestatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_invoices_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoices_order_number"), ["order_number"], unique=False
        )
        batch_op.create_index("ix_invoices_partner_status", ["partner_id", "status"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_payments_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("number", name=op.f("uq_payments_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_invoice_number"), ["invoice_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payments_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["approval_requests.id"],
            name=op.f("fk_approval_decisions_request_id_approval_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_decisions")),
        sa.UniqueConstraint("request_id", "step", name=op.f("uq_approval_decisions_request_id")),
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("approval_decisions")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_partner_id"))
        batch_op.drop_index(batch_op.f("ix_payments_invoice_number"))

    op.drop_table("payments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_partner_status")
        batch_op.drop_index(batch_op.f("ix_invoices_order_number"))

    op.drop_table("invoices")
    op.drop_table("approval_steps")
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_requests_status_role")
        batch_op.drop_index(batch_op.f("ix_approval_requests_partner_id"))
        batch_op.drop_index("ix_approval_requests_document")

    op.drop_table("approval_requests")
    with op.batch_alter_table("approval_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_rules_document_type")

    op.drop_table("approval_rules")
    # ### end Alembic commands ###
