"""Products of the brand's catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.enums import ProductLifecycle
from store.base import Base, Timestamped
from store.types import Money


class Product(Timestamped, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(100), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="EA")
    list_price: Mapped[Decimal] = mapped_column(Money())
    lifecycle: Mapped[ProductLifecycle] = mapped_column(
        Enum(ProductLifecycle, native_enum=False, length=16),
        default=ProductLifecycle.ACTIVE,
        index=True,
    )
    launch_date: Mapped[date | None] = mapped_column(Date)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
