"""Argument templates and record paths for SOAP calls; pure functions, no zeep.

A string that is exactly ``"{name}"`` becomes the value itself (an int stays an int, a
missing or None value becomes None); a string with placeholders inside is formatted; dicts
and lists are filled recursively. A dict ``{"_each": "{lines}", "_item": {...}}`` becomes a
list: ``_item`` filled once per element of the list ``_each`` names (an element's own fields
first, then the outer values), so ``{"No": "{sku}"}`` renames each line's keys. Record paths
are dotted (``searchResult.recordList.record``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"^\{([A-Za-z_][\w.]*)\}$")
_INNER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
EACH, ITEM = "_each", "_item"


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """``template`` with every ``{name}`` placeholder replaced from ``values``."""
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole:
            return lookup(values, whole.group(1))
        return _INNER.sub(lambda m: str(lookup(values, m.group(1)) or ""), template)
    if isinstance(template, Mapping):
        if EACH in template:
            return _fill_each(template, values)
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def check(template: Any) -> Any:
    """``template`` unchanged; ``ValueError`` when an ``_each`` dict has other keys than
    ``_each`` and ``_item`` (config validation calls this, so a write never meets one)."""
    if isinstance(template, Mapping):
        if EACH in template and set(template) != {EACH, ITEM}:
            raise ValueError(f"a {EACH!r} template takes exactly the keys {EACH!r} and {ITEM!r}")
        for value in template.values():
            check(value)
    elif isinstance(template, list):
        for item in template:
            check(item)
    return template


def _fill_each(template: Mapping[str, Any], values: Mapping[str, Any]) -> list[Any]:
    """``_item`` filled for each element of the list ``_each`` (None: no elements)."""
    check(template)
    items = fill(template[EACH], values)
    if items is None:
        return []
    if isinstance(items, Mapping) or not isinstance(items, list):
        items = [items]
    return [
        fill(template[ITEM], {**values, **item} if isinstance(item, Mapping) else values)
        for item in items
    ]


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
