"""quarantine of records that could not be mapped (sealed raw payloads)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarantined_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retried_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_records")),
    )
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quarantined_records_connector_stream", ["connector", "stream"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantined_records_connector_stream")
    op.drop_table("quarantined_records")
