"""Partner engagement: promotion tasks, field reports, training and the rewards catalogue.

- ``EngagementTask`` is issued by the brand with a target, a due date and the kinds of
  evidence required (``evidence_required_json``: a JSON list such as ``["photo"]``); one
  ``TaskAssignment`` per partner (unique per task and partner); partners append
  ``TaskReport`` rows (progress value + evidence references, JSON ``[{kind, ref}]``).
  Completion and overdue are computed by ``domain.tasks`` from these rows.
- ``ScanReport`` is a sell-out record: a scanned barcode/QR code resolved to a product and a
  quantity sold at the reporting partner. ``MarketFeedback`` is free feedback (category, text,
  photo references, location) the brand works through: NEW → IN_REVIEW → RESOLVED / DISMISSED.
- ``Course`` → ``CourseMaterial`` (file reference or video URL) and ``Exam`` →
  ``ExamQuestion`` (options and correct options as JSON lists; graded by ``domain.training``);
  ``ExamAttempt`` records each graded attempt; ``Certificate`` is unique per course and
  partner.
- Points are **not** a table here: they are the ``POINTS`` fund of the append-only
  ``fund_ledger`` (currency ``"PTS"``, whole amounts; ``source_type`` names the rule:
  ``purchase`` / ``task`` / ``training`` / ``scan_report`` / ``redemption``). ``Reward`` is the
  catalogue (``kind`` e.g. PRIORITY_SUPPLY, MARKET_SUPPORT; ``cost_points``);
  ``RewardRedemption`` records a redemption and the ledger entry that debited it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped, utcnow
from store.types import Money, UTCDateTime


class EngagementTask(Timestamped, Base):
    __tablename__ = "engagement_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    target: Mapped[Decimal] = mapped_column(Money())
    unit: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    evidence_required_json: Mapped[str] = mapped_column(Text, default="[]")
    issued_by: Mapped[str] = mapped_column(String(200))


class TaskAssignment(Base):
    __tablename__ = "task_assignments"
    __table_args__ = (UniqueConstraint("task_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("engagement_tasks.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaskReport(Base):
    __tablename__ = "task_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("task_assignments.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Money())
    evidence_json: Mapped[str] = mapped_column(Text, default="[]")
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScanReport(Base):
    __tablename__ = "scan_reports"
    __table_args__ = (Index("ix_scan_reports_partner_sold", "partner_id", "sold_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MarketFeedback(Timestamped, Base):
    __tablename__ = "market_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    photo_refs_json: Mapped[str] = mapped_column(Text, default="[]")
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="NEW", index=True)
    reported_by: Mapped[str] = mapped_column(String(200))


class Course(Timestamped, Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class CourseMaterial(Base):
    __tablename__ = "course_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[Decimal] = mapped_column(Money())
    max_attempts: Mapped[int | None] = mapped_column(Integer)


class ExamQuestion(Base):
    __tablename__ = "exam_questions"
    __table_args__ = (UniqueConstraint("exam_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text)
    options_json: Mapped[str] = mapped_column(Text)
    correct_json: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer, default=1)


class ExamAttempt(Base):
    __tablename__ = "exam_attempts"
    __table_args__ = (Index("ix_exam_attempts_exam_partner", "exam_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    answers_json: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    taken_by: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("course_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reward(Timestamped, Base):
    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    cost_points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RewardRedemption(Base):
    __tablename__ = "reward_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    cost_points: Mapped[int] = mapped_column(Integer)
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("fund_ledger.id"), unique=True)
    consumed_by_allocation_run_id: Mapped[int | None] = mapped_column(Integer)
    redeemed_by: Mapped[str] = mapped_column(String(200))
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
