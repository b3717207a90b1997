"""The mapping engine: a remote record → the values of one hub entity, by ``EntityMapping``.

Pure: no I/O, no clock, no store. References by external id go through the ``resolve``
callable the sync job passes in (``resolve(entity, external_id) -> row id | None``).

Every failure raises ``MappingError(reason, path=...)`` where ``path`` is the hub field
(``status``, ``lines[2].quantity``). Reasons describe the shape that was expected, not the
value that was found (a value may be sensitive, and reasons are stored in plaintext), with
two exceptions that are not secrets: unknown value-map codes and unresolved external ids.
``map_page`` maps a page record by record: a bad record is rejected with its reason and
the rest of the page goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.errors import MappingError
from connectors.mapping_config import Cast, EntityMapping, FieldRule

__all__ = [
    "MappedRecord",
    "Rejected",
    "Resolve",
    "cast_value",
    "map_page",
    "map_record",
    "read_path",
]

Resolve = Callable[[str, str], int | None]
"""``resolve(entity, external_id)``: the hub row id synced from this connector, or None."""

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRUE = frozenset({"true", "1", "y", "yes"})
_FALSE = frozenset({"false", "0", "n", "no"})


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


# -- source paths ----------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _parse_path(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    position = 0
    for match in _PATH_PART.finditer(path):
        gap = path[position : match.start()]
        if gap not in ("", ".") or (gap == "." and not parts):
            raise MappingError(f"malformed source path {path!r}")
        name, index = match.groups()
        parts.append(int(index) if index is not None else name)
        position = match.end()
    if not parts or position != len(path):
        raise MappingError(f"malformed source path {path!r}")
    return tuple(parts)


def read_path(record: Any, path: str) -> Any:
    """The value at a dotted path with ``[n]`` indexes; None when any step is missing."""
    current = record
    for part in _parse_path(path):
        if isinstance(part, int):
            if not isinstance(current, Sequence) or isinstance(current, str | bytes):
                return None
            if part >= len(current):
                return None
            current = current[part]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(part)
        if current is None:
            return None
    return current


def _fill_template(record: Any, template: str) -> str | None:
    """The template with each ``{path}`` filled; None when any referenced value is missing."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = read_path(record, match.group(1).strip())
        if value is None:
            missing = True
            return ""
        return str(value)

    filled = _PLACEHOLDER.sub(fill, template)
    return None if missing else filled


