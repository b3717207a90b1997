"""Partner tiers: rank and the weight used when scarce stock is allocated."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, Timestamped
from store.types import Money


class Tier(Timestamped, Base):
    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rank: Mapped[int] = mapped_column(Integer, index=True)
    allocation_weight: Mapped[Decimal] = mapped_column(Money(), default=Decimal(1))
