"""Compiled mappings: an ``EntityMapping`` turned once into closures that map records fast.

``compile_mapping`` normalises bare-string rules to ``FieldRule``, parses every source path
(and each ``{path}`` of a template) into steps, resolves casts to functions and casts defaults
and value-map targets ahead of time. Applying a plan behaves exactly like reading the rules
afresh for every record: same values, same ``MappingError`` reasons and paths, raised in the
same order. A problem that belongs to a record is still raised per record, only when a record
reaches it: a malformed path when the rule is applied, a default that does not cast only when
a record lacks the value. Pure, like ``connectors.mapper``, which owns the plan cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from connectors.errors import MappingError
from connectors.mapping_casts import cast_function, to_str
from connectors.mapping_config import EntityMapping, FieldRule

__all__ = ["FieldApply", "MappingPlan", "Reader", "Resolve", "compile_mapping", "read_path"]

Resolve = Callable[[str, str], int | None]
"""``resolve(entity, external_id)``: the hub row id synced from this connector, or None."""

Reader = Callable[[Any], Any]
"""A compiled source: the value it reads from a record, None when absent."""

FieldApply = Callable[[Any, Resolve, str], Any]
"""A compiled rule: ``apply(record, resolve, prefix)``; errors name ``prefix + field``."""

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_UNSET: Any = object()


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


def _walk(record: Any, parts: tuple[str | int, ...]) -> Any:
    current = record
    for part in parts:
        if isinstance(part, int):
            kind = type(current)
            if (kind is not list and kind is not tuple) and (
                not isinstance(current, Sequence) or isinstance(current, str | bytes)
            ):
                return None
            if part >= len(current):
                return None
            current = current[part]
        else:
            if type(current) is not dict and not isinstance(current, Mapping):
                return None
            current = current.get(part)
        if current is None:
            return None
    return current


def read_path(record: Any, path: str) -> Any:
    """The value at a dotted path with ``[n]`` indexes; None when any step is missing."""
    return _walk(record, _parse_path(path))


def compile_path(path: str) -> Reader:
    """A reader for ``path``; a malformed path gives a reader raising its ``MappingError``."""
    try:
        parts = _parse_path(path)
    except MappingError as problem:
        reason = problem.reason

        def malformed(record: Any) -> Any:
            raise MappingError(reason)

        return malformed
    first = parts[0]
    if len(parts) == 1 and isinstance(first, str):

        def read_key(record: Any) -> Any:
            if type(record) is dict or isinstance(record, Mapping):
                return record.get(first)
            return None

        return read_key

    def read_steps(record: Any) -> Any:
        return _walk(record, parts)

    return read_steps


def _compile_template(template: str) -> Reader:
    """A reader filling each ``{path}``; None when any referenced value is missing."""
    pieces: list[tuple[str, Reader]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        pieces.append((template[position : match.start()], compile_path(match.group(1).strip())))
        position = match.end()
    tail = template[position:]

    def fill(record: Any) -> str | None:
        text: list[str] = []
        missing = False
        for literal, read in pieces:
            value = read(record)
            if value is None:
                missing = True
            else:
                text += (literal, str(value))
        return None if missing else "".join(text) + tail

    return fill


def _nothing(record: Any) -> None:
    return None


# -- rules -----------------------------------------------------------------------------------


def _ahead(cast: Callable[[Any], Any], value: Any) -> Any:
    """``cast(value)`` now, or ``_UNSET`` when it fails (it then fails per record, as before)."""
    try:
        return cast(value)
    except Exception:  # raised again by each record that needs the value
        return _UNSET


def _source(rule: FieldRule) -> tuple[Reader, str | None]:
    """The rule's reader, and its key when it reads one top-level key (read inline)."""
    if rule.source is not None:
        try:
            parts = _parse_path(rule.source)
        except MappingError:
            parts = ()
        key = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None
        return compile_path(rule.source), key
    if rule.template is not None:
        return _compile_template(rule.template), None
    return _nothing, None


def _compile_rule(name: str, rule: FieldRule) -> FieldApply:
    read, key = _source(rule)
    cast = cast_function(rule.cast, rule.timezone)
    if rule.value_map is None and rule.ref is None:
        missing = None if rule.default is None else _ahead(cast, rule.default)
        if missing is not _UNSET:
            blank_is_missing = rule.cast != "str"
            return _compile_plain(name, read, key, cast, blank_is_missing, rule.required, missing)
    return _compile_full(name, rule, read, key, cast)


