"""Writes of stock levels: one atomic upsert per (location, product) pair (INSERT … ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import StockLevel

NEW_LEVEL: Mapping[str, Any] = {"on_hand": 0, "reserved": 0, "in_transit": 0, "min_quantity": None}


class StockWrites:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self, location_id: int, product_id: int, values: Mapping[str, Any], now: datetime
    ) -> StockLevel:
        """Set ``values`` on the level of ``product_id`` at ``location_id``, creating it if new.

        Columns not in ``values`` keep their value (or start from ``NEW_LEVEL``). Two concurrent
        upserts of the same pair both succeed, the later one winning, instead of one failing on
        the unique constraint.
        """
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        changes = {**values, "updated_at": now}
        stmt = (
            insert(StockLevel)
            .values(location_id=location_id, product_id=product_id, **{**NEW_LEVEL, **changes})
            .on_conflict_do_update(
                index_elements=[StockLevel.location_id, StockLevel.product_id], set_=changes
            )
            .returning(StockLevel)
        )
        result = await self.session.scalars(stmt, execution_options={"populate_existing": True})
        return result.one()
