"""Equality lookups on encrypted fields (``partners(filter: {taxId: "…"})``).

The blind index finds candidates in SQL; a truncated index also matches other values (false
positives), so the candidates are decrypted and compared, and only true matches remain.

Pagination: the false positives must go *before* a page is cut, or pages would come out
short, ``totalCount`` would count rows that do not match, and cursors would point at them.
So the lookup runs first: one query reads every visible candidate (all the other filters plus
the blind-index equalities, no window), the candidates are decrypted and compared, and the
page and the count are then read with ``ids = the true matches``. An equality lookup's
candidate set is small (its matches plus about rows / 2^bits others), so reading it whole is
cheap. A candidate that cannot be decrypted (shredded, tampered) is not a match.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from security.field_crypto import FieldCrypto
from security.fields import EncryptedColumn
from store.repositories.partners import PartnerFilter, PartnerRepository
from store.scope import Scope

__all__ = ["narrow_to_matches"]


async def narrow_to_matches(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    crypto: FieldCrypto,
    filter_: PartnerFilter,
    wanted: Mapping[EncryptedColumn, str],
) -> PartnerFilter:
    """``filter_`` restricted to the partners whose encrypted fields equal ``wanted``."""
    if not wanted:
        return filter_
    await crypto.prepare()
    indexes = tuple((column, crypto.index(column, value)) for column, value in wanted.items())
    candidate_filter = dataclasses.replace(filter_, blind_indexes=indexes)
    async with sessions() as session:
        candidates = await PartnerRepository(session, scope).encrypted_candidates(candidate_filter)
    matched = set(row.id for row in candidates)
    for column, value in wanted.items():
        stored = [getattr(row, column.column) for row in candidates if row.id in matched]
        present = [v for v in stored if v.ciphertext is not None]
        opened = await crypto.open_many(present)
        matched = {
            v.row_id
            for v, plaintext in zip(present, opened, strict=True)
            if isinstance(plaintext, str) and column.same_value(plaintext, value)
        }
    return dataclasses.replace(candidate_filter, ids=tuple(sorted(matched)))
