"""stock alerts shipments (issue 6): reorder rules, low-stock alerts, shipments, tracking events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reorder_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("multiple", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_reorder_rules_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reorder_rules_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_rules")),
        sa.UniqueConstraint("location_id", "product_id", name=op.f("uq_reorder_rules_location_id")),
    )
    op.create_index(
        op.f("ix_reorder_rules_product_id"), "reorder_rules", ["product_id"], unique=False
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PLANNED",
                "IN_PRODUCTION",
                "READY",
                "IN_TRANSIT",
                "DELIVERED",
                "EXCEPTION",
                "CANCELLED",
                name="shipmentstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("eta", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("carrier", "tracking_number", name=op.f("uq_shipments_carrier")),
    )
    op.create_index(op.f("ix_shipments_order_id"), "shipments", ["order_id"], unique=False)
    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("raised_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_on_hand", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stock_alerts_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_alerts_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_alerts")),
    )
    op.create_index(
        op.f("ix_stock_alerts_product_id"), "stock_alerts", ["product_id"], unique=False
    )
    op.create_index("ix_stock_alerts_raised_at", "stock_alerts", ["raised_at"], unique=False)
    op.create_index(
        "ux_stock_alerts_open_pair",
        "stock_alerts",
        ["location_id", "product_id"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "PRODUCTION",
                "LOGISTICS",
                "SHIPMENT",
                name="trackingkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=60), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_tracking_events_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_tracking_events_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
    )
    op.create_index(
        "ix_tracking_events_order_at", "tracking_events", ["order_id", "occurred_at"], unique=False
    )
    op.create_index(
        op.f("ix_tracking_events_shipment_id"), "tracking_events", ["shipment_id"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_tracking_events_shipment_id"), table_name="tracking_events")
    op.drop_index("ix_tracking_events_order_at", table_name="tracking_events")
    op.drop_table("tracking_events")
    op.drop_index(
        "ux_stock_alerts_open_pair",
        table_name="stock_alerts",
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index("ix_stock_alerts_raised_at", table_name="stock_alerts")
    op.drop_index(op.f("ix_stock_alerts_product_id"), table_name="stock_alerts")
    op.drop_table("stock_alerts")
    op.drop_index(op.f("ix_shipments_order_id"), table_name="shipments")
    op.drop_table("shipments")
    op.drop_index(op.f("ix_reorder_rules_product_id"), table_name="reorder_rules")
    op.drop_table("reorder_rules")
    # ### end Alembic commands ###
