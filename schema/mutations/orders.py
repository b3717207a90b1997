"""``placeOrder`` and ``changeOrderStatus``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from resolvers.mutations import orders as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.enums import OrderStatus
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PartnerNotActiveError,
    ProductNotOrderableError,
    TransitionNotAllowedError,
)
from schema.types.credit import CreditLimitExceededError, CreditOverrideInput
from schema.types.order import Order
from store import models

if TYPE_CHECKING:
    from schema.approvals import ApprovalRequestNode


@strawberry.input(description="One line of a new order: a product by id or by SKU (not both).")
class OrderLineInput:
    product: strawberry.ID | None = None
    sku: str | None = None
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's list price; must not be negative."
    )

    def to_service(self) -> service.LineInput:
        return service.LineInput(
            optional_ref(self.product, "Product"), self.sku, self.quantity, self.unit_price
        )


@strawberry.input(description="A new order of an ACTIVE partner.")
class PlaceOrderInput:
    partner: strawberry.ID
    lines: list[OrderLineInput]
    note: str | None = None
    submit: bool = strawberry.field(
        default=True, description="True: the order starts SUBMITTED; false: DRAFT."
    )
    credit_override: CreditOverrideInput | None = None


@strawberry.input(description="Move an order to another status.")
class ChangeOrderStatusInput:
    order: strawberry.ID
    to: OrderStatus
    note: str | None = None
    credit_override: CreditOverrideInput | None = strawberry.field(
        default=None, description="When approving beyond the partner's available credit."
    )


@strawberry.type
class OrderPayload:
    order: Order

    @strawberry.field(
        description="The order's newest approval request (PENDING while its approval flow "
        "runs); null when none was needed."
    )
    async def approval_request(
        self, info: Info
    ) -> Annotated[ApprovalRequestNode, strawberry.lazy("schema.approvals")] | None:
        from resolvers.approvals import latest_request

        row = cast(models.Order, self.order)
        ctx = info.context
        found = await latest_request(ctx.sessions, ctx.scope, "order", row.id)
        return cast("ApprovalRequestNode | None", found)


PlaceOrderResult = Annotated[
    OrderPayload
    | InvalidInputError
    | NotFoundError
    | PartnerNotActiveError
    | ProductNotOrderableError
    | CreditLimitExceededError
    | ForbiddenError,
    strawberry.union("PlaceOrderResult"),
]
ChangeOrderStatusResult = Annotated[
    OrderPayload
    | InvalidInputError
    | NotFoundError
    | TransitionNotAllowedError
    | ConflictError
    | CreditLimitExceededError
    | ForbiddenError,
    strawberry.union("ChangeOrderStatusResult"),
]


def _payload(row: models.Order) -> OrderPayload:
    return OrderPayload(order=cast(Order, row))


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Place an order: all of it is written, or (on any error) nothing."
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderResult:
        ctx = info.context
        request = service.OrderRequest(
            partner=ref(input.partner, "Partner"),
            lines=[line.to_service() for line in input.lines],
            note=input.note,
            submit=input.submit,
            credit_override=None if input.credit_override is None else input.credit_override.reason,
        )
        audit = getattr(ctx.hub, "audit", None)
        events = getattr(ctx.hub, "events", None)
        action = service.place_order(ctx.sessions, Caller.of(ctx), request, audit, events)
        return cast(PlaceOrderResult, await run(info, PlaceOrderResult, action, _payload))

    @strawberry.mutation(
        description="DRAFT → SUBMITTED → APPROVED → SHIPPED → DELIVERED → CLOSED; "
        "CANCELLED from DRAFT, SUBMITTED or APPROVED."
    )
    async def change_order_status(
        self, info: Info, input: ChangeOrderStatusInput
    ) -> ChangeOrderStatusResult:
        ctx = info.context
        target = ref(input.order, "Order")
        override = None if input.credit_override is None else input.credit_override.reason
        action = service.change_order_status(
            ctx.sessions,
            Caller.of(ctx),
            target,
            input.to,
            input.note,
            override,
            getattr(ctx.hub, "audit", None),
            getattr(ctx.hub, "events", None),
        )
        return cast(
            ChangeOrderStatusResult, await run(info, ChangeOrderStatusResult, action, _payload)
        )
