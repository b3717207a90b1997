"""The security auditor's view of encryption: values per data key, and the keys themselves.

Counts come from ``store.repositories.encrypted_fields.values_per_key`` (the ciphertext
headers, grouped in SQL: no key, no plaintext, no decryption), the same numbers
``channelhub keys status`` prints. Data keys are read without their wrapped bytes.

Only for viewers that may read the audit trail (``audit:read``); for anyone else every
count is empty and no key is listed. Nothing here writes or commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from security.fields import EncryptedColumn
from security.keys import KeyState
from security.viewer import Permission, Viewer
from store.models import DataKeyRow
from store.pagination import INT, Page, SortKey, Window, fetch_page
from store.repositories.encrypted_fields import ColumnUsage, values_per_key

BY_ID = SortKey("ID_ASC", DataKeyRow.id, parse=INT)


class KeyReportRepository:
    def __init__(self, session: AsyncSession, viewer: Viewer | None) -> None:
        self.session = session
        self.allowed = viewer is not None and viewer.can(Permission.AUDIT_READ)

    def _visible(self) -> ColumnElement[bool]:
        return true() if self.allowed else false()

    async def usage(self, column: EncryptedColumn) -> ColumnUsage:
        """Values of ``column`` per data key, empty rows, values that are not ciphertext."""
        if not self.allowed:
            return ColumnUsage(by_key={}, empty=0, not_ciphertext=0)
        return await values_per_key(self.session, column)

    async def rows_using(
        self, columns: Sequence[EncryptedColumn], key_ids: Iterable[int]
    ) -> Counter[int]:
        """How many stored values each of ``key_ids`` sealed, over ``columns``."""
        wanted = set(key_ids)
        used: Counter[int] = Counter()
        if not wanted:
            return used
        for column in columns:
            usage = await self.usage(column)
            used.update({k: n for k, n in usage.by_key.items() if k in wanted})
        return used

    async def keys(self, window: Window, state: KeyState | None = None) -> Page[DataKeyRow]:
        """One page of data keys, oldest first; their wrapped bytes are never loaded."""
        stmt = (
            select(DataKeyRow)
            .options(defer(DataKeyRow.wrapped, raiseload=True))
            .where(self._visible())
        )
        if state is not None:
            stmt = stmt.where(DataKeyRow.state == state)
        return await fetch_page(self.session, stmt, BY_ID, DataKeyRow.id, window)

    async def count_keys(self, state: KeyState | None = None) -> int:
        stmt = select(func.count()).select_from(DataKeyRow).where(self._visible())
        if state is not None:
            stmt = stmt.where(DataKeyRow.state == state)
        return int(await self.session.scalar(stmt) or 0)
