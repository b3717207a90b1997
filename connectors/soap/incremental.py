"""Incremental SOAP reads: the saved cursor in, the largest cursor seen out.

A stream with ``incremental`` reads with ``{cursor}`` filled from the saved cursor (minus the
lookback window, or ``start`` on the first read) and pages as its paginator says. While a
read is under way each page's state keeps the read's ``since`` and the paginator's
``position``, so a crash resumes the same filtered read where it stopped; the last page's
state keeps only the largest cursor seen, so the next read starts a new filtered read from
the first key (a bookmark or page number never skips records changed since). Date-time
cursors are saved as ISO 8601 text in UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.protocol import JsonObject, Page
from connectors.soap import templates
from connectors.soap.config import SoapIncremental

__all__ = ["incremental_pages"]

Source = Callable[[JsonObject, dict[str, Any]], AsyncIterator[Page]]
"""``source(position, values)``: the paginator's pages from ``position``, args filled with
``values`` too."""


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _saved(value: Any) -> Any:
    """A cursor as it is saved in JSON state (date-times as UTC ISO text)."""
    when = _as_datetime(value) if not isinstance(value, str) else None
    if when is not None:
        return when.astimezone(UTC).isoformat()
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def _order(value: Any) -> tuple[int, Any]:
    when = _as_datetime(value)
    if when is not None:
        return (0, when)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


def largest(config: SoapIncremental, current: Any, records: list[JsonObject]) -> Any:
    """The largest cursor among ``current`` and the records' ``cursor_field`` values."""
    best = current
    for record in records:
        value = templates.lookup(record, config.cursor_field)
        if value is not None and (best is None or _order(value) > _order(best)):
            best = _saved(value)
    return best


def since(config: SoapIncremental, cursor: Any) -> Any:
    """The ``{cursor}`` argument for a saved cursor: minus the lookback, formatted."""
    if cursor is None:
        return config.start
    when = _as_datetime(cursor)
    if when is not None:
        start = when - timedelta(seconds=config.lookback_seconds)
        return start.strftime(config.format) if config.format else start.isoformat()
    if isinstance(cursor, int | float) and not isinstance(cursor, bool):
        shifted = cursor - config.lookback_seconds
        return int(shifted) if isinstance(cursor, int) else shifted
    return cursor


async def incremental_pages(
    config: SoapIncremental, state: JsonObject, source: Source
) -> AsyncIterator[Page]:
    """Pages of one incremental read from ``state`` (see the module docstring)."""
    best = state.get("cursor")
    if "since" in state:  # a read under way: resume it with the same filter
        value, position = state["since"], dict(state.get("position") or {})
    else:
        value, position = since(config, best), {}
    async for page in source(position, {"cursor": value}):
        best = largest(config, best, page.records)
        if page.last:
            yield Page(page.records, state={"cursor": best}, last=True)
            return
        yield Page(page.records, state={"cursor": best, "since": value, "position": page.state})
