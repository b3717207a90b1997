"""Connector config validation errors in plain words: ``problems`` turns a pydantic
``ValidationError`` into ``path.in[2].file: what is wrong`` lines, never quoting the values
found (they may be secrets). Used by ``connectors.config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = ["problems"]


def _path(loc: Sequence[int | str], data: Any, error_type: str) -> str:
    """A pydantic location as a path in the file: union tags and member names dropped."""
    text = ""
    current = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            text += f"[{part}]"
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping) and part in current:
            text += f".{part}" if text else part
            current = current[part]
        elif last and error_type in ("missing", "extra_forbidden"):
            text += f".{part}" if text else str(part)
        # else: a union tag or member label that is not in the file
    return text


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        limit = ctx.get(key)
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {symbol} {limit}"
    plain = {
        "missing": "is required",
        "extra_forbidden": "is not a known setting here",
        "int_parsing": "must be an integer",
        "int_type": "must be an integer",
        "int_from_float": "must be an integer",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "string_type": "must be text",
        "model_type": "must be a mapping (key: value)",
        "model_attributes_type": "must be a mapping (key: value)",
        "dict_type": "must be a mapping (key: value)",
        "list_type": "must be a list",
    }
    if kind in plain:
        return plain[kind]
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must have at least {minimum} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return "is required"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def problems(invalid: ValidationError, data: Any) -> list[str]:
    """Every validation error as ``path: message``, with the noise of unions removed."""
    found: list[tuple[str, str, bool]] = []
    for error in invalid.errors(include_url=False, include_input=False):
        path = _path(error["loc"], data, error["type"])
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            discriminator = str((error.get("ctx") or {}).get("discriminator", "type")).strip("'")
            path = f"{path}.{discriminator}" if path else discriminator
        is_type_error = error["type"].endswith("_type")
        found.append((path, _message(error), is_type_error))
    kept: list[str] = []
    for path, message, is_type_error in found:
        if is_type_error and any(
            not other_type and _within(other_path, path) for other_path, _, other_type in found
        ):
            continue  # another member of a union failed at or below here: the real problem
        line = f"{path}: {message}" if path else message
        if line not in kept:
            kept.append(line)
    return kept


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}[")) or not prefix
