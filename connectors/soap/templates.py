"""Argument templates and record paths for SOAP calls; pure functions, no zeep.

A string that is exactly ``"{name}"`` becomes the value itself (an int stays an int, a
missing or None value becomes None); a string with placeholders inside is formatted; dicts
and lists are filled recursively. Record paths are dotted (``searchResult.recordList.record``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"^\{([A-Za-z_][\w.]*)\}$")
_INNER = re.compile(r"\{([A-Za-z_][\w.]*)\}")


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """``template`` with every ``{name}`` placeholder replaced from ``values``."""
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole:
            return lookup(values, whole.group(1))
        return _INNER.sub(lambda m: str(lookup(values, m.group(1)) or ""), template)
    if isinstance(template, Mapping):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def lookup(value: Any, path: str) -> Any:
    """The value at dotted ``path`` (empty path: ``value`` itself); None when absent."""
    for part in path.split(".") if path else ():
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def records_at(result: Any, path: str) -> list[dict[str, Any]]:
    """The records at ``path``: a list as is, one record as a list of one, None as []."""
    found = lookup(result, path)
    if found is None:
        return []
    if isinstance(found, list):
        return [item if isinstance(item, dict) else {"value": item} for item in found]
    if isinstance(found, dict):
        return [found]
    return [{"value": found}]
