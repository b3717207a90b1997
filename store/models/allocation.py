"""Allocation runs: scarce stock of one product shared across partners' open order lines.

An ``AllocationRun`` is created as a *preview* (status ``preview``) holding one
``AllocationRunLine`` per request with the quantity the rule gave it and why; applying it
(status ``applied``, once — a second apply is refused) makes the lines the allocation records
the order flow uses: ``allocated`` units of ``order_line_id`` are reserved for the partner.
The rule's arithmetic lives in ``domain.allocation``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import Money, UTCDateTime


class AllocationRun(Base):
    """One allocation of ``stock`` units of ``product_id`` by ``rule`` (preview, then applied)."""

    __tablename__ = "allocation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    stock: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    unallocated: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="preview", index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_by: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AllocationRunLine(Base):
    """What one request (a partner's order line, or a bare partner request) was given."""

    __tablename__ = "allocation_run_lines"
    __table_args__ = (UniqueConstraint("run_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    requested: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Money())
    weight_multiplier: Mapped[Decimal] = mapped_column(Money(), default=Decimal(1))
    explanation: Mapped[str] = mapped_column(Text)
