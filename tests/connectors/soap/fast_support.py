"""Helpers for the fast-reply tests: one reply read both ways, and a strict comparison.

``both_ways`` calls a SOAP operation once for its raw reply, reads that reply with the fast
reader (which must not hand it to zeep) and with zeep's own parser, and checks they agree; it
then calls again through ``fast_records.call`` (the connector's path) and checks that too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from connectors.soap.fast_records import call, plain, reply_reader


def assert_same(fast: Any, slow: Any, path: str = "$") -> None:
    """Equal values of the same types, dict keys in the same order."""
    assert type(fast) is type(slow), (path, fast, slow)
    if isinstance(fast, dict):
        assert list(fast) == list(slow), path
        for key in fast:
            assert_same(fast[key], slow[key], f"{path}.{key}")
    elif isinstance(fast, list):
        assert len(fast) == len(slow), path
        for number, (left, right) in enumerate(zip(fast, slow, strict=True)):
            assert_same(left, right, f"{path}[{number}]")
    elif isinstance(fast, Decimal | float):
        assert repr(fast) == repr(slow), path  # same digits and exponent, NaN too
    else:
        assert fast == slow, (path, fast, slow)


def both_ways(service: Any, operation: str, args: dict[str, Any], *, again: bool = True) -> Any:
    """zeep's reading of one reply to ``operation(**args)``, after checking the fast reader
    read the same reply to the same values (and, ``again``, that ``call`` does too: only for
    calls that answer the same twice)."""
    client, binding = service._client, service._binding
    with client.settings(raw_response=True):
        response = service[operation](**args)
    slow = plain(binding.process_reply(client, binding.get(operation), response))
    reader = reply_reader(service, operation)
    assert reader is not None, f"{operation}: its replies are never read fast"
    assert_same(reader(etree.fromstring(response.content)), slow)
    if again:
        assert_same(call(service, operation, service[operation], args), slow)
    return slow
