"""The hub fields a mapping may set on each entity, and how their values are checked.

Two checks. ``check_mapping`` runs once per run, before anything is read: a mapping that
names a field the entity does not have, casts it to the wrong type, or gives a row-id field
(``partner_id``) without the matching ``ref`` is a config error that says what to fix.
``clean_values`` runs per record: it turns enum codes into members, drops ``None`` for
columns that cannot be empty (an update keeps the stored value, an insert the default), and
lists each problem as ``field: reason`` — reasons name the rule, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from connectors.errors import ConfigError
from connectors.mapping_config import EntityMapping, FieldRule
from domain.orders import amount_problem

__all__ = ["Field", "Kind", "check_mapping", "clean_values"]

Kind = Literal["str", "int", "count", "money", "date", "datetime", "bool", "enum", "id"]

CASTS: dict[Kind, tuple[str, ...]] = {
    "str": ("str",),
    "enum": ("str",),
    "int": ("int",),
    "count": ("int",),
    "money": ("decimal",),
    "date": ("date",),
    "datetime": ("datetime",),
    "bool": ("bool",),
    "id": ("str", "int"),
}
INT_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class Field:
    """One settable hub field: its kind and what a value must be."""

    kind: Kind
    nullable: bool = True
    max_length: int | None = None
    enum: type[StrEnum] | None = None
    ref: str | None = None
    nonempty: bool = False


def _rule(rule: FieldRule | str) -> FieldRule:
    return FieldRule(source=rule) if isinstance(rule, str) else rule


def _check_rules(
    where: str,
    entity: str,
    known: Mapping[str, Field],
    rules: Mapping[str, FieldRule | str],
) -> list[str]:
    problems = []
    for name, given in rules.items():
        spec = known.get(name)
        if spec is None:
            problems.append(
                f"{where}{name}: {entity} has no field {name!r} (known: {', '.join(known)})"
            )
            continue
        rule = _rule(given)
        if spec.kind == "id":
            if rule.ref != spec.ref:
                problems.append(f"{where}{name}: needs `ref: {spec.ref}` (a row id is resolved)")
        elif rule.ref is not None:
            problems.append(f"{where}{name}: is not a reference; remove `ref`")
        if rule.cast not in CASTS[spec.kind]:
            wanted = " or ".join(CASTS[spec.kind])
            problems.append(f"{where}{name}: needs `cast: {wanted}`")
    return problems


def check_mapping(
    mapping: EntityMapping,
    fields: Mapping[str, Field],
    line_fields: Mapping[str, Field] | None,
    *,
    label: str,
) -> None:
    """Raise ``ConfigError`` listing every mapping field the entity cannot take."""
    problems = _check_rules("fields.", mapping.entity, fields, mapping.fields)
    if mapping.lines is not None:
        if line_fields is None:
            problems.append(f"lines: {mapping.entity} has no lines; remove `lines`")
        else:
            problems += _check_rules(
                "lines.fields.", "an order line", line_fields, mapping.lines.fields
            )
    if problems:
        raise ConfigError(f"{label}: the mapping does not fit the hub: " + "; ".join(problems))


def _problem(spec: Field, value: Any) -> str | None:
    kind = spec.kind
    if kind in ("str", "enum"):
        if not isinstance(value, str):
            return "must be text"
        if spec.nonempty and not value.strip():
            return "must not be empty"
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"must be at most {spec.max_length} characters"
        if spec.enum is not None and value not in spec.enum.__members__:
            return f"must be one of {', '.join(spec.enum.__members__)}"
        return None
    if kind in ("int", "count", "id"):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not -INT_LIMIT <= value <= INT_LIMIT:
            return f"must be between -{INT_LIMIT} and {INT_LIMIT}"
        if kind == "count" and value < 0:
            return "must not be negative"
        return None
    if kind == "money":
        if not isinstance(value, Decimal):
            return "must be a decimal amount"
        return amount_problem(value)
    if kind == "date":
        return None if isinstance(value, date) and not isinstance(value, datetime) else "not a date"
    if kind == "datetime":
        ok = isinstance(value, datetime) and value.tzinfo is not None
        return None if ok else "must be a date and time with a time zone"
    return None if isinstance(value, bool) else "must be true or false"


def clean_values(
    fields: Mapping[str, Field], values: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Checked values (enums as members; ``None`` dropped where a column cannot be empty)."""
    cleaned: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in values.items():
        spec = fields[name]
        if value is None:
            if spec.nullable:
                cleaned[name] = None
            continue
        problem = _problem(spec, value)
        if problem is not None:
            problems.append(f"{prefix}{name}: {problem}")
        elif spec.enum is not None:
            cleaned[name] = spec.enum[value]
        else:
            cleaned[name] = value
    return cleaned, problems
