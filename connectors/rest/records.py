"""Response bodies to records: JSON decoding, the record selector and the incremental cursor.

``decode_json`` refuses a body that is not JSON (an HTML error page, a truncated document)
with a reason naming the content type; ``select_records`` refuses a selector result that is
not a list of objects. ``Incremental`` tracks the largest cursor value seen and turns a saved
cursor into the request parameter, minus the lookback window. Raises ``ValueError`` with a
plain reason; the connector turns it into a classified, scrubbed error.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jmespath
from jmespath.parser import ParsedResult

from connectors.protocol import JsonObject
from connectors.rest.config import IncrementalSync


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of ``response``, or ValueError saying why it is not JSON."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and not (content_type.endswith("json") or content_type.endswith("+json")):
        raise ValueError(
            f"expected a JSON body but got {content_type} (HTTP {response.status_code})"
        )
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        label = content_type or "no content type"
        raise ValueError(
            f"malformed JSON body ({label}, HTTP {response.status_code}): {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else f"body is not UTF-8 text ({label})"
        ) from None


def select_records(expression: ParsedResult, body: Any) -> list[JsonObject]:
    """The records the selector finds in ``body``; ValueError unless a list of objects."""
    found = expression.search(body)
    if found is None:
        raise ValueError(f"record selector {expression.expression!r} matched nothing")
    if not isinstance(found, list):
        kind = type(found).__name__
        raise ValueError(f"record selector {expression.expression!r} matched a {kind}, not a list")
    for index, record in enumerate(found):
        if not isinstance(record, dict):
            kind = type(record).__name__
            raise ValueError(
                f"record selector {expression.expression!r}: item {index} is a {kind}, "
                "not an object"
            )
    return found


_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _field_chain(expression: str) -> tuple[str, ...] | None:
    """The keys of a plain ``a.b.c`` JMESPath (read without the interpreter), else None."""
    if not _IDENTIFIERS.fullmatch(expression):
        return None
    return tuple(expression.split("."))


def _as_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sort_key(value: Any) -> tuple[int, Any]:
    when = _as_datetime(value)
    if when is not None:
        return (0, when)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


class Incremental:
    """The incremental sync of one stream: cursor field → request parameter."""

    def __init__(self, config: IncrementalSync) -> None:
        self.config = config
        self._field = jmespath.compile(config.cursor_field)
        self._keys = _field_chain(config.cursor_field)

    def cursor_of(self, record: JsonObject) -> Any:
        """The record's cursor value (None when absent), as the JMESPath would find it."""
        keys = self._keys
        if keys is None:
            return self._field.search(record)
        value: Any = record
        for key in keys:
            get = getattr(value, "get", None)  # JMESPath: a field of a non-object is null
            if get is None:
                return None
            value = get(key)
        return value

    def max_cursor(self, current: Any, records: list[JsonObject]) -> Any:
        """The largest cursor value among ``current`` and the records' cursor fields."""
        best = current
        best_key = None if best is None else _sort_key(best)
        cursor_of = self.cursor_of
        for record in records:
            value = cursor_of(record)
            if value is None:
                continue
            key = _sort_key(value)
            if best_key is None or key > best_key:
                best, best_key = value, key
        return best

    def request_value(self, cursor: Any) -> Any:
        """The parameter sent for a saved cursor: the cursor minus the lookback window."""
        lookback = self.config.lookback_seconds
        when = _as_datetime(cursor)
        if when is not None:
            start = when - timedelta(seconds=lookback)
            if self.config.format:
                return start.strftime(self.config.format)
            return start.isoformat()
        if isinstance(cursor, int | float) and not isinstance(cursor, bool):
            shifted = cursor - lookback
            return int(shifted) if isinstance(cursor, int) else shifted
        return cursor

    def params(self, cursor: Any) -> dict[str, Any]:
        if cursor is None:
            return {}
        return {self.config.request_param: self.request_value(cursor)}
