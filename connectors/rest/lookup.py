"""The ``rest`` kind's lookup: find the record an earlier write with our idempotency key made.

``find_written`` sends the operation's ``lookup`` request (a GET; ``{idempotency_key}`` and
``{field}`` placeholders in its path, query parameters and headers are filled from the
record, path values URL-quoted) and answers the reference at ``reference_path``, or None when
the remote has no such record (HTTP 404, a null or empty value). It never writes. Errors are
classified and scrubbed by the requester, like every other call of the kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import jmespath

from connectors.errors import MappingError
from connectors.protocol import WriteResult
from connectors.rest.config import RestOperation
from connectors.rest.records import decode_json
from connectors.rest.requester import Requester

__all__ = ["find_written"]

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
NOT_FOUND = frozenset({404})


def _value(values: Mapping[str, Any], path: str) -> Any:
    found = jmespath.search(path.strip(), dict(values))
    if found is None:
        raise MappingError("missing in the record", path=path.strip())
    return found


def _fill(text: str, values: Mapping[str, Any], *, in_path: bool = False) -> str:
    def one(match: re.Match[str]) -> str:
        value = str(_value(values, match[1]))
        return quote(value, safe="") if in_path else value

    return _PLACEHOLDER.sub(one, text)


async def find_written(
    requester: Requester,
    operation: RestOperation,
    record: Mapping[str, Any],
    idempotency_key: str,
) -> WriteResult | None:
    """The reference of the record ``idempotency_key`` created; None if none (or no lookup)."""
    lookup = operation.lookup
    if lookup is None:
        return None
    what = f"lookup of operation {operation.name!r}"
    values = {**record, "idempotency_key": idempotency_key}
    url = requester.url(_fill(lookup.path, values, in_path=True))
    params = {k: _fill(v, values) if isinstance(v, str) else v for k, v in lookup.params.items()}
    headers = {k: _fill(v, values) for k, v in lookup.headers.items()}
    response = await requester.send(
        "GET", url, what=what, params=params, headers=headers, accept=NOT_FOUND
    )
    if response.status_code in NOT_FOUND:
        return None
    try:
        answer = decode_json(response)
    except ValueError as exc:
        raise requester.permanent_error(f"{what}: {exc}") from None
    reference = jmespath.search(lookup.reference_path, answer)
    if reference is None or reference == "" or reference == []:
        return None
    if isinstance(reference, dict | list):
        raise requester.permanent_error(
            f"{what}: {lookup.reference_path!r} is an object or list, not a remote id"
        )
    raw = answer if isinstance(answer, dict) else {"body": answer}
    return WriteResult(reference=str(reference), raw=raw)
