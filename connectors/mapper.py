"""The mapping engine: a remote record → the values of one hub entity, by ``EntityMapping``.

Pure: no I/O, no clock, no store. References by external id go through the ``resolve``
callable the sync job passes in (``resolve(entity, external_id) -> row id | None``).

Every failure raises ``MappingError(reason, path=...)`` where ``path`` is the hub field
(``status``, ``lines[2].quantity``). Reasons describe the shape that was expected, not the
value that was found (a value may be sensitive, and reasons are stored in plaintext), with
two exceptions that are not secrets: unknown value-map codes and unresolved external ids.
``map_page`` maps a page record by record: a bad record is rejected with its reason and
the rest of the page goes on.

A mapping is compiled once, on first use, into a plan (``connectors.mapping_plan``: rules
normalised, paths parsed, casts resolved, templates split, defaults cast) kept as long as
the ``EntityMapping`` object lives; mappings are frozen, so the plan never goes stale.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import MappingError
from connectors.mapping_casts import cast_value, describe_kind
from connectors.mapping_config import EntityMapping
from connectors.mapping_plan import MappingPlan, Resolve, compile_mapping, read_path

__all__ = [
    "MappedRecord",
    "Rejected",
    "Resolve",
    "cast_value",
    "map_page",
    "map_record",
    "read_path",
]


@dataclass(frozen=True)
class MappedRecord:
    """A mapped record: hub field values (and child lines) ready for an upsert."""

    entity: str
    external_id: str
    values: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Rejected:
    """A record of a page that could not be mapped: quarantine it with ``reason``."""

    index: int
    raw: Any
    reason: str
    external_id: str | None = None


# -- compiled plans, one per live mapping object ----------------------------------------------

_PLANS: dict[int, tuple[weakref.ref[EntityMapping], MappingPlan]] = {}


def _plan(mapping: EntityMapping) -> MappingPlan:
    """The compiled plan of ``mapping`` (compiled on first use, dropped with the mapping)."""
    key = id(mapping)
    found = _PLANS.get(key)
    if found is not None and found[0]() is mapping:
        return found[1]
    plan = compile_mapping(mapping)
    _PLANS[key] = (weakref.ref(mapping, lambda _gone: _PLANS.pop(key, None)), plan)
    return plan


# -- records and pages -------------------------------------------------------------------------


def _mapped(plan: MappingPlan, record: Any, resolve: Resolve) -> MappedRecord:
    if type(record) is not dict and not isinstance(record, Mapping):
        raise MappingError("the record is not an object")
    external_id = plan.external_id(record)
    values = {name: apply(record, resolve, "") for name, apply in plan.fields}
    lines: list[dict[str, Any]] = []
    if plan.lines_source is not None:
        items = plan.lines_source(record)
        if items is None:
            items = []
        if not isinstance(items, list | tuple):
            raise MappingError(f"expected a list, got {describe_kind(items)}", path="lines")
        rules = plan.line_fields
        for number, item in enumerate(items):
            prefix = f"lines[{number}]."
            if type(item) is not dict and not isinstance(item, Mapping):
                raise MappingError("the line is not an object", path=prefix[:-1])
            lines.append({name: apply(item, resolve, prefix) for name, apply in rules})
    return MappedRecord(plan.entity, external_id, values, lines)


def map_record(mapping: EntityMapping, record: Mapping[str, Any], resolve: Resolve) -> MappedRecord:
    """Map one remote record; raises ``MappingError`` naming the hub field that failed."""
    return _mapped(_plan(mapping), record, resolve)


def map_page(
    mapping: EntityMapping, records: Sequence[Any], resolve: Resolve
) -> tuple[list[MappedRecord], list[Rejected]]:
    """Map every record of a page; the ones that fail come back as ``Rejected``."""
    plan = _plan(mapping)
    mapped: list[MappedRecord] = []
    rejected: list[Rejected] = []
    keep = mapped.append
    for index, record in enumerate(records):
        try:
            keep(_mapped(plan, record, resolve))
        except MappingError as problem:
            rejected.append(Rejected(index, record, str(problem), _best_external_id(plan, record)))
    return mapped, rejected


def _best_external_id(plan: MappingPlan, record: Any) -> str | None:
    try:
        return plan.external_id(record)
    except MappingError:
        return None
