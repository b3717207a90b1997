"""The per-request context: settings, session factory, the viewer's scope, DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info as _Info

from resolvers.loaders import Loaders
from settings import Settings
from store.scope import Scope


@dataclass
class Context:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    scope: Scope
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.sessions, self.scope)


Info = _Info[Context, None]
