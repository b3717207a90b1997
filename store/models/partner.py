"""Partners (distributors, dealers, agents, stores), their documents and their history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.enums import CooperationEventKind, DocumentKind, PartnerStatus, PartnerType
from store.base import Base, Timestamped, utcnow
from store.types import Money, UTCDateTime


class Partner(Timestamped, Base):
    __tablename__ = "partners"
    __table_args__ = (Index("ix_partners_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[PartnerType] = mapped_column(Enum(PartnerType, native_enum=False, length=16))
    status: Mapped[PartnerStatus] = mapped_column(
        Enum(PartnerStatus, native_enum=False, length=16), default=PartnerStatus.ACTIVE, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id"), index=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit_rating: Mapped[str | None] = mapped_column(String(8))


class PartnerDocument(Timestamped, Base):
    """A qualification or licence a partner holds."""

    __tablename__ = "partner_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=32))
    number: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[date | None] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)


class CooperationEvent(Base):
    """One entry of a partner's history timeline."""

    __tablename__ = "cooperation_events"
    __table_args__ = (Index("ix_cooperation_events_partner_at", "partner_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    kind: Mapped[CooperationEventKind] = mapped_column(
        Enum(CooperationEventKind, native_enum=False, length=32)
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(Text, default="")
