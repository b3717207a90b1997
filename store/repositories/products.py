"""The product catalogue: reference data visible to every viewer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from domain.enums import ProductLifecycle
from store.models import Product
from store.pagination import DATE, DECIMAL, SortKey
from store.repositories.base import ScopedRepository


@dataclass(frozen=True)
class ProductFilter:
    categories: tuple[str, ...] = ()
    lifecycles: tuple[ProductLifecycle, ...] = ()
    text: str | None = None


class ProductRepository(ScopedRepository[Product, ProductFilter]):
    model = Product
    orderings = {
        "SKU_ASC": SortKey("SKU_ASC", Product.sku),
        "NAME_ASC": SortKey("NAME_ASC", Product.name),
        "LIST_PRICE_ASC": SortKey("LIST_PRICE_ASC", Product.list_price, parse=DECIMAL),
        "LIST_PRICE_DESC": SortKey(
            "LIST_PRICE_DESC", Product.list_price, descending=True, parse=DECIMAL
        ),
        "LAUNCH_DATE_DESC": SortKey(
            "LAUNCH_DATE_DESC", Product.launch_date, descending=True, parse=DATE
        ),
    }

    def visible(self) -> ColumnElement[bool]:
        return self.scope.regions()

    def matching(self, filter_: ProductFilter) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if filter_.categories:
            clauses.append(Product.category.in_(filter_.categories))
        if filter_.lifecycles:
            clauses.append(Product.lifecycle.in_(filter_.lifecycles))
        if filter_.text:
            clauses.append(
                or_(
                    Product.sku.icontains(filter_.text, autoescape=True),
                    Product.name.icontains(filter_.text, autoescape=True),
                    Product.barcode == filter_.text,
                )
            )
        return clauses

    async def by_skus(self, skus: list[str]) -> dict[str, Product]:
        if not skus:
            return {}
        rows = await self.session.scalars(select(Product).where(Product.sku.in_(sorted(set(skus)))))
        return {row.sku: row for row in rows}
