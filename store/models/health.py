"""Channel health scores: one row per partner and month, with its components and band.

``period`` is the month as ``YYYY-MM``; (partner, period) is unique, so the monthly job
upserts and running it twice changes nothing. Components and the total are 0–100 (Decimal);
``weights_json`` keeps the weights used, so a later change of weights does not rewrite
history. The arithmetic lives in ``domain.health``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import Money, UTCDateTime


class HealthScoreRow(Base):
    """The health of ``partner_id`` in month ``period``."""

    __tablename__ = "health_scores"
    __table_args__ = (UniqueConstraint("partner_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    target: Mapped[Decimal] = mapped_column(Money())
    order_stability: Mapped[Decimal] = mapped_column(Money())
    payment: Mapped[Decimal] = mapped_column(Money())
    inventory: Mapped[Decimal] = mapped_column(Money())
    engagement: Mapped[Decimal] = mapped_column(Money())
    compliance: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    band: Mapped[str] = mapped_column(String(8))
    weights_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
