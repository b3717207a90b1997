"""The key service: data keys stored wrapped in ``data_keys``, unwrapped through the KEK.

- ``active_key(session, purpose)``: the ACTIVE key of a purpose, created on first use inside
  the caller's transaction (``INSERT … ON CONFLICT DO NOTHING`` on the one-active-per-purpose
  index, so concurrent first uses agree on one key without savepoints).
- ``load(key_ids)``: keys for decryption. The state is always read from the database (a
  key shredded by another process is refused at once); the KEK unwrap is cached.
- ``named_secret(name)``: 32-byte secrets (``blind-index``, ``audit``, ``connector-hash``)
  kept as data keys, created once, race-safe; never rotated by ``rotate`` (that would orphan
  every index, audit MAC and connector config hash).
- lifecycle (``security.key_lifecycle``): rotate, retire, rewrap under a new KEK, destroy.

Each key is wrapped with the context ``{"purpose": ..., "key_id": ...}``, so a wrapped key
moved to another row does not unwrap. Errors are ``security.errors``; none carries key
material, wrapped bytes or plaintext, and nothing here logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from security.errors import CryptoError, IntegrityError, KeyManagementError, KeyUnavailableError
from security.kek import AwsKmsKek, KekProvider, LocalKeyring
from security.keys import (
    DataKey,
    KeyCache,
    KeyState,
    UnwrappedKey,
    new_data_key_material,
    require_decrypt,
)
from settings import Settings
from store.models.keys import DataKeyRow

__all__ = ["NAMED_SECRETS", "KeyService", "LoadedKeys", "kek_from_settings", "wrap_context"]

NAMED_SECRETS = frozenset({"blind-index", "audit", "connector-hash"})

KekSource = KekProvider | Callable[[], KekProvider]


def wrap_context(purpose: str, key_id: int) -> dict[str, str]:
    return {"purpose": purpose, "key_id": str(key_id)}


def _now() -> datetime:
    return datetime.now(UTC)


def as_data_key(row: DataKeyRow) -> DataKey:
    return DataKey(row.id, row.purpose, row.state, row.wrapped, row.kek_id, row.created_at)


@dataclass
class LoadedKeys:
    """Keys loaded for one batch of decryptions; ``require`` raises the key's own problem."""

    material: dict[int, tuple[str, bytes]] = field(default_factory=dict, repr=False)
    problems: dict[int, CryptoError] = field(default_factory=dict)

    def require(self, key_id: int, purpose: str | None = None) -> bytes:
        """The material of ``key_id``; with ``purpose``, only if the key serves that purpose."""
        if key_id in self.problems:
            raise self.problems[key_id]
        try:
            key_purpose, material = self.material[key_id]
        except KeyError:
            raise KeyUnavailableError(f"data key {key_id} does not exist") from None
        if purpose is not None and key_purpose != purpose:
            raise IntegrityError(f"data key {key_id} does not belong to {purpose}")
        return material


