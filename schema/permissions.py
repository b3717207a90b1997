"""Who may call the root channel fields: a known viewer (else ``UNAUTHENTICATED``) that may
read the channel (else ``FORBIDDEN``).

This is the front door only: what a permitted viewer then sees is decided by its scope in
every repository read, so nested fields, connections and ``node`` need no checks of their
own. ``__typename`` and introspection carry no permission classes and stay open.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from schema.context import Info
from security.viewer import Permission

strawberry.enum(Permission, description="What a role or an API key may do, e.g. CHANNEL_READ.")


class IsAuthenticated(BasePermission):
    message = "authentication required: send Authorization: Bearer <token or API key>"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer is not None


class CanReadChannel(BasePermission):
    message = "your role may not read channel data"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.can(Permission.CHANNEL_READ)


__all__ = ["CHANNEL_READERS", "CanReadChannel", "IsAuthenticated", "Permission"]

CHANNEL_READERS: list[type[BasePermission]] = [IsAuthenticated, CanReadChannel]
"""The permission classes of every root field that reads channel data."""
