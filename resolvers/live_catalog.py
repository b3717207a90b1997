"""Which live fields exist: the live streams of every stored connector, by hub type and name.

Read from the stored configs' public part (``connectors.config_json``: no secret is opened).
``LiveCatalog.load`` costs one small query (connector names and config hashes) and parses the
configs again only when one of them changed, so ``channelhub connectors apply`` shows at the
next request. A stored config that no longer validates is left out (and logged by name).
Two connectors declaring the same field on the same type are both kept: the field then
answers a config error naming them, never one of them at random.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.config import config_from_data
from connectors.errors import ConfigError
from connectors.live_config import LiveField
from store.models.connector import ConnectorRow

__all__ = ["Catalog", "LiveCatalog", "LiveSource"]

log = logging.getLogger("channelhub.live")


@dataclass(frozen=True)
class LiveSource:
    """A live field's origin: the connector, its stream and the stream's live block."""

    connector: str
    stream: str
    live: LiveField

    @property
    def ident(self) -> tuple[str, str]:
        return self.connector, self.stream


Catalog = dict[tuple[str, str], tuple[LiveSource, ...]]
"""(entity, field) → the sources declaring it (more than one: ambiguous)."""


class LiveCatalog:
    """The live fields of the stored connectors, re-read when a stored config changes."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._stamp: tuple[tuple[str, str], ...] | None = None
        self._catalog: Catalog = {}

    async def load(self) -> Catalog:
        stmt = select(ConnectorRow.name, ConnectorRow.config_hash).order_by(ConnectorRow.name)
        async with self.sessions() as session:
            stamp = tuple((str(n), str(h)) for n, h in await session.execute(stmt))
        if stamp == self._stamp:
            return self._catalog
        async with self.sessions() as session:
            rows = (
                await session.execute(select(ConnectorRow.name, ConnectorRow.config_json))
            ).all()
        catalog: dict[tuple[str, str], list[LiveSource]] = {}
        for name, text in sorted(rows):
            try:
                config = config_from_data(json.loads(text), source=f"stored connector {name!r}")
            except (ConfigError, ValueError):
                log.warning("live fields: the stored connector %r does not validate; skipped", name)
                continue
            for stream in config.streams:
                if stream.live is not None:
                    field = (stream.live.entity, stream.live.field)
                    catalog.setdefault(field, []).append(LiveSource(name, stream.name, stream.live))
        # the stamp read first: a change in between is seen (and re-read) on the next load
        self._stamp, self._catalog = stamp, {k: tuple(v) for k, v in catalog.items()}
        return self._catalog
