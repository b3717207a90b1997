"""The per-request context: settings, sessions, the viewer and its scope, services, loaders.

``viewer`` is None for a request without credentials; its scope is then empty, so no channel
row is visible. Services shared by the process (audit trail, keys) hang off ``hub``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info as _Info

from resolvers.loaders import Loaders
from security.viewer import Viewer
from settings import Settings
from store.scope import Scope


@dataclass
class Context:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    scope: Scope
    viewer: Viewer | None = None
    hub: Any = None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.sessions, self.scope, live=getattr(self.hub, "live", None))

    def set_viewer(self, viewer: Viewer | None) -> None:
        """Become ``viewer``'s context (a WebSocket authenticates after its context exists)."""
        self.viewer = viewer
        self.scope = Scope.for_viewer(viewer)
        self.loaders = Loaders(self.sessions, self.scope, live=getattr(self.hub, "live", None))


Info = _Info[Context, None]
