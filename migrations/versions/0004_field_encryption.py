"""field encryption: data keys, key job checkpoints, encrypted partner fields

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_STATES = ("active", "decrypt_only", "retired", "destroyed")
_ONLY_ACTIVE = sa.text("state = 'active'")


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_KEY_STATES, name="keystate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=300), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_keys_purpose"), ["purpose"], unique=False)
        batch_op.create_index(
            "uq_data_keys_active_purpose",
            ["purpose"],
            unique=True,
            sqlite_where=_ONLY_ACTIVE,
            postgresql_where=_ONLY_ACTIVE,
        )

    op.create_table(
        "key_job_checkpoints",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("started_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_job_checkpoints")),
    )

    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_id_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("tax_id_mask", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("tax_id_bidx", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("bank_account_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("bank_account_mask", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("contact_phone_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("contact_phone_mask", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("contact_email_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("contact_email_mask", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("contact_email_bidx", sa.LargeBinary(length=32), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_partners_tax_id_bidx"), ["tax_id_bidx"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partners_contact_email_bidx"), ["contact_email_bidx"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partners_contact_email_bidx"))
        batch_op.drop_index(batch_op.f("ix_partners_tax_id_bidx"))
        for column in (
            "contact_email_bidx",
            "contact_email_mask",
            "contact_email_ct",
            "contact_phone_mask",
            "contact_phone_ct",
            "bank_account_mask",
            "bank_account_ct",
            "tax_id_bidx",
            "tax_id_mask",
            "tax_id_ct",
        ):
            batch_op.drop_column(column)
    op.drop_table("key_job_checkpoints")
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index("uq_data_keys_active_purpose")
        batch_op.drop_index(batch_op.f("ix_data_keys_purpose"))
    op.drop_table("data_keys")
