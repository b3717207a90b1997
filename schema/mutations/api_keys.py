"""``createApiKey`` and ``revokeApiKey``: keys for services, managed by brand admins."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from resolvers.mutations import api_keys as service
from resolvers.mutations.common import Caller
from schema.context import Info
from schema.mutations.base import optional_ref, ref, run
from schema.mutations.errors import ForbiddenError, InvalidInputError, NotFoundError
from schema.permissions import Permission
from schema.types.api_key import ApiKey
from store import models


@strawberry.input(description="A new API key; no partner and no regions means brand-wide.")
class CreateApiKeyInput:
    name: str
    grants: list[Permission] = strawberry.field(
        description="What the key may do; only permissions you hold yourself."
    )
    partner: strawberry.ID | None = None
    regions: list[strawberry.ID] | None = None


@strawberry.type(description="The new key: `secret` is shown this once and never stored.")
class ApiKeyCreated:
    api_key: ApiKey
    secret: str = strawberry.field(description="The full key: chk_<prefix>_<secret>.")


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey


CreateApiKeyResult = Annotated[
    ApiKeyCreated | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("CreateApiKeyResult"),
]
RevokeApiKeyResult = Annotated[
    ApiKeyPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("RevokeApiKeyResult"),
]


def _created(made: service.CreatedApiKey) -> ApiKeyCreated:
    return ApiKeyCreated(api_key=cast(ApiKey, made.key), secret=made.text)


def _payload(row: models.ApiKey) -> ApiKeyPayload:
    return ApiKeyPayload(api_key=cast(ApiKey, row))


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(description="Create an API key for a service (needs API_KEYS_MANAGE).")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyResult:
        ctx = info.context
        request = service.ApiKeyRequest(
            name=input.name,
            grants=input.grants,
            partner=optional_ref(input.partner, "Partner"),
            regions=[ref(r, "Region") for r in input.regions or []],
        )
        action = service.create_api_key(ctx.sessions, Caller.of(ctx), ctx.hub.audit, request)
        return cast(CreateApiKeyResult, await run(info, CreateApiKeyResult, action, _created))

    @strawberry.mutation(description="Revoke an API key: it is refused from now on.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyResult:
        ctx = info.context
        action = service.revoke_api_key(
            ctx.sessions, Caller.of(ctx), ctx.hub.audit, ref(id, "ApiKey")
        )
        return cast(RevokeApiKeyResult, await run(info, RevokeApiKeyResult, action, _payload))
