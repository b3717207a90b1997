"""Connectors in the graph: ``connectors``, ``connector(id)`` and the mutations to apply,
delete, test, discover and preview them (``resolvers.connectors`` does the work).

Every field needs ``connectors:manage`` (erp_admin, brand_admin): the queries answer
``FORBIDDEN`` without it, like the auditor's fields; the mutations return ``ForbiddenError``
(audited). Secrets are write-only: ``config`` shows ``"<secret>"`` in their place, and a
failing connector comes back as ``ConnectorFailure`` with its classified ``kind`` and a
message scrubbed of secrets.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from connectors.protocol import CheckResult, EndpointInfo
from resolvers import connectors as service
from resolvers.mutations.common import Caller
from resolvers.mutations.errors import NotFound
from schema.context import Info
from schema.errors import InvalidIdError
from schema.mutations.base import run
from schema.mutations.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UserError,
)
from schema.node import decode_typed_id, encode_id
from schema.permissions import IsAuthenticated
from security.viewer import Permission
from store.models.connector import ConnectorRow
from store.repositories.connectors import ConnectorRepository


class CanManageConnectors(BasePermission):
    message = "your role may not manage connectors"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(Permission.CONNECTORS_MANAGE)


CONNECTOR_MANAGERS: list[type[BasePermission]] = [IsAuthenticated, CanManageConnectors]


def _names(items: object) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(item.get("name")) for item in items if isinstance(item, dict)]


@strawberry.type(description="A stored connector; its secrets are never shown.")
class Connector:
    name: str
    kind: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description='The global id ("Connector:<pk>").')
    def id(self, root: strawberry.Parent[ConnectorRow]) -> strawberry.ID:
        return encode_id("Connector", root.id)

    @strawberry.field(description='The config, each secret shown as "<secret>".')
    def config(self, root: strawberry.Parent[ConnectorRow]) -> JSON:
        return cast(JSON, ConnectorRepository.public_config(root))

    @strawberry.field(description="The names of its streams.")
    def streams(self, root: strawberry.Parent[ConnectorRow]) -> list[str]:
        return _names(ConnectorRepository.public_config(root).get("streams"))

    @strawberry.field(description="The names of its write operations.")
    def operations(self, root: strawberry.Parent[ConnectorRow]) -> list[str]:
        return _names(ConnectorRepository.public_config(root).get("operations"))


@strawberry.enum(description="What applyConnector did.")
class ConnectorChange(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@strawberry.type
class ConnectorPayload:
    connector: Connector
    change: ConnectorChange


@strawberry.type
class DeletedConnector:
    id: strawberry.ID
    name: str


@strawberry.type(description="The connector failed; `kind` classifies it (config_error...).")
class ConnectorFailure(UserError):
    kind: str


@strawberry.type(description="Whether the remote is reachable and accepts the credentials.")
class ConnectorCheck:
    ok: bool
    failed: str | None = strawberry.field(description="Which part of the check failed.")
    message: str


@strawberry.type
class EndpointField:
    name: str
    type: str
    required: bool


@strawberry.type(description='A stream or operation the remote offers ("stream"/"operation").')
class Endpoint:
    name: str
    kind: str
    description: str
    fields: list[EndpointField]


@strawberry.type
class ConnectorEndpoints:
    endpoints: list[Endpoint]


@strawberry.type(description="A record of the previewed page that could not be mapped.")
class RejectedRecord:
    index: int
    reason: str


@strawberry.type(description="The first page of a stream, mapped; nothing was written.")
class StreamPreview:
    records: list[JSON] = strawberry.field(
        description=(
            "Mapped records: externalId, entity, values, lines; `pending` names reference "
            "fields left empty because they point at a record later on the same page."
        )
    )
    rejected: list[RejectedRecord]
    raw_count: int = strawberry.field(description="Records on the page before mapping.")


@strawberry.input
class ApplyConnectorInput:
    config: JSON = strawberry.field(description="A connector config, secrets included.")


ApplyConnectorResult = Annotated[
    ConnectorPayload | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("ApplyConnectorResult"),
]
DeleteConnectorResult = Annotated[
    DeletedConnector | NotFoundError | ForbiddenError,
    strawberry.union("DeleteConnectorResult"),
]
TestConnectorResult = Annotated[
    ConnectorCheck | ConnectorFailure | NotFoundError | ForbiddenError,
    strawberry.union("TestConnectorResult"),
]
DiscoverConnectorResult = Annotated[
    ConnectorEndpoints | ConnectorFailure | NotFoundError | ForbiddenError,
    strawberry.union("DiscoverConnectorResult"),
]
PreviewStreamResult = Annotated[
    StreamPreview | ConnectorFailure | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("PreviewStreamResult"),
]


def _pk(global_id: str) -> int:
    """The connector's primary key; a malformed id is a connector that does not exist."""
    try:
        return decode_typed_id(global_id, "Connector")
    except InvalidIdError:
        raise NotFound("id", global_id, "connector") from None


