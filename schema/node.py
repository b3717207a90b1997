"""Global object ids and the Relay ``Node`` interface.

A global id is ``base64url("Type:pk")`` without padding: opaque to clients, cheap to
decode, and it names its type so ``node(id:)`` knows where to look and a field that wants a
``Partner`` id can refuse an ``Order`` id with a clear error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import strawberry

from schema.errors import InvalidIdError


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode_id(global_id: str) -> tuple[str, int]:
    """Split a global id into (type name, primary key); raise ``InvalidIdError`` if malformed."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        value = int(pk)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidIdError(f"invalid global id {global_id!r}") from None
    if not type_name or value < 1:
        raise InvalidIdError(f"invalid global id {global_id!r}")
    return type_name, value


def decode_typed_id(global_id: str, expected: str) -> int:
    """The primary key of ``global_id``, which must be an id of type ``expected``."""
    type_name, pk = decode_id(global_id)
    if type_name != expected:
        raise InvalidIdError(f"expected a {expected} id, got a {type_name} id")
    return pk


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    """Sources of node types are store rows whose class name is the GraphQL type name."""

    @strawberry.field(description="The global id of this object.")
    def id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return encode_id(type(root).__name__, root.id)
