"""The persisted-query allow-list: when configured, only the listed queries run.

The list is a JSON file ``{"<sha256 hex of the query text>": "<query text>", ...}`` named by
``Settings.persisted_queries_file`` and checked when the app starts (every key must be the
SHA-256 of its UTF-8 query text). A request then either sends the full query — its hash
must be on the list — or only the hash, Apollo's automatic-persisted-query shape
``"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "…"}}`` (in a POST body or
the GET ``extensions`` parameter), and the server runs the listed text. Anything else is
refused with ``PERSISTED_QUERY_NOT_ALLOWED`` (text not listed, or not matching the hash sent)
or ``PERSISTED_QUERY_NOT_FOUND`` (hash not listed, or malformed), and audited. Without a
list, full queries run as usual and a hash alone gets ``PERSISTED_QUERY_NOT_SUPPORTED``.

This extension must come first in the schema's list: it refuses by raising before the
operation starts, when no other extension has entered yet.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.refusals import audit_refusal, refusal

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueriesFileError(ValueError):
    """The allow-list file is missing, not JSON, or has an entry whose hash does not match."""


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_allow_list(path: Path) -> dict[str, str]:
    """The allow-list in ``path``, every entry checked; ``PersistedQueriesFileError`` if bad."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PersistedQueriesFileError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise PersistedQueriesFileError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(entries, dict):
        raise PersistedQueriesFileError(f"{path} must hold a JSON object {{sha256: query}}")
    allowed: dict[str, str] = {}
    for key, query in entries.items():
        if not isinstance(query, str) or not query.strip():
            raise PersistedQueriesFileError(f"{path}: the query of {key!r} is not a string")
        digest = key.lower()
        if not SHA256_HEX.fullmatch(digest) or digest != query_hash(query):
            raise PersistedQueriesFileError(
                f"{path}: {key!r} is not the sha256 of its query (expected {query_hash(query)})"
            )
        allowed[digest] = query
    return allowed


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | GraphQLError | None:
    """The sha256 a request names, None if it names none, or the refusal of a malformed one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    version = persisted.get("version") if isinstance(persisted, dict) else None
    if version != 1 or not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest.lower()):
        return refusal(
            "PERSISTED_QUERY_NOT_FOUND",
            "`extensions.persistedQuery` must be {version: 1, sha256Hash: <64 hex digits>}.",
        )
    return digest.lower()


def resolve(
    query: str | None, extensions: Mapping[str, Any] | None, allowed: Mapping[str, str] | None
) -> str | GraphQLError:
    """The query text to run, or the error refusing the request."""
    if allowed is None:
        if query:
            return query
        return GraphQLError(
            "Persisted queries are not enabled on this server; send the query text.",
            extensions={"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
        )
    requested = _requested_hash(extensions)
    if isinstance(requested, GraphQLError):
        return requested
    if query:
        digest = query_hash(query)
        if requested is not None and requested != digest:
            return refusal(
                "PERSISTED_QUERY_NOT_ALLOWED",
                "The query text does not match `extensions.persistedQuery.sha256Hash`.",
                value=requested,
            )
        if digest not in allowed:
            return refusal(
                "PERSISTED_QUERY_NOT_ALLOWED",
                "This server runs only persisted queries, and this query is not one of them.",
                value=digest,
            )
        return query
    if requested is None or requested not in allowed:
        return refusal(
            "PERSISTED_QUERY_NOT_FOUND",
            "No persisted query has this sha256 hash.",
            value=requested,
        )
    return allowed[requested]


class PersistedQueries(SchemaExtension):
    """Fills in the query of a hash-only request and refuses queries off the allow-list."""

    def __init__(self, allowed: Mapping[str, str] | None) -> None:
        self.allowed = allowed

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        resolved = resolve(context.query, context.operation_extensions, self.allowed)
        if isinstance(resolved, GraphQLError):
            await audit_refusal(context.context, resolved)
            raise resolved
        context.query = resolved
        yield
