"""A previewed page mapped the way a sync would map it, with its references resolved, read-only.

``map_preview(sessions, connector, mapping, records)`` resolves the page's ``ref`` fields
exactly as a sync does (``jobs.sync.references.ReferenceResolver``: by external id synced
from the same connector, then by the hub entity's natural key), in one read session that
writes nothing. A reference still unresolved rejects its record with the mapper's reason
(``no partner with external id 'C-9' from this connector``).

A record may refer to a record of its own entity on the same page (a customer billed to a
customer listed after it): a sync stores that one first and then maps the waiting record
(``jobs.sync.pages.MAX_PASSES`` levels). A preview stores nothing, so such a reference is
*pending*: the record is mapped, the field's value is None, and ``pending`` names the field
and the page record it waits for. Only references to records that map on this page are
pending; a record referring to itself, or a cycle, is rejected as a sync would reject it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.mapper import MappedRecord, Rejected, Resolve, map_page
from connectors.mapping_config import EntityMapping, FieldRule
from jobs.sync.pages import MAX_PASSES
from jobs.sync.references import ReferenceResolver

__all__ = ["PreviewRecord", "map_preview"]


@dataclass(frozen=True)
class PreviewRecord:
    """A mapped record, and its references to records of this page not stored yet."""

    record: MappedRecord
    pending: dict[str, str] = field(default_factory=dict)
    """``{"parent_id": "C-1"}`` or ``{"lines[0].product_id": …}``: hub field → external id."""


async def map_preview(
    sessions: async_sessionmaker[AsyncSession],
    connector: str,
    mapping: EntityMapping,
    records: Sequence[Any],
) -> tuple[list[PreviewRecord], list[Rejected]]:
    """Map ``records`` of ``connector`` with its references resolved; nothing is written."""
    async with sessions() as session:  # read only: closed without a commit
        stored = await ReferenceResolver(connector, mapping).prepare(session, records)
    mapped, rejected = map_page(mapping, records, stored)
    waiting: dict[str, int] = {}  # external id on this page → placeholder (a negative id)
    for _ in range(MAX_PASSES - 1):
        ids = {m.external_id for m in mapped} - waiting.keys()
        if not ids or not any(_waits_for_own_entity(mapping, r) for r in rejected):
            break
        start = len(waiting) + 1
        waiting.update((value, -(start + n)) for n, value in enumerate(sorted(ids)))
        again, still = map_page(mapping, records, _with_page(stored, mapping.entity, waiting))
        if len(again) == len(mapped):
            break
        mapped, rejected = again, still
    placeholders = {row: value for value, row in waiting.items()}
    return [_pending(mapping, m, placeholders) for m in mapped], rejected


def _waits_for_own_entity(mapping: EntityMapping, rejection: Rejected) -> bool:
    return f"no {mapping.entity} with external id " in rejection.reason


def _with_page(stored: Resolve, entity: str, waiting: dict[str, int]) -> Resolve:
    def resolve(ref: str, value: str) -> int | None:
        found = stored(ref, value)
        if found is None and ref == entity:
            return waiting.get(value)
        return found

    return resolve


def _own_refs(rules: dict[str, FieldRule | str], entity: str) -> list[str]:
    return [n for n, r in rules.items() if isinstance(r, FieldRule) and r.ref == entity]


def _pending(
    mapping: EntityMapping, mapped: MappedRecord, placeholders: dict[int, str]
) -> PreviewRecord:
    """``mapped`` with each placeholder replaced by None and named in ``pending``."""
    if not placeholders:
        return PreviewRecord(mapped)
    pending: dict[str, str] = {}
    values = dict(mapped.values)
    for name in _own_refs(dict(mapping.fields), mapping.entity):
        if isinstance(values.get(name), int) and values[name] in placeholders:
            pending[name] = placeholders[values[name]]
            values[name] = None
    lines = [dict(line) for line in mapped.lines]
    line_rules = {} if mapping.lines is None else dict(mapping.lines.fields)
    for number, line in enumerate(lines):
        for name in _own_refs(line_rules, mapping.entity):
            if isinstance(line.get(name), int) and line[name] in placeholders:
                pending[f"lines[{number}].{name}"] = placeholders[line[name]]
                line[name] = None
    record = MappedRecord(mapped.entity, mapped.external_id, values, lines)
    return PreviewRecord(record, pending)