def _manager(info: Info) -> Caller:
    """The caller, refused (``Forbidden``) before anything else unless it manages connectors."""
    caller = Caller.of(info.context)
    caller.require(Permission.CONNECTORS_MANAGE, "manage connectors")
    return caller


async def _run(info: Info, result: object, make: Any, wrap: Any) -> Any:
    """``run`` (typed errors for service failures), plus ``ConnectorFailure``."""

    async def action() -> Any:
        return await make()

    try:
        return await run(info, result, action(), wrap)
    except service.ConnectorFailed as failed:
        return ConnectorFailure(message=failed.message, kind=failed.kind)


def _applied(applied: service.AppliedConnector) -> ConnectorPayload:
    change = ConnectorChange(str(applied.outcome))
    return ConnectorPayload(connector=cast(Connector, applied.row), change=change)


def _check(result: CheckResult) -> ConnectorCheck:
    return ConnectorCheck(ok=result.ok, failed=result.failed, message=result.message)


def _endpoints(found: list[EndpointInfo]) -> ConnectorEndpoints:
    return ConnectorEndpoints(
        endpoints=[
            Endpoint(
                name=e.name,
                kind=e.kind,
                description=e.description,
                fields=[
                    EndpointField(name=f.name, type=f.type, required=f.required) for f in e.fields
                ],
            )
            for e in found
        ]
    )


def _preview(found: service.StreamPreview) -> StreamPreview:
    return StreamPreview(
        records=[cast(JSON, record) for record in found.records],
        rejected=[RejectedRecord(index=i, reason=r) for i, r in found.rejected],
        raw_count=found.raw_count,
    )


@strawberry.type
class ConnectorQuery:
    @strawberry.field(
        description="Every stored connector, by name.", permission_classes=CONNECTOR_MANAGERS
    )
    async def connectors(self, info: Info) -> list[Connector]:
        ctx = info.context
        rows = await service.list_connectors(ctx.hub, Caller.of(ctx))
        return cast(list[Connector], rows)

    @strawberry.field(description="One stored connector.", permission_classes=CONNECTOR_MANAGERS)
    async def connector(self, info: Info, id: strawberry.ID) -> Connector | None:
        ctx = info.context
        try:
            pk = decode_typed_id(id, "Connector")
        except InvalidIdError:
            return None
        return cast(Connector | None, await service.get_connector(ctx.hub, Caller.of(ctx), pk))


@strawberry.type
class ConnectorMutation:
    @strawberry.mutation(
        description="Create or update a connector by name (needs CONNECTORS_MANAGE)."
    )
    async def apply_connector(self, info: Info, input: ApplyConnectorInput) -> ApplyConnectorResult:
        ctx = info.context

        def make() -> Awaitable[service.AppliedConnector]:
            return service.apply_connector(ctx.hub, Caller.of(ctx), input.config)

        return cast(ApplyConnectorResult, await _run(info, ApplyConnectorResult, make, _applied))

    @strawberry.mutation(description="Delete a connector and its sealed secrets.")
    async def delete_connector(self, info: Info, id: strawberry.ID) -> DeleteConnectorResult:
        ctx = info.context

        async def make() -> str:
            return await service.delete_connector(ctx.hub, _manager(info), _pk(id), id)

        def wrap(name: str) -> DeletedConnector:
            return DeletedConnector(id=id, name=name)

        return cast(DeleteConnectorResult, await _run(info, DeleteConnectorResult, make, wrap))

    @strawberry.mutation(description="Build the connector and check the remote and credentials.")
    async def test_connector(self, info: Info, id: strawberry.ID) -> TestConnectorResult:
        ctx = info.context

        async def make() -> CheckResult:
            return await service.check_connector(ctx.hub, _manager(info), _pk(id), id)

        return cast(TestConnectorResult, await _run(info, TestConnectorResult, make, _check))

    @strawberry.mutation(description="The streams and operations the remote offers.")
    async def discover_connector(self, info: Info, id: strawberry.ID) -> DiscoverConnectorResult:
        ctx = info.context

        async def make() -> list[EndpointInfo]:
            return await service.discover_connector(ctx.hub, _manager(info), _pk(id), id)

        return cast(
            DiscoverConnectorResult, await _run(info, DiscoverConnectorResult, make, _endpoints)
        )

    @strawberry.mutation(description="Read and map a stream's first page; nothing is written.")
    async def preview_stream(
        self, info: Info, id: strawberry.ID, stream: str
    ) -> PreviewStreamResult:
        ctx = info.context

        async def make() -> service.StreamPreview:
            return await service.preview_stream(ctx.hub, _manager(info), _pk(id), id, stream)

        return cast(PreviewStreamResult, await _run(info, PreviewStreamResult, make, _preview))
