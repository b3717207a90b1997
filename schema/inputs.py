"""Filter inputs of the root connections, and their translation to store filters."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.enums import OrderStatus, PartnerStatus, PartnerType, ProductLifecycle
from schema.errors import ClientError
from schema.node import decode_typed_id
from security.fields import EncryptedColumn
from security.viewer import Viewer
from store.encrypted import CONTACT_EMAIL, TAX_ID
from store.repositories.orders import OrderFilter as StoreOrderFilter
from store.repositories.partners import PartnerFilter as StorePartnerFilter
from store.repositories.products import ProductFilter as StoreProductFilter
from store.repositories.regions import RegionFilter as StoreRegionFilter
from store.repositories.stock import StockFilter as StoreStockFilter


def _ids(ids: list[strawberry.ID] | None, type_name: str) -> tuple[int, ...]:
    return tuple(decode_typed_id(i, type_name) for i in ids or ())


def _id(global_id: strawberry.ID | None, type_name: str) -> int | None:
    return None if global_id is None else decode_typed_id(global_id, type_name)


@strawberry.input(description="Partners matching every given condition.")
class PartnerFilter:
    type: list[PartnerType] | None = None
    status: list[PartnerStatus] | None = None
    tier: list[strawberry.ID] | None = None
    region: strawberry.ID | None = strawberry.field(
        default=None, description="A region id; matches partners anywhere in its subtree."
    )
    parent: strawberry.ID | None = None
    text: str | None = strawberry.field(default=None, description="Part of the code or name.")
    tax_id: str | None = strawberry.field(
        default=None,
        description="Exact tax id (ignoring case and spacing); needs reveal:financial.",
    )
    contact_email: str | None = strawberry.field(
        default=None, description="Exact contact e-mail (ignoring case); needs reveal:contact."
    )

    def encrypted_lookups(self, viewer: Viewer | None) -> dict[EncryptedColumn, str]:
        """The equality conditions on encrypted fields; only for viewers who may reveal them
        (a lookup confirms a value, so it needs the same permission as a reveal)."""
        wanted = {TAX_ID: self.tax_id, CONTACT_EMAIL: self.contact_email}
        lookups = {column: value for column, value in wanted.items() if value is not None}
        for column in lookups:
            if viewer is None or not viewer.can(column.permission):
                raise ClientError(
                    f"filtering by `{column.graph_name}` needs the {column.permission} permission"
                )
        return lookups

    def to_store(self) -> StorePartnerFilter:
        return StorePartnerFilter(
            types=tuple(self.type or ()),
            statuses=tuple(self.status or ()),
            tier_ids=_ids(self.tier, "Tier"),
            region_id=_id(self.region, "Region"),
            parent_id=_id(self.parent, "Partner"),
            text=self.text or None,
        )


@strawberry.input(description="Orders matching every given condition.")
class OrderFilter:
    partner: list[strawberry.ID] | None = None
    status: list[OrderStatus] | None = None
    created_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_to: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_store(self) -> StoreOrderFilter:
        for name, value in (("createdFrom", self.created_from), ("createdTo", self.created_to)):
            if value is not None and value.tzinfo is None:
                raise ClientError(f"`{name}` needs a time zone, e.g. 2026-01-01T00:00:00Z")
        return StoreOrderFilter(
            partner_ids=_ids(self.partner, "Partner"),
            statuses=tuple(self.status or ()),
            created_from=self.created_from,
            created_to=self.created_to,
        )


@strawberry.input(description="Products matching every given condition.")
class ProductFilter:
    category: list[str] | None = None
    lifecycle: list[ProductLifecycle] | None = None
    text: str | None = strawberry.field(
        default=None, description="Part of the SKU or name, or an exact barcode."
    )

    def to_store(self) -> StoreProductFilter:
        return StoreProductFilter(
            categories=tuple(self.category or ()),
            lifecycles=tuple(self.lifecycle or ()),
            text=self.text or None,
        )


@strawberry.input(description="Stock levels matching every given condition.")
class StockFilter:
    location: strawberry.ID | None = None
    partner: strawberry.ID | None = None
    product: strawberry.ID | None = None
    below_min: bool | None = None

    def to_store(self) -> StoreStockFilter:
        return StoreStockFilter(
            location_id=_id(self.location, "Location"),
            partner_id=_id(self.partner, "Partner"),
            product_id=_id(self.product, "Product"),
            below_min=self.below_min,
        )


@strawberry.input(description="Regions matching every given condition.")
class RegionFilter:
    parent: strawberry.ID | None = None
    roots_only: bool = False
    within: strawberry.ID | None = strawberry.field(
        default=None, description="A region id; matches it and its whole subtree."
    )
    text: str | None = None

    def to_store(self) -> StoreRegionFilter:
        return StoreRegionFilter(
            parent_id=_id(self.parent, "Region"),
            roots_only=self.roots_only,
            within_id=_id(self.within, "Region"),
            text=self.text or None,
        )
