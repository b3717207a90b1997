"""Live fields in the store: the keys hub rows are asked by, and their last known values.

``keys`` answers, in one statement, the id each visible row is known by at a connector: its
external id (``external_refs``, not marked deleted remotely) or its natural key (a partner's
``code``, an order's ``number``, a product's ``sku``). ``last_known`` reads the values a live
field answered before (``live_values``), for the visible rows only; ``save`` upserts fresh
values, never replacing a value with an older one (two requests may race). Every read takes
the viewer's scope through the entity's own repository predicate. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Order, Partner, Product
from store.models.external import ExternalRef
from store.models.live import LiveValue
from store.repositories.orders import OrderRepository
from store.repositories.partners import PartnerRepository
from store.repositories.products import ProductRepository
from store.scope import Scope

__all__ = ["KnownValue", "LiveValueRepository"]

_MODELS: dict[str, tuple[Any, Any]] = {
    "partner": (Partner, Partner.code),
    "order": (Order, Order.number),
    "product": (Product, Product.sku),
}
_SAVE_CHUNK = 500


@dataclass(frozen=True)
class KnownValue:
    """A live value object (JSON-safe) and when it was fetched (UTC)."""

    values: dict[str, Any]
    fetched_at: datetime


class LiveValueRepository:
    """Keys and last known live values of the rows ``scope`` may see, in one session."""

    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def _visible(self, entity: str) -> tuple[Any, ColumnElement[bool]]:
        model, _ = _MODELS[entity]
        if entity == "partner":
            return model, PartnerRepository(self.session, self.scope).visible()
        if entity == "order":
            return model, OrderRepository(self.session, self.scope).visible()
        return model, ProductRepository(self.session, self.scope).visible()

    async def keys(
        self, *, connector: str, entity: str, key: str, ids: Iterable[int]
    ) -> dict[int, str]:
        """Row id → the key it is asked by (``key``: ``external_id`` or the natural key)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        model, visible = self._visible(entity)
        if key == "external_id":
            stmt = (
                select(ExternalRef.entity_id, ExternalRef.external_id)
                .join(model, model.id == ExternalRef.entity_id)
                .where(
                    ExternalRef.connector == connector,
                    ExternalRef.entity == entity,
                    ExternalRef.entity_id.in_(wanted),
                    ExternalRef.deleted_remotely_at.is_(None),
                    visible,
                )
            )
        else:
            stmt = select(model.id, _MODELS[entity][1]).where(model.id.in_(wanted), visible)
        return {int(pk): str(value) for pk, value in await self.session.execute(stmt)}

    async def last_known(
        self, *, connector: str, stream: str, entity: str, ids: Iterable[int]
    ) -> dict[int, KnownValue]:
        """Row id → the value last fetched for it through ``connector``/``stream``."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        model, visible = self._visible(entity)
        stmt = (
            select(LiveValue.entity_id, LiveValue.value_json, LiveValue.fetched_at)
            .join(model, model.id == LiveValue.entity_id)
            .where(
                LiveValue.connector == connector,
                LiveValue.stream == stream,
                LiveValue.entity == entity,
                LiveValue.entity_id.in_(wanted),
                visible,
            )
        )
        found: dict[int, KnownValue] = {}
        for pk, text, fetched_at in await self.session.execute(stmt):
            found[int(pk)] = KnownValue(json.loads(text), fetched_at)
        return found

    async def save(
        self, *, connector: str, stream: str, entity: str, values: Mapping[int, KnownValue]
    ) -> None:
        """Upsert each row's value; an older ``fetched_at`` never replaces a newer one."""
        rows = [
            {
                "connector": connector,
                "stream": stream,
                "entity": entity,
                "entity_id": pk,
                "value_json": json.dumps(known.values, sort_keys=True, separators=(",", ":")),
                "fetched_at": known.fetched_at,
            }
            for pk, known in sorted(values.items())
        ]
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for start in range(0, len(rows), _SAVE_CHUNK):
            stmt = insert(LiveValue).values(rows[start : start + _SAVE_CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["connector", "stream", "entity", "entity_id"],
                set_={
                    "value_json": stmt.excluded.value_json,
                    "fetched_at": stmt.excluded.fetched_at,
                },
                where=LiveValue.fetched_at <= stmt.excluded.fetched_at,
            )
            await self.session.execute(stmt)
