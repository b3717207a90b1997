"""Partners, their documents and their cooperation history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.connections import window
from schema.connection import Connection, page_parts
from schema.context import Info
from schema.enums import (
    CooperationEventKind,
    DocumentKind,
    OrderOrderBy,
    OrderStatus,
    PartnerStatus,
    PartnerType,
)
from schema.node import Node
from schema.types.encrypted import EncryptedField
from schema.types.live import LIVE_FIELD_HELP, LIVE_FIELDS_HELP, LiveValue, live_value, live_values
from schema.types.region import Region, Tier
from store import models
from store.repositories.orders import OrderFilter

if TYPE_CHECKING:
    from schema.types.credit import PartnerCredit
    from schema.types.order import OrderConnection
    from schema.types.stock import StockLevel


@strawberry.type(description="A qualification or licence held by a partner.")
class PartnerDocument(Node):
    kind: DocumentKind
    number: str
    valid_until: date | None
    verified: bool

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.PartnerDocument)


@strawberry.type(description="One entry of a partner's cooperation timeline.")
class CooperationEvent:
    kind: CooperationEventKind
    occurred_at: datetime
    text: str


@strawberry.type(description="A distributor, dealer, agent or store selling the brand.")
class Partner(Node):
    code: str
    name: str
    type: PartnerType
    status: PartnerStatus
    joined_on: date | None
    next_review_on: date | None
    credit_limit: Decimal
    credit_rating: str | None
    # Encrypted fields resolve to the row's EncryptedValue by plain attribute reads (no key).
    tax_id: EncryptedField = strawberry.field(description="Tax id; reveal: reveal:financial.")
    bank_account: EncryptedField = strawberry.field(
        description="Bank account; reveal: reveal:financial."
    )
    contact_phone: EncryptedField = strawberry.field(
        description="Contact phone; reveal: reveal:contact."
    )
    contact_email: EncryptedField = strawberry.field(
        description="Contact e-mail; reveal: reveal:contact."
    )

    @strawberry.field
    async def parent(self, root: strawberry.Parent[models.Partner], info: Info) -> Partner | None:
        if root.parent_id is None:
            return None
        return await info.context.loaders.partner.load(root.parent_id)  # type: ignore[return-value]

    @strawberry.field
    async def children(self, root: strawberry.Parent[models.Partner], info: Info) -> list[Partner]:
        return await info.context.loaders.partner_children.load(root.id)  # type: ignore[return-value]

    @strawberry.field
    async def region(self, root: strawberry.Parent[models.Partner], info: Info) -> Region | None:
        if root.region_id is None:
            return None
        return await info.context.loaders.region.load(root.region_id)  # type: ignore[return-value]

    @strawberry.field
    async def tier(self, root: strawberry.Parent[models.Partner], info: Info) -> Tier | None:
        if root.tier_id is None:
            return None
        return await info.context.loaders.tier.load(root.tier_id)  # type: ignore[return-value]

    @strawberry.field
    async def documents(
        self, root: strawberry.Parent[models.Partner], info: Info
    ) -> list[PartnerDocument]:
        return await info.context.loaders.partner_documents.load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="The partner's cooperation timeline, oldest first.")
    async def history(
        self, root: strawberry.Parent[models.Partner], info: Info
    ) -> list[CooperationEvent]:
        return await info.context.loaders.partner_history.load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Stock at the partner's own sites.")
    async def stock(
        self, root: strawberry.Parent[models.Partner], info: Info
    ) -> list[Annotated[StockLevel, strawberry.lazy("schema.types.stock")]]:
        return await info.context.loaders.partner_stock.load(root.id)  # type: ignore[return-value]

    @strawberry.field
    async def orders(
        self,
        root: strawberry.Parent[models.Partner],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: OrderOrderBy = OrderOrderBy.CREATED_AT_DESC,
        status: list[OrderStatus] | None = None,
    ) -> Annotated[OrderConnection, strawberry.lazy("schema.types.order")]:
        from schema.types.order import OrderConnection

        loaders = info.context.loaders
        win = window(info.context.settings, first, after, last, before)
        filter_ = OrderFilter(statuses=tuple(status)) if status else None
        page = await loaders.partner_orders.load((root.id, filter_, order_by.value, win))

        async def count() -> int:
            return await loaders.partner_order_count.load((root.id, filter_))

        return OrderConnection(**page_parts(page), count=count)

    @strawberry.field(description="Credit limit, open balance and available credit.")
    async def credit(
        self, root: strawberry.Parent[models.Partner], info: Info
    ) -> Annotated[PartnerCredit, strawberry.lazy("schema.types.credit")] | None:
        from schema.types.credit import PartnerCredit

        figures = await info.context.loaders.partner_credit.load(root.id)
        return None if figures is None else PartnerCredit.of(figures)

    @strawberry.field(description=LIVE_FIELD_HELP)
    async def live(
        self, root: strawberry.Parent[models.Partner], info: Info, field: str
    ) -> LiveValue | None:
        return await live_value(info, "partner", root.id, field)

    @strawberry.field(description=LIVE_FIELDS_HELP)
    async def live_fields(
        self, root: strawberry.Parent[models.Partner], info: Info
    ) -> list[LiveValue]:
        return await live_values(info, "partner", root.id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, models.Partner)


@strawberry.type
class PartnerConnection(Connection[Partner]):
    pass
