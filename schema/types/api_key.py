"""API keys as the graph shows them: name, prefix, grants and scope, never the secret."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.context import Info
from schema.node import encode_id
from schema.permissions import Permission
from schema.types.partner import Partner
from schema.types.region import Region
from store import models
from store.repositories.api_keys import grants_of, region_ids_of

_PERMISSIONS = {p.value: p for p in Permission}


@strawberry.type(description="A service's API key; its secret was shown once, at creation.")
class ApiKey:
    name: str
    prefix: str = strawberry.field(description="The public part: chk_<prefix>_…")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="Noted at most once a minute.")

    @strawberry.field(description="The id to pass to revokeApiKey.")
    def id(self, root: strawberry.Parent[models.ApiKey]) -> strawberry.ID:
        return encode_id("ApiKey", root.id)

    @strawberry.field(description="What the key may do.")
    def grants(self, root: strawberry.Parent[models.ApiKey]) -> list[Permission]:
        return [_PERMISSIONS[g] for g in grants_of(root) if g in _PERMISSIONS]

    @strawberry.field(description="The partner (and its sub-partners) the key is limited to.")
    async def partner(self, root: strawberry.Parent[models.ApiKey], info: Info) -> Partner | None:
        if root.partner_id is None:
            return None
        return await info.context.loaders.partner.load(root.partner_id)  # type: ignore[return-value]

    @strawberry.field(description="The regions (with their subtrees) the key is limited to.")
    async def regions(self, root: strawberry.Parent[models.ApiKey], info: Info) -> list[Region]:
        found = await info.context.loaders.region.load_many(list(region_ids_of(root)))
        return [r for r in found if r is not None]  # type: ignore[misc]
