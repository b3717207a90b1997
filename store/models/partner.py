"""Partners (distributors, dealers, agents, stores), their documents and their history.

A partner's tax id, bank account, contact phone and contact e-mail are encrypted fields
(``store.encrypted``): only ciphertext, a mask and a blind index are stored, and the model
exposes them as read-only ``EncryptedValue`` attributes (``partner.tax_id``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.enums import CooperationEventKind, DocumentKind, PartnerStatus, PartnerType
from security.fields import EncryptedAttribute
from store.base import Base, Timestamped, utcnow
from store.encrypted import BANK_ACCOUNT, CONTACT_EMAIL, CONTACT_PHONE, TAX_ID
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

    # encrypted fields: sealed value, write-time mask, blind index (see store.encrypted)
    tax_id_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    tax_id_mask: Mapped[str | None] = mapped_column(String(64))
    tax_id_bidx: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    bank_account_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_mask: Mapped[str | None] = mapped_column(String(64))
    contact_phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_mask: Mapped[str | None] = mapped_column(String(64))
    contact_email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_email_mask: Mapped[str | None] = mapped_column(String(300))
    contact_email_bidx: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)

    tax_id = EncryptedAttribute(TAX_ID)
    bank_account = EncryptedAttribute(BANK_ACCOUNT)
    contact_phone = EncryptedAttribute(CONTACT_PHONE)
    contact_email = EncryptedAttribute(CONTACT_EMAIL)


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
