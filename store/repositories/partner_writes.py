"""Writes of partners: insert, change, the parent chain (to refuse cycles), timeline events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain.enums import CooperationEventKind
from store.models import CooperationEvent, Partner
from store.repositories.common_writes import RowWrites

MAX_DEPTH = 64
"""A parent chain longer than this is treated as a cycle (it cannot be a real hierarchy)."""


class PartnerWrites(RowWrites[Partner]):
    model = Partner

    async def chain_reaches(self, start_id: int, target_id: int) -> bool:
        """True if walking up the parents from ``start_id`` (inclusive) meets ``target_id``."""
        current: int | None = start_id
        for _ in range(MAX_DEPTH):
            if current is None:
                return False
            if current == target_id:
                return True
            current = await self.session.scalar(
                select(Partner.parent_id).where(Partner.id == current)
            )
        return True

    async def record_event(
        self, partner_id: int, kind: CooperationEventKind, text: str, at: datetime
    ) -> None:
        event = CooperationEvent(partner_id=partner_id, kind=kind, text=text, occurred_at=at)
        self.session.add(event)
        await self.session.flush()
