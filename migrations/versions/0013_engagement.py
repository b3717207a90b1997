"""engagement (issue 7): promotion tasks with assignments and progress reports, scan reports
(sell-out) and market feedback, courses with materials, exams, questions, attempts and
certificates, the rewards catalogue and redemptions (points live in the POINTS fund of
``fund_ledger``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("code", name=op.f("uq_courses_code")),
    )

    op.create_table(
        "engagement_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("due_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evidence_required_json", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_tasks")),
    )

    with op.batch_alter_table("engagement_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagement_tasks_due_at"), ["due_at"], unique=False)

    op.create_table(
        "rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint("code", name=op.f("uq_rewards_code")),
    )

    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rewards_kind"), ["kind"], unique=False)

    op.create_table(
        "course_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_materials_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_materials")),
    )

    with op.batch_alter_table("course_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_materials_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("pass_mark", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_exams_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exams")),
    )

    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exams_course_id"), ["course_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("issued_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_certificates_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_certificates_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("course_id", "partner_id", name=op.f("uq_certificates_course_id")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificates_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "exam_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("taken_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_exam_attempts_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_exam_attempts_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_attempts")),
    )

    with op.batch_alter_table("exam_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exam_attempts_exam_partner", ["exam_id", "partner_id"], unique=False
        )

    op.create_table(
        "exam_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("correct_json", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_exam_questions_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_questions")),
        sa.UniqueConstraint("exam_id", "key", name=op.f("uq_exam_questions_exam_id")),
    )

    op.create_table(
        "market_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_refs_json", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_market_feedback_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_feedback")),
    )

    with op.batch_alter_table("market_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_market_feedback_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_market_feedback_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_market_feedback_status"), ["status"], unique=False)

    op.create_table(
        "scan_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("sold_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_scan_reports_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_scan_reports_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_reports")),
    )

    with op.batch_alter_table("scan_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scan_reports_partner_sold", ["partner_id", "sold_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scan_reports_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "task_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_task_assignments_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["engagement_tasks.id"],
            name=op.f("fk_task_assignments_task_id_engagement_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_assignments")),
        sa.UniqueConstraint("task_id", "partner_id", name=op.f("uq_task_assignments_task_id")),
    )

    with op.batch_alter_table("task_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_assignments_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "reward_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=False),
        sa.Column("consumed_by_allocation_run_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_by", sa.String(length=200), nullable=False),
        sa.Column("redeemed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["fund_ledger.id"],
            name=op.f("fk_reward_redemptions_ledger_entry_id_fund_ledger"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_reward_redemptions_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_redemptions_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_redemptions")),
        sa.UniqueConstraint("ledger_entry_id", name=op.f("uq_reward_redemptions_ledger_entry_id")),
    )

    with op.batch_alter_table("reward_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reward_redemptions_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reward_redemptions_reward_id"), ["reward_id"], unique=False
        )

    op.create_table(
        "task_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("value", store.types.Money(precision=18, scale=4), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reported_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["task_assignments.id"],
            name=op.f("fk_task_reports_assignment_id_task_assignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reports")),
    )

    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_reports_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_reports_assignment_id"))

    op.drop_table("task_reports")

    with op.batch_alter_table("reward_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_redemptions_reward_id"))
        batch_op.drop_index(batch_op.f("ix_reward_redemptions_partner_id"))

    op.drop_table("reward_redemptions")

    with op.batch_alter_table("task_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_assignments_partner_id"))

    op.drop_table("task_assignments")

    with op.batch_alter_table("scan_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_reports_product_id"))
        batch_op.drop_index("ix_scan_reports_partner_sold")

    op.drop_table("scan_reports")

    with op.batch_alter_table("market_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_feedback_status"))
        batch_op.drop_index(batch_op.f("ix_market_feedback_partner_id"))
        batch_op.drop_index(batch_op.f("ix_market_feedback_category"))

    op.drop_table("market_feedback")

    op.drop_table("exam_questions")

    with op.batch_alter_table("exam_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_exam_attempts_exam_partner")

    op.drop_table("exam_attempts")

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_partner_id"))

    op.drop_table("certificates")

    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exams_course_id"))

    op.drop_table("exams")

    with op.batch_alter_table("course_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_materials_course_id"))

    op.drop_table("course_materials")

    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rewards_kind"))

    op.drop_table("rewards")

    with op.batch_alter_table("engagement_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_tasks_due_at"))

    op.drop_table("engagement_tasks")

    op.drop_table("courses")
