"""Live fields in the graph: the ``LiveValue`` type and the resolvers hub types share.

A hub type with live fields (Partner, Order, Product) offers ``live(field: String!)`` and
``liveFields``; both go through the request's live loader (``resolvers.live``), so many
parents cost one remote call per live stream and nesting level. A remote failure is never an
error: the value comes back ``stale`` with its ``fetchedAt`` and a classified ``error``. Only
a field name no connector declares is an error, on that field alone.
Scoping is the parent's: a live field hangs under a row the viewer could already see, and
the keys and last known values are read through the same scope.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from resolvers.live import LiveErrorKind, LiveFields, UnknownLiveField
from schema.context import Info
from schema.errors import ClientError

__all__ = [
    "LIVE_FIELDS_HELP",
    "LIVE_FIELD_HELP",
    "LiveEntity",
    "LiveFieldDefinition",
    "LiveFieldError",
    "LiveValue",
    "live_field_definitions",
    "live_value",
    "live_values",
]

LIVE_FIELD_HELP = (
    "A live field read from the ERP now (names: liveFieldDefinitions); stale with the last "
    "known value when the ERP fails. An unknown name is an error on this field only."
)
LIVE_FIELDS_HELP = "Every live field of this row, by name."

strawberry.enum(
    LiveErrorKind,
    description=(
        "Why a live field has no fresh value: TRANSIENT (unreachable or a server error), "
        "TIMEOUT, CONFIG (connector misconfigured or credentials rejected), PERMANENT "
        "(request refused or an unexpected answer), RECORD (the answered record did not map), "
        "NOT_LINKED (the row has no key at the connector), SYSTEM (unexpected)."
    ),
)


@strawberry.enum(description="Hub types that can have live fields.")
class LiveEntity(Enum):
    PARTNER = "partner"
    ORDER = "order"
    PRODUCT = "product"


@strawberry.type(description="Why a live value is missing or stale; the message shows no secret.")
class LiveFieldError:
    kind: LiveErrorKind
    message: str


@strawberry.type(
    description=(
        "A value read from an ERP at query time (a connector stream declared live). When the "
        "ERP fails or is slow, the last known value comes back with stale: true and its "
        "fetchedAt, or values: null when none is known, with the error; never a query error."
    )
)
class LiveValue:
    field: str = strawberry.field(description="The live field's name, e.g. creditBalance.")
    connector: str | None = strawberry.field(description="The connector that answers it.")
    stream: str | None = strawberry.field(description="The connector's live stream.")
    values: JSON | None = strawberry.field(
        description="The value object (decimals as exact text, dates ISO 8601); null: none."
    )
    fetched_at: datetime | None = strawberry.field(description="When the ERP answered it (UTC).")
    stale: bool = strawberry.field(description="True when the ERP could not answer it now.")
    error: LiveFieldError | None = strawberry.field(description="Why it is missing or stale.")


def _live(info: Info) -> LiveFields:
    found = info.context.loaders.live
    if found is None:
        raise ClientError("live fields are not available in this process")
    return found


async def live_value(info: Info, entity: str, row_id: int, field: str) -> LiveValue:
    """The live field ``field`` of one row (``BAD_USER_INPUT`` for an unknown name)."""
    try:
        found: Any = await _live(info).value(entity, field, row_id)
    except UnknownLiveField as unknown:
        raise ClientError(str(unknown)) from None
    return cast(LiveValue, found)


async def live_values(info: Info, entity: str, row_id: int) -> list[LiveValue]:
    """Every live field of one row, by name."""
    found: Any = await _live(info).values(entity, row_id)
    return cast(list[LiveValue], found)


@strawberry.type(description="A live field a stored connector declares on a hub type.")
class LiveFieldDefinition:
    entity: LiveEntity
    field: str = strawberry.field(description="The name to pass to live(field: ...).")
    connector: str
    stream: str
    ttl_seconds: float = strawberry.field(description="How long an answer is reused.")
    timeout_seconds: float = strawberry.field(description="How long the ERP may take.")


async def live_field_definitions(
    info: Info, entity: LiveEntity | None
) -> list[LiveFieldDefinition]:
    """The live fields of ``entity`` (of every type when None), by type and name."""
    sources = await _live(info).sources(None if entity is None else str(entity.value))
    return [
        LiveFieldDefinition(
            entity=LiveEntity(source.live.entity),
            field=source.live.field,
            connector=source.connector,
            stream=source.stream,
            ttl_seconds=source.live.ttl_seconds,
            timeout_seconds=source.live.timeout_seconds,
        )
        for source in sources
    ]
