"""``createRegion`` and ``updateRegion`` (rename, recode, or move with its whole subtree)."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from resolvers.mutations import regions as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import given, optional_ref, ref, run
from schema.mutations.errors import DuplicateError, ForbiddenError, InvalidInputError, NotFoundError
from schema.types.region import Region
from store import models


@strawberry.input(description="A new region: a root, or a child of `parent`.")
class CreateRegionInput:
    code: str
    name: str
    parent: strawberry.ID | None = None


@strawberry.input(
    description="Changes to a region; `parent` moves it with its subtree (null: make it a root)."
)
class UpdateRegionInput:
    id: strawberry.ID
    code: strawberry.Maybe[str]
    name: strawberry.Maybe[str]
    parent: strawberry.Maybe[strawberry.ID | None]


@strawberry.type
class RegionPayload:
    region: Region


RegionResult = Annotated[
    RegionPayload | InvalidInputError | NotFoundError | DuplicateError | ForbiddenError,
    strawberry.union("RegionResult"),
]


def _payload(row: models.Region) -> RegionPayload:
    return RegionPayload(region=cast(Region, row))


@strawberry.type
class RegionMutations:
    @strawberry.mutation(description="Add a region to the tree.")
    async def create_region(self, info: Info, input: CreateRegionInput) -> RegionResult:
        values = {"code": input.code, "name": input.name}
        parent = optional_ref(input.parent, "Region")
        action = service.create_region(
            info.context.sessions, Caller.of(info.context), values, parent
        )
        return cast(RegionResult, await run(info, RegionResult, action, _payload))

    @strawberry.mutation(
        description="Change a region; moving it refuses a new parent inside its own subtree."
    )
    async def update_region(self, info: Info, input: UpdateRegionInput) -> RegionResult:
        target = ref(input.id, "Region")
        values = given(code=input.code, name=input.name)
        sessions, caller = info.context.sessions, Caller.of(info.context)
        audit = getattr(info.context.hub, "audit", None)
        if input.parent is None:
            action = service.update_region(sessions, caller, target, values, audit=audit)
        else:
            parent = optional_ref(input.parent.value, "Region")
            action = service.update_region(sessions, caller, target, values, parent, audit)
        return cast(RegionResult, await run(info, RegionResult, action, _payload))
