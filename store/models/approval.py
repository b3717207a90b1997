"""Approval flows: rules (configured, no code), their ordered steps, requests and decisions.

An ``ApprovalRule`` applies to one document type, optionally within an amount range
[min_amount, max_amount), a partner tier and a region (with its subregions); its
``ApprovalStep`` rows name, in order, the role that decides each step and an optional region
the approver's scope must cover. Matching is pure (``domain.approvals``).

An ``ApprovalRequest`` is one document waiting for (or done with) its approval. It keeps a
snapshot of the rule's steps (``steps_json``: editing or deleting a rule never changes a
request under way) and, denormalised for the pending-approvals query, the role and region of
its current step. Each approve or reject is an ``ApprovalDecision``; one step is decided
once (unique ``request_id, step``), so of two concurrent decisions exactly one wins.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped, utcnow
from store.types import Money, UTCDateTime


class ApprovalRule(Timestamped, Base):
    __tablename__ = "approval_rules"
    __table_args__ = (Index("ix_approval_rules_document_type", "document_type", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    document_type: Mapped[str] = mapped_column(String(40))
    min_amount: Mapped[Decimal | None] = mapped_column(Money())
    max_amount: Mapped[Decimal | None] = mapped_column(Money())
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApprovalStep(Base):
    __tablename__ = "approval_steps"
    __table_args__ = (UniqueConstraint("rule_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("approval_rules.id"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (
        Index("ix_approval_requests_document", "document_type", "document_id"),
        Index("ix_approval_requests_status_role", "status", "current_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[int | None] = mapped_column(Integer)
    rule_name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    steps_json: Mapped[str] = mapped_column(Text)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    current_role: Mapped[str | None] = mapped_column(String(32))
    current_region_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApprovalDecision(Base):
    __tablename__ = "approval_decisions"
    __table_args__ = (UniqueConstraint("request_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"))
    step: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
