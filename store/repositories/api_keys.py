"""API key rows: insert, find by prefix, revoke, note use. Never sees a key's secret.

Keys are not channel data: only callers allowed to manage keys reach the writes (checked by
the mutation services), and authentication finds a key by its public prefix.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ApiKey

TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, not on every request."""


@dataclass(frozen=True)
class NewApiKey:
    name: str
    prefix: str
    secret_hash: str
    grants: Sequence[str]
    partner_id: int | None
    region_ids: Sequence[int]
    created_by: str


def grants_of(key: ApiKey) -> list[str]:
    return [str(g) for g in json.loads(key.grants or "[]")]


def region_ids_of(key: ApiKey) -> tuple[int, ...]:
    return tuple(int(r) for r in json.loads(key.region_ids or "[]"))


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, new: NewApiKey, now: datetime) -> ApiKey:
        key = ApiKey(
            name=new.name,
            prefix=new.prefix,
            secret_hash=new.secret_hash,
            grants=json.dumps(sorted(set(new.grants))),
            partner_id=new.partner_id,
            region_ids=json.dumps(sorted(set(new.region_ids))),
            created_at=now,
            created_by=new.created_by,
        )
        self.session.add(key)
        await self.session.flush()
        return key

    async def by_prefix(self, prefix: str) -> ApiKey | None:
        return (await self.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix))).first()

    async def get(self, key_id: int) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def revoke(self, key_id: int, now: datetime) -> ApiKey | None:
        """Mark the key revoked (keeping the first revocation time); None if there is none."""
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        stmt = select(ApiKey).where(ApiKey.id == key_id).execution_options(populate_existing=True)
        return (await self.session.scalars(stmt)).first()

    async def touch(self, key: ApiKey, now: datetime) -> None:
        """Note that ``key`` was used, unless that was noted less than a minute ago."""
        if key.last_used_at is not None and key.last_used_at >= now - TOUCH_INTERVAL:
            return
        await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key.id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - TOUCH_INTERVAL),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