# -- casts -----------------------------------------------------------------------------------


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))  # the shortest repr, never the binary expansion
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text):
            raise ValueError(
                "expected a decimal number (digits, an optional '.', no thousands separators)"
            )
        result = Decimal(text)
    else:
        raise ValueError(f"expected a decimal number, got {_kind(value)}")
    if not result.is_finite():
        raise ValueError("expected a finite decimal number")
    return result


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    try:
        number = _to_decimal(value)
    except ValueError:
        raise ValueError("expected an integer") from None
    if number != number.to_integral_value():
        raise ValueError("expected an integer, got a number with a fraction")
    return int(number)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("expected a date, got a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected an ISO 8601 date (YYYY-MM-DD)") from None
    raise ValueError(f"expected a date, got {_kind(value)}")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _to_datetime(value: Any, zone: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected an ISO 8601 date and time") from None
    else:
        raise ValueError(f"expected a date and time, got {_kind(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=_zone(zone))
    return moment.astimezone(UTC)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("expected a boolean (true/false, 1/0, Y/N)")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float | Decimal | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise ValueError(f"expected a text value, got {_kind(value)}")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


def cast_value(value: Any, cast: Cast, *, timezone: str = "UTC") -> Any:
    """``value`` converted by ``cast``; raises ``ValueError`` naming the expected shape."""
    if cast == "str":
        return _to_str(value)
    if cast == "int":
        return _to_int(value)
    if cast == "decimal":
        return _to_decimal(value)
    if cast == "date":
        return _to_date(value)
    if cast == "datetime":
        return _to_datetime(value, timezone)
    return _to_bool(value)


# -- rules -----------------------------------------------------------------------------------


def _as_rule(rule: FieldRule | str) -> FieldRule:
    return FieldRule(source=rule) if isinstance(rule, str) else rule


def _missing(value: Any, cast: Cast) -> bool:
    return value is None or (cast != "str" and isinstance(value, str) and not value.strip())


def _apply_rule(rule: FieldRule, record: Any, path: str, resolve: Resolve) -> Any:
    if rule.source is not None:
        raw = read_path(record, rule.source)
    elif rule.template is not None:
        raw = _fill_template(record, rule.template)
    else:
        raw = None
    try:
        if _missing(raw, rule.cast):
            value = (
                None
                if rule.default is None
                else cast_value(rule.default, rule.cast, timezone=rule.timezone)
            )
        else:
            if rule.value_map is not None:
                code = _to_str(raw)
                if code not in rule.value_map:
                    raise ValueError(f"unknown code {code!r} (not in the value map)")
                raw = rule.value_map[code]
            value = cast_value(raw, rule.cast, timezone=rule.timezone)
    except ValueError as problem:
        raise MappingError(str(problem), path=path) from None
    if value is None:
        if rule.required:
            raise MappingError("is required but missing", path=path)
        return None
    if rule.ref is not None:
        external_id = _to_str(value)
        found = resolve(rule.ref, external_id)
        if found is None:
            raise MappingError(
                f"no {rule.ref} with external id {external_id!r} from this connector", path=path
            )
        return found
    return value


def _apply_rules(
    rules: Mapping[str, FieldRule | str], record: Any, prefix: str, resolve: Resolve
) -> dict[str, Any]:
    return {
        name: _apply_rule(_as_rule(rule), record, prefix + name, resolve)
        for name, rule in rules.items()
    }


def _external_id(mapping: EntityMapping, record: Any) -> str:
    value = read_path(record, mapping.external_id)
    if value is None or isinstance(value, bool) or value == "":
        raise MappingError("the record has no external id", path="external_id")
    try:
        return _to_str(value)
    except ValueError as problem:
        raise MappingError(str(problem), path="external_id") from None


def map_record(mapping: EntityMapping, record: Mapping[str, Any], resolve: Resolve) -> MappedRecord:
    """Map one remote record; raises ``MappingError`` naming the hub field that failed."""
    if not isinstance(record, Mapping):
        raise MappingError("the record is not an object")
    external_id = _external_id(mapping, record)
    values = _apply_rules(mapping.fields, record, "", resolve)
    lines: list[dict[str, Any]] = []
    if mapping.lines is not None:
        items = read_path(record, mapping.lines.source)
        if items is None:
            items = []
        if not isinstance(items, list | tuple):
            raise MappingError(f"expected a list, got {_kind(items)}", path="lines")
        for number, item in enumerate(items):
            prefix = f"lines[{number}]."
            if not isinstance(item, Mapping):
                raise MappingError("the line is not an object", path=prefix[:-1])
            lines.append(_apply_rules(mapping.lines.fields, item, prefix, resolve))
    return MappedRecord(mapping.entity, external_id, values, lines)


def map_page(
    mapping: EntityMapping, records: Sequence[Any], resolve: Resolve
) -> tuple[list[MappedRecord], list[Rejected]]:
    """Map every record of a page; the ones that fail come back as ``Rejected``."""
    mapped: list[MappedRecord] = []
    rejected: list[Rejected] = []
    for index, record in enumerate(records):
        try:
            mapped.append(map_record(mapping, record, resolve))
        except MappingError as problem:
            rejected.append(
                Rejected(index, record, str(problem), _best_external_id(mapping, record))
            )
    return mapped, rejected


def _best_external_id(mapping: EntityMapping, record: Any) -> str | None:
    try:
        return _external_id(mapping, record)
    except MappingError:
        return None