def _compile_plain(
    name: str,
    read: Reader,
    key: str | None,
    cast: Callable[[Any], Any],
    blank_is_missing: bool,
    required: bool,
    missing: Any,
) -> FieldApply:
    """A rule without value map or reference: the cast value, else ``missing`` (the default
    already cast)."""
    required = required and missing is None  # a default fills a required field

    if not blank_is_missing:  # cast "str": a text value is kept as it is

        def apply_text(record: Any, resolve: Resolve, prefix: str) -> Any:
            raw = record.get(key) if key is not None and type(record) is dict else read(record)
            if type(raw) is str:
                return raw
            if raw is None:
                if required:
                    raise MappingError("is required but missing", path=prefix + name)
                return missing
            try:
                return cast(raw)
            except ValueError as problem:
                raise MappingError(str(problem), path=prefix + name) from None

        return apply_text

    def apply_cast(record: Any, resolve: Resolve, prefix: str) -> Any:
        raw = record.get(key) if key is not None and type(record) is dict else read(record)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                raise MappingError("is required but missing", path=prefix + name)
            return missing
        try:
            return cast(raw)
        except ValueError as problem:
            raise MappingError(str(problem), path=prefix + name) from None

    return apply_cast


def _compile_full(
    name: str, rule: FieldRule, read: Reader, key: str | None, cast: Callable[[Any], Any]
) -> FieldApply:
    """Any rule: value map, default, required, reference."""
    blank_is_missing = rule.cast != "str"
    default = rule.default
    default_value = None if default is None else _ahead(cast, default)
    codes = rule.value_map
    mapped: dict[str, Any] = {}
    if codes is not None:
        for code, target in codes.items():
            value = _ahead(cast, target)
            if value is not _UNSET:
                mapped[code] = value
    required, ref = rule.required, rule.ref

    def apply(record: Any, resolve: Resolve, prefix: str) -> Any:
        raw = record.get(key) if key is not None and type(record) is dict else read(record)
        try:
            if raw is None or (blank_is_missing and isinstance(raw, str) and not raw.strip()):
                value = cast(default) if default_value is _UNSET else default_value
            elif codes is None:
                value = cast(raw)
            else:
                code = to_str(raw)
                value = mapped.get(code, _UNSET)
                if value is _UNSET:
                    if code not in codes:
                        raise ValueError(f"unknown code {code!r} (not in the value map)")
                    value = cast(codes[code])
        except ValueError as problem:
            raise MappingError(str(problem), path=prefix + name) from None
        if value is None:
            if required:
                raise MappingError("is required but missing", path=prefix + name)
            return None
        if ref is not None:
            external_id = to_str(value)
            found = resolve(ref, external_id)
            if found is None:
                raise MappingError(
                    f"no {ref} with external id {external_id!r} from this connector",
                    path=prefix + name,
                )
            return found
        return value

    return apply


def _compile_rules(rules: Mapping[str, FieldRule | str]) -> tuple[tuple[str, FieldApply], ...]:
    return tuple(
        (name, _compile_rule(name, FieldRule(source=rule) if isinstance(rule, str) else rule))
        for name, rule in rules.items()
    )


def _compile_external_id(path: str) -> Callable[[Any], str]:
    read = compile_path(path)

    def external_id(record: Any) -> str:
        value = read(record)
        if value is None or isinstance(value, bool) or value == "":
            raise MappingError("the record has no external id", path="external_id")
        try:
            return to_str(value)
        except ValueError as problem:
            raise MappingError(str(problem), path="external_id") from None

    return external_id


@dataclass(frozen=True, slots=True)
class MappingPlan:
    """A compiled ``EntityMapping``: what ``connectors.mapper`` applies to each record."""

    entity: str
    external_id: Callable[[Any], str]
    fields: tuple[tuple[str, FieldApply], ...]
    lines_source: Reader | None
    line_fields: tuple[tuple[str, FieldApply], ...]


def compile_mapping(mapping: EntityMapping) -> MappingPlan:
    """The plan of ``mapping``; compiling never fails (record problems stay per record)."""
    lines = mapping.lines
    return MappingPlan(
        entity=mapping.entity,
        external_id=_compile_external_id(mapping.external_id),
        fields=_compile_rules(mapping.fields),
        lines_source=None if lines is None else compile_path(lines.source),
        line_fields=() if lines is None else _compile_rules(lines.fields),
    )