class KeyService:
    """Data keys of one process: wrapped in the database, unwrapped material in a cache."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kek: KekSource,
        cache: KeyCache | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sessions = sessions
        self._kek_source = kek
        self._kek: KekProvider | None = None
        self.cache = cache if cache is not None else KeyCache()
        self.clock = clock
        self._secrets: dict[str, bytes] = {}
        self._secret_locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"KeyService(cache={self.cache!r})"

    @property
    def kek(self) -> KekProvider:
        """The KEK provider, built on first use (a local keyring file is created then)."""
        if self._kek is None:
            source = self._kek_source
            self._kek = source() if callable(source) else source
        return self._kek

    def use_kek(self, kek: KekProvider) -> None:
        self._kek = kek

    # -- wrapping ------------------------------------------------------------------------
    def wrap(self, material: bytes, purpose: str, key_id: int) -> bytes:
        return self.kek.wrap(material, context=wrap_context(purpose, key_id))

    def unwrap(self, row: DataKeyRow) -> bytes:
        """The row's material, from the cache or through the KEK (then cached)."""
        cached = self.cache.get(row.id)
        if cached is not None:
            return cached
        material = self.kek.unwrap(row.wrapped, context=wrap_context(row.purpose, row.id))
        self.cache.put(row.id, material)
        return material

    # -- encryption keys -----------------------------------------------------------------
    async def active_key(self, session: AsyncSession, purpose: str) -> UnwrappedKey:
        """The ACTIVE key of ``purpose``, created in ``session``'s transaction if missing."""
        row = await self._active_row(session, purpose)
        if row is not None:
            return UnwrappedKey(row.id, await asyncio.to_thread(self.unwrap, row))
        material = new_data_key_material()
        key_id = await self.insert_active(session, purpose)
        if key_id is None:  # a concurrent transaction created it first: use theirs
            row = await self._active_row(session, purpose)
            if row is None:
                raise KeyManagementError(f"no active data key for {purpose} after a conflict")
            return UnwrappedKey(row.id, await asyncio.to_thread(self.unwrap, row))
        wrapped = await asyncio.to_thread(self.wrap, material, purpose, key_id)
        await session.execute(
            update(DataKeyRow).where(DataKeyRow.id == key_id).values(wrapped=wrapped)
        )
        # Not cached: the caller's transaction may still roll back, and SQLite can hand the
        # same id to another key afterwards. Cached material always comes from a stored row.
        return UnwrappedKey(key_id, material)

    async def active_keys(self, purposes: Iterable[str]) -> dict[str, UnwrappedKey]:
        """The ACTIVE key of each purpose (own transactions; missing ones are created)."""
        wanted = sorted(set(purposes))
        rows: list[DataKeyRow] = []
        async with self.sessions() as session:
            for first in range(0, len(wanted), 500):
                chunk = wanted[first : first + 500]
                rows += await session.scalars(
                    select(DataKeyRow).where(
                        DataKeyRow.purpose.in_(chunk), DataKeyRow.state == KeyState.ACTIVE
                    )
                )
        found = await asyncio.to_thread(
            lambda: {row.purpose: UnwrappedKey(row.id, self.unwrap(row)) for row in rows}
        )
        for purpose in wanted:
            if purpose not in found:
                async with self.sessions.begin() as session:
                    found[purpose] = await self.active_key(session, purpose)
        return found

    async def ids_in_state(self, state: KeyState) -> list[int]:
        async with self.sessions() as session:
            stmt = select(DataKeyRow.id).where(DataKeyRow.state == state).order_by(DataKeyRow.id)
            return list(await session.scalars(stmt))

    async def _active_row(self, session: AsyncSession, purpose: str) -> DataKeyRow | None:
        stmt = select(DataKeyRow).where(
            DataKeyRow.purpose == purpose, DataKeyRow.state == KeyState.ACTIVE
        )
        return (await session.scalars(stmt)).first()

    async def insert_active(self, session: AsyncSession, purpose: str) -> int | None:
        """Insert an ACTIVE key row (wrapped bytes filled in next); None if one exists."""
        now = self.clock()
        values: dict[str, Any] = {
            "purpose": purpose,
            "state": KeyState.ACTIVE,
            "wrapped": b"",
            "kek_id": self.kek.kek_id,
            "created_at": now,
            "state_changed_at": now,
        }
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(DataKeyRow)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[DataKeyRow.purpose], index_where=text("state = 'active'")
            )
            .returning(DataKeyRow.id)
        )
        return (await session.execute(stmt)).scalar_one_or_none()

    # -- decryption keys -----------------------------------------------------------------
    async def load(self, key_ids: Iterable[int], *, for_reencryption: bool = False) -> LoadedKeys:
        """The keys ``key_ids`` for decryption, each with its problem if it cannot decrypt."""
        wanted = sorted(set(key_ids))
        loaded = LoadedKeys()
        if not wanted:
            return loaded
        async with self.sessions() as session:
            rows = list(await session.scalars(select(DataKeyRow).where(DataKeyRow.id.in_(wanted))))

        def unwrap_all() -> None:
            for row in rows:
                try:
                    if row.state is KeyState.DESTROYED:
                        self.cache.mark_destroyed(row.id)
                    require_decrypt(as_data_key(row), for_reencryption=for_reencryption)
                    loaded.material[row.id] = (row.purpose, self.unwrap(row))
                except CryptoError as problem:
                    loaded.problems[row.id] = problem
                except KeyManagementError:
                    loaded.problems[row.id] = KeyUnavailableError(
                        f"data key {row.id} could not be unwrapped by the KEK"
                    )

        await asyncio.to_thread(unwrap_all)
        return loaded

    async def states(self, key_ids: Iterable[int]) -> dict[int, KeyState]:
        wanted = sorted(set(key_ids))
        if not wanted:
            return {}
        async with self.sessions() as session:
            rows = await session.execute(
                select(DataKeyRow.id, DataKeyRow.state).where(DataKeyRow.id.in_(wanted))
            )
            return {key_id: state for key_id, state in rows}

    # -- named secrets -------------------------------------------------------------------
    async def named_secret(self, name: str) -> bytes:
        """The 32-byte secret ``name``, created on first use; safe under concurrency.

        Opens its own transactions: never call it while holding a write transaction on
        SQLite (the second writer would wait for the first). Cached for the process.
        """
        if name not in NAMED_SECRETS:
            raise KeyManagementError(f"unknown named secret {name!r}")
        if (secret := self._secrets.get(name)) is not None:
            return secret
        lock = self._secret_locks.setdefault(name, asyncio.Lock())
        async with lock:
            if (secret := self._secrets.get(name)) is None:
                secret = await self._load_or_create_secret(name)
                self._secrets[name] = secret
        return secret

    async def _load_or_create_secret(self, name: str) -> bytes:
        async with self.sessions() as session:
            row = await self._active_row(session, name)
        if row is None:
            material = new_data_key_material()
            async with self.sessions.begin() as session:
                key_id = await self.insert_active(session, name)  # first statement: a write
                if key_id is not None:
                    wrapped = await asyncio.to_thread(self.wrap, material, name, key_id)
                    await session.execute(
                        update(DataKeyRow).where(DataKeyRow.id == key_id).values(wrapped=wrapped)
                    )
            if key_id is not None:
                self.cache.put(key_id, material)
                return material
            async with self.sessions() as session:
                row = await self._active_row(session, name)
            if row is None:
                raise KeyManagementError(f"named secret {name!r} vanished after a conflict")
        return await asyncio.to_thread(self.unwrap, row)

    def forget_secrets(self) -> None:
        self._secrets.clear()


def kek_from_settings(settings: Settings) -> KekProvider:
    """The configured KEK provider: the local keyring file (default) or AWS KMS."""
    if settings.kek_provider == "aws-kms":
        if not settings.aws_kms_key_id or not settings.aws_region:
            raise KeyManagementError(
                "kek_provider aws-kms needs CHANNELHUB_AWS_KMS_KEY_ID and CHANNELHUB_AWS_REGION"
            )
        return AwsKmsKek(settings.aws_kms_key_id, settings.aws_region)
    return LocalKeyring(settings.resolved_keyring_file)
