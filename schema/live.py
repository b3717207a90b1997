"""The root field that lists live fields: ``liveFieldDefinitions(entity)``.

Live fields are declared by connector configs (a stream's ``live`` block), so the graph's
shape does not change when one is added: ``live(field: ...)`` takes the name, and this field
says which names exist on which type, and where they come from. Any viewer who may read the
channel may list them (definitions only; the values follow each row's scope).
"""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.permissions import CHANNEL_READERS
from schema.types.live import LiveEntity, LiveFieldDefinition, live_field_definitions


@strawberry.type
class LiveQuery:
    @strawberry.field(
        description="The live fields the stored connectors declare (on one hub type, or all).",
        permission_classes=CHANNEL_READERS,
    )
    async def live_field_definitions(
        self, info: Info, entity: LiveEntity | None = None
    ) -> list[LiveFieldDefinition]:
        return await live_field_definitions(info, entity)
