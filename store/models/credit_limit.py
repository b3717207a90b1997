"""Credit-limit change requests: a partner's new limit, why, and where the request stands.

A request is PENDING_APPROVAL while an approval rule for document type
``credit_limit_change`` holds it, then APPLIED (the partner's ``credit_limit`` was set to
``new_limit`` in the same transaction) or REJECTED (nothing changed). Without a rule it is
APPLIED at once. ``old_limit`` is the limit when the change was applied (or requested).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import Money, UTCDateTime


class CreditLimitChange(Timestamped, Base):
    __tablename__ = "credit_limit_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    old_limit: Mapped[Decimal] = mapped_column(Money())
    new_limit: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(200))
    approval_request_id: Mapped[int | None] = mapped_column(Integer)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
