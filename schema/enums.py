"""The domain enumerations, exposed to the graph, and the ordering enums of connections."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.enums import (
    CooperationEventKind,
    DocumentKind,
    LocationKind,
    OrderStatus,
    PartnerStatus,
    PartnerType,
    ProductLifecycle,
)

for _domain_enum in (
    CooperationEventKind,
    DocumentKind,
    LocationKind,
    OrderStatus,
    PartnerStatus,
    PartnerType,
    ProductLifecycle,
):
    strawberry.enum(_domain_enum)

__all__ = [
    "CooperationEventKind",
    "DocumentKind",
    "LocationKind",
    "OrderOrderBy",
    "OrderStatus",
    "PartnerOrderBy",
    "PartnerStatus",
    "PartnerType",
    "ProductLifecycle",
    "ProductOrderBy",
    "RegionOrderBy",
    "StockOrderBy",
]


@strawberry.enum(description="Stable orderings of `partners`; ties are broken by id.")
class PartnerOrderBy(Enum):
    CODE_ASC = "CODE_ASC"
    CODE_DESC = "CODE_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CREDIT_LIMIT_DESC = "CREDIT_LIMIT_DESC"


@strawberry.enum(description="Stable orderings of `orders`; ties are broken by id.")
class OrderOrderBy(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    NUMBER_ASC = "NUMBER_ASC"
    TOTAL_DESC = "TOTAL_DESC"


@strawberry.enum(description="Stable orderings of `products`; ties are broken by id.")
class ProductOrderBy(Enum):
    SKU_ASC = "SKU_ASC"
    NAME_ASC = "NAME_ASC"
    LIST_PRICE_ASC = "LIST_PRICE_ASC"
    LIST_PRICE_DESC = "LIST_PRICE_DESC"
    LAUNCH_DATE_DESC = "LAUNCH_DATE_DESC"


@strawberry.enum(description="Stable orderings of `regions`; ties are broken by id.")
class RegionOrderBy(Enum):
    CODE_ASC = "CODE_ASC"
    NAME_ASC = "NAME_ASC"
    PATH_ASC = "PATH_ASC"


@strawberry.enum(description="Stable orderings of `stockLevels`.")
class StockOrderBy(Enum):
    ID_ASC = "ID_ASC"
