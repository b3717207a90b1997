"""Connector configs from the store, rebuilt for building connectors (secrets opened).

The one place that joins a stored row's public config and its opened secrets back into a
validated config: sync jobs and ``channelhub connectors test/discover`` build connectors
from it. A ``StoredConfig`` is a ``connectors.config.ConnectorConfig`` of any kind: a
built-in or an installed plugin kind with a config model. Nothing here prints or logs a
config.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

from connectors.config import ConnectorConfig, config_from_data
from connectors.limits import RateLimiterFactory
from connectors.protocol import Connector
from connectors.registry import ConnectorFactory, ConnectorResources, build_connector
from connectors.secrets import join_secrets, split_secrets
from security.field_crypto import FieldCrypto
from store.repositories.connectors import ConnectorRepository, UpsertOutcome, prepare

__all__ = ["StoredConfig", "apply_configs", "stored_config", "with_connector"]

T = TypeVar("T")

StoredConfig = ConnectorConfig


async def apply_configs(
    crypto: FieldCrypto, configs: Sequence[StoredConfig]
) -> list[tuple[UpsertOutcome, str]]:
    """Create or update each config by name in one transaction; unchanged ones are not written."""
    hash_key = await prepare(crypto)
    outcomes: list[tuple[UpsertOutcome, str]] = []
    async with crypto.keys.sessions.begin() as session:
        repository = ConnectorRepository(session, crypto)
        for config in configs:
            public, secrets = split_secrets(config)
            outcome, _ = await repository.upsert(
                name=config.name,
                kind=config.kind,
                public=public,
                secrets=secrets,
                hash_key=hash_key,
            )
            outcomes.append((outcome, config.name))
    return outcomes


async def stored_config(crypto: FieldCrypto, name: str) -> StoredConfig | None:
    """The stored config ``name`` with its secrets opened, validated; None if there is none.

    Only for building a connector: never show what this returns.
    """
    async with crypto.keys.sessions() as session:
        repository = ConnectorRepository(session, crypto)
        row = await repository.get(name)
        if row is None:
            return None
        public = repository.public_config(row)
    secrets = await repository.open_secrets(row)
    return config_from_data(join_secrets(public, secrets), source=f"stored connector {name!r}")


async def with_connector(
    registry: dict[str, ConnectorFactory],
    cache_dir: Path,
    config: StoredConfig,
    work: Callable[[Connector], Awaitable[T]],
    *,
    limits: RateLimiterFactory | None = None,
) -> T:
    """Build the connector for ``config`` through ``registry`` and run ``work`` on it.

    The connector gets its own HTTP client (explicit timeouts) and is closed afterwards; it
    waits on ``limits`` (the caller's ``jobs.ratelimit.RateLimits``, which the caller closes),
    so a test or preview shares the limit of the syncs of the same connector.
    """
    timeout = httpx.Timeout(30.0, connect=5.0)
    async with httpx.AsyncClient(timeout=timeout) as http:
        resources = ConnectorResources(http=http, cache_dir=cache_dir, limits=limits)
        connector = build_connector(registry, config, resources)
        try:
            return await work(connector)
        finally:
            await connector.aclose()
