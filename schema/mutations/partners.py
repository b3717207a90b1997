"""``createPartner`` and ``updatePartner``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry

from resolvers.mutations import partners as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.enums import PartnerStatus, PartnerType
from schema.mutations.base import given, optional_ref, ref, run
from schema.mutations.errors import DuplicateError, ForbiddenError, InvalidInputError, NotFoundError
from schema.types.partner import Partner
from store import models

SENSITIVE = "Stored encrypted (plaintext never stored or logged); null clears it."


@strawberry.input(description="A new partner.")
class CreatePartnerInput:
    code: str
    name: str
    type: PartnerType
    status: PartnerStatus = PartnerStatus.ACTIVE
    parent: strawberry.ID | None = None
    region: strawberry.ID | None = None
    tier: strawberry.ID | None = None
    joined_on: date | None = None
    next_review_on: date | None = None
    credit_limit: Decimal = Decimal("0")
    credit_rating: str | None = None
    tax_id: str | None = strawberry.field(default=None, description=SENSITIVE)
    bank_account: str | None = strawberry.field(default=None, description=SENSITIVE)
    contact_phone: str | None = strawberry.field(default=None, description=SENSITIVE)
    contact_email: str | None = strawberry.field(default=None, description=SENSITIVE)

    def values(self) -> dict[str, Any]:
        sensitive = {
            "tax_id": self.tax_id,
            "bank_account": self.bank_account,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
        }
        return {
            **{name: value for name, value in sensitive.items() if value is not None},
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "parent_id": optional_ref(self.parent, "Partner"),
            "region_id": optional_ref(self.region, "Region"),
            "tier_id": optional_ref(self.tier, "Tier"),
            "joined_on": self.joined_on,
            "next_review_on": self.next_review_on,
            "credit_limit": self.credit_limit,
            "credit_rating": self.credit_rating,
        }


@strawberry.input(description="Changes to a partner: omitted fields keep their value; null clears.")
class UpdatePartnerInput:
    id: strawberry.ID
    code: strawberry.Maybe[str]
    name: strawberry.Maybe[str]
    type: strawberry.Maybe[PartnerType]
    status: strawberry.Maybe[PartnerStatus]
    parent: strawberry.Maybe[strawberry.ID | None]
    region: strawberry.Maybe[strawberry.ID | None]
    tier: strawberry.Maybe[strawberry.ID | None]
    joined_on: strawberry.Maybe[date | None]
    next_review_on: strawberry.Maybe[date | None]
    credit_limit: strawberry.Maybe[Decimal]
    credit_rating: strawberry.Maybe[str | None]
    tax_id: strawberry.Maybe[str | None] = strawberry.field(description=SENSITIVE)
    bank_account: strawberry.Maybe[str | None] = strawberry.field(description=SENSITIVE)
    contact_phone: strawberry.Maybe[str | None] = strawberry.field(description=SENSITIVE)
    contact_email: strawberry.Maybe[str | None] = strawberry.field(description=SENSITIVE)

    def values(self) -> dict[str, Any]:
        values = given(
            tax_id=self.tax_id,
            bank_account=self.bank_account,
            contact_phone=self.contact_phone,
            contact_email=self.contact_email,
            code=self.code,
            name=self.name,
            type=self.type,
            status=self.status,
            joined_on=self.joined_on,
            next_review_on=self.next_review_on,
            credit_limit=self.credit_limit,
            credit_rating=self.credit_rating,
        )
        for field, type_name in (("parent", "Partner"), ("region", "Region"), ("tier", "Tier")):
            if (value := getattr(self, field)) is not None:
                values[f"{field}_id"] = optional_ref(value.value, type_name)
        return values


@strawberry.type
class PartnerPayload:
    partner: Partner


PartnerResult = Annotated[
    PartnerPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("PartnerResult"),
]


def _payload(row: models.Partner) -> PartnerPayload:
    return PartnerPayload(partner=cast(Partner, row))


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Create a partner.")
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> PartnerResult:
        ctx = info.context
        action = service.create_partner(
            ctx.sessions, Caller.of(ctx), input.values(), ctx.hub.fields
        )
        return cast(PartnerResult, await run(info, PartnerResult, action, _payload))

    @strawberry.mutation(description="Change a partner; status and tier changes join its history.")
    async def update_partner(self, info: Info, input: UpdatePartnerInput) -> PartnerResult:
        ctx, target = info.context, ref(input.id, "Partner")
        action = service.update_partner(
            ctx.sessions, Caller.of(ctx), target, input.values(), ctx.hub.fields, ctx.hub.audit
        )
        return cast(PartnerResult, await run(info, PartnerResult, action, _payload))
