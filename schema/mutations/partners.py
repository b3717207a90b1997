"""``createPartner`` and ``updatePartner``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry

from resolvers.mutations import partners as service
from schema.context import Info
from schema.enums import PartnerStatus, PartnerType
from schema.mutations.base import given, optional_ref, ref, run
from schema.mutations.errors import DuplicateError, InvalidInputError, NotFoundError
from schema.types.partner import Partner
from store import models


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

    def values(self) -> dict[str, Any]:
        return {
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

    def values(self) -> dict[str, Any]:
        values = given(
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
    PartnerPayload | InvalidInputError | NotFoundError | DuplicateError,
    strawberry.union("PartnerResult"),
]


def _payload(row: models.Partner) -> PartnerPayload:
    return PartnerPayload(partner=cast(Partner, row))


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Create a partner.")
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> PartnerResult:
        ctx = info.context
        action = service.create_partner(ctx.sessions, ctx.scope, input.values())
        return cast(PartnerResult, await run(info, PartnerResult, action, _payload))

    @strawberry.mutation(description="Change a partner; status and tier changes join its history.")
    async def update_partner(self, info: Info, input: UpdatePartnerInput) -> PartnerResult:
        ctx, target = info.context, ref(input.id, "Partner")
        action = service.update_partner(ctx.sessions, ctx.scope, target, input.values())
        return cast(PartnerResult, await run(info, PartnerResult, action, _payload))
