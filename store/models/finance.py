"""Invoices and payments from finance: what a partner owes and what it paid.

Both are synced from a finance connector (``jobs.sync.sinks.invoice`` / ``payment``),
keyed by their document number and linked to the hub through ``ExternalRef`` like every
synced entity. An invoice's ``open_amount`` is what is still unpaid; open invoices
(``status`` other than PAID) count towards the partner's open balance
(``store.repositories.finance``). A payment names the invoice it settles by the invoice's
number, as finance gives it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import Money


class InvoiceStatus(StrEnum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


class Invoice(Timestamped, Base):
    """One invoice issued to a partner."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_partner_status", "partner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount: Mapped[Decimal] = mapped_column(Money())
    open_amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(InvoiceStatus, native_enum=False, length=16), default=InvoiceStatus.OPEN
    )
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)


class Payment(Timestamped, Base):
    """One payment received from a partner."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    invoice_number: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str | None] = mapped_column(String(32))
    received_on: Mapped[date | None] = mapped_column(Date)
