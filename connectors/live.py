"""Live reads: the optional ``LiveReader`` capability, and turning its records into values.

A connector kind that can answer a live stream for many keys at once implements
``LiveReader.fetch(stream, keys)``: the raw records the remote answered for those keys (a
key the remote does not know is simply absent). The REST and SOAP kinds do; a third-party
kind without ``fetch`` has no live fields. Kinds split ``keys`` into the stream's
``batch_size`` (``fetch_batches``) and never retry: a live read answers fast or the hub
answers the last known value.

``read_values`` maps answered records to one JSON-safe value object per key with the
stream's ``live.values`` rules (the mapping engine of ``connectors.mapper``; a ``decimal``
becomes its exact text, dates and times ISO 8601); a record that does not map is reported per
key with the mapping's reason (field path and expected shape, never the value).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from connectors.errors import MappingError
from connectors.live_config import LiveField
from connectors.mapper import map_record
from connectors.mapping_config import EntityMapping
from connectors.protocol import JsonObject

__all__ = [
    "LiveAnswer",
    "LiveReader",
    "batches",
    "fetch_batches",
    "fill_keys",
    "json_safe",
    "read_values",
]


@runtime_checkable
class LiveReader(Protocol):
    """A connector that reads a live stream for many keys in one go."""

    async def fetch(self, stream: str, keys: Sequence[str]) -> list[JsonObject]: ...


def batches(keys: Sequence[str], size: int) -> list[list[str]]:
    """``keys`` (duplicates dropped, order kept) in chunks of at most ``size``."""
    unique = list(dict.fromkeys(keys))
    return [unique[start : start + size] for start in range(0, len(unique), max(size, 1))]


async def fetch_batches(
    keys: Sequence[str],
    size: int,
    call: Callable[[list[str]], Coroutine[Any, Any, list[JsonObject]]],
) -> list[JsonObject]:
    """Every record ``call`` answers for each chunk of ``keys``, the chunks run concurrently.

    The first failure cancels the other chunks and is raised as itself (not as a group).
    """
    chunks = batches(keys, size)
    if len(chunks) <= 1:
        return await call(chunks[0]) if chunks else []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call(chunk)) for chunk in chunks]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [record for task in tasks for record in task.result()]


def fill_keys(template: Any, keys: Sequence[str], separator: str) -> tuple[Any, dict[str, Any]]:
    """A SOAP argument template and the values that fill it for ``keys``.

    ``"{keys}"`` alone takes the list of keys; ``{keys}`` inside a longer string takes them
    joined by ``separator`` (e.g. a NAV filter ``"C1|C2"``); ``{key}`` the first key.
    """

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            return value if value == "{keys}" else value.replace("{keys}", "{keys_joined}")
        if isinstance(value, Mapping):
            return {name: rewrite(item) for name, item in value.items()}
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    values = {"keys": list(keys), "keys_joined": separator.join(keys), "key": keys[0]}
    return rewrite(template), values


def json_safe(value: Any) -> Any:
    """``value`` with Decimals as their exact text and dates/times as ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(name): json_safe(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


@dataclass(frozen=True)
class LiveAnswer:
    """Per key: its value object, or why its record could not be read."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _no_refs(_entity: str, _external_id: str) -> int | None:
    return None  # live values never hold refs (rejected by LiveField validation)


def read_values(live: LiveField, records: Sequence[Any], wanted: Sequence[str]) -> LiveAnswer:
    """The value object of each key of ``wanted`` found (by ``live.match``) in ``records``."""
    mapping = EntityMapping(entity=live.entity, external_id=live.match, fields=live.values)
    asked = set(wanted)
    answer = LiveAnswer()
    for record in records:
        try:
            mapped = map_record(mapping, record, _no_refs)
        except MappingError as problem:
            key = _key_of(live, record)
            if key in asked and key not in answer.values:
                answer.problems[key] = str(problem)
            continue
        if mapped.external_id in asked:
            answer.values[mapped.external_id] = json_safe(mapped.values)
            answer.problems.pop(mapped.external_id, None)
    return answer


def _key_of(live: LiveField, record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    try:
        mapping = EntityMapping(entity=live.entity, external_id=live.match)
        return map_record(mapping, record, _no_refs).external_id
    except MappingError:
        return None
