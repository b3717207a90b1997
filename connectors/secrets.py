"""A connector config split into what may be shown and what must be sealed.

``split_secrets`` dumps a validated config to plain JSON data with every ``SecretStr`` value
replaced by ``SECRET_PLACEHOLDER`` and returns the secrets apart, keyed by JSON pointer
(``/connection/authenticator/password``); ``join_secrets`` puts them back. ``full_data`` is
the whole config as JSON data, secrets included (for a keyed hash, never for display).
Every kind's config is a pydantic model, so a plugin kind's ``SecretStr`` fields are split,
sealed and joined like the built-ins'. Pure: no I/O, no keys.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import BaseModel, SecretStr

if TYPE_CHECKING:
    from connectors.config import ConnectorConfig

__all__ = ["SECRET_PLACEHOLDER", "full_data", "join_secrets", "secret_values", "split_secrets"]

SECRET_PLACEHOLDER = "<secret>"  # noqa: S105 (a marker, not a secret)

Config: TypeAlias = "BaseModel | ConnectorConfig"
"""A validated config (of any kind: every one is a pydantic model)."""


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _plain(value: Any, pointer: str, secrets: dict[str, str] | None) -> Any:
    """``value`` as JSON data; secrets go to ``secrets`` (placeholder left) unless it is None."""
    if isinstance(value, SecretStr):
        if secrets is None:
            return value.get_secret_value()
        secrets[pointer] = value.get_secret_value()
        return SECRET_PLACEHOLDER
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python", by_alias=True)
    if isinstance(value, Mapping):
        return {
            str(k): _plain(v, f"{pointer}/{_escape(str(k))}", secrets) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v, f"{pointer}/{n}", secrets) for n, v in enumerate(value)]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def split_secrets(config: Config) -> tuple[dict[str, Any], dict[str, str]]:
    """The config as JSON data without secrets, and its secrets by JSON pointer."""
    secrets: dict[str, str] = {}
    public = _plain(config, "", secrets)
    return public, secrets


def full_data(config: Config) -> dict[str, Any]:
    """The whole config as JSON data, secrets included (hash it; never show it)."""
    data: dict[str, Any] = _plain(config, "", None)
    return data


def secret_values(config: Config) -> list[str]:
    """Every secret of ``config``, for scrubbing messages."""
    return list(split_secrets(config)[1].values())


def join_secrets(public: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, Any]:
    """``public`` with each secret put back at its JSON pointer (a new object)."""
    data: dict[str, Any] = _plain(dict(public), "", None)
    for pointer, secret in secrets.items():
        parts = [_unescape(p) for p in pointer.split("/")[1:]]
        if not parts:
            raise ValueError("a secret pointer must name a field")
        holder: Any = data
        for part in parts[:-1]:
            holder = holder[int(part)] if isinstance(holder, list) else holder[part]
        last = parts[-1]
        if isinstance(holder, list):
            holder[int(last)] = secret
        else:
            holder[last] = secret
    return data
