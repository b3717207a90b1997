"""NAV-style filter criteria for the demo ERP's ``ReadMultiple*`` operations.

A filter is a list of ``(Field, Criteria)``; every filter must hold (AND). A criteria string
is alternatives separated by ``|``, each one of: ``value`` (equal), ``<>value``, ``>value``,
``>=value``, ``<value``, ``<=value``, ``low..high`` / ``low..`` / ``..high`` (inclusive
range), ``''`` (empty), or text with ``*`` wildcards (``DLR-*``). Values are read as the
field's type (``Last_Modified`` as an ISO 8601 time, ``Credit_Limit_LCY`` as a decimal), so
``Last_Modified`` ``>=2026-03-01T00:00:00Z`` is the incremental read.

Errors: ``CriteriaError`` (a ``ValueError``) names the field and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from demo.erp.records import FIELDS

Predicate = Callable[[Any], bool]
RecordTest = Callable[[dict[str, Any]], bool]

FIELD_TYPES: dict[str, type] = {
    "Credit_Limit_LCY": Decimal,
    "Unit_Price": Decimal,
    "Amount": Decimal,
    "Inventory": int,
    "Reserved_Qty": int,
    "Qty_in_Transit": int,
    "Reorder_Point": int,
    "Launch_Date": date,
    "Order_Date": date,
    "Last_Modified": datetime,
    "Last_Receipt_At": datetime,
    "Last_Sale_At": datetime,
}
NOT_FILTERABLE = frozenset({"Key", "Sales_Lines"})
_COMPARISON = re.compile(r"^(<>|>=|<=|>|<|=)?(.*)$", re.DOTALL)


class CriteriaError(ValueError):
    """A filter this ERP cannot apply."""


def _parse(kind: type, text: str, field: str) -> Any:
    text = text.strip()
    try:
        if kind is datetime:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if kind is date:
            return date.fromisoformat(text)
        if kind is Decimal:
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError(text)
            return value
        if kind is int:
            return int(text)
    except (ValueError, InvalidOperation):
        raise CriteriaError(f"{field}: {text!r} is not a valid {kind.__name__}") from None
    return text


def _wildcard(pattern: str) -> Predicate:
    regex = re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")
    return lambda value: isinstance(value, str) and regex.match(value) is not None


def _alternative(kind: type, text: str, field: str) -> Predicate:
    if text == "''":
        return lambda value: value is None or value == ""
    if ".." in text:
        low_text, high_text = text.split("..", 1)
        low = _parse(kind, low_text, field) if low_text.strip() else None
        high = _parse(kind, high_text, field) if high_text.strip() else None
        return lambda value: (
            value is not None and (low is None or value >= low) and (high is None or value <= high)
        )
    match = _COMPARISON.match(text)
    assert match is not None  # the pattern matches any text
    operator, operand = match.group(1) or "=", match.group(2)
    if kind is str and "*" in operand and operator == "=":
        return _wildcard(operand)
    target = _parse(kind, operand, field)
    tests: dict[str, Predicate] = {
        "=": lambda value: value == target,
        "<>": lambda value: value != target,
        ">": lambda value: value is not None and value > target,
        ">=": lambda value: value is not None and value >= target,
        "<": lambda value: value is not None and value < target,
        "<=": lambda value: value is not None and value <= target,
    }
    return tests[operator]


def compile_criteria(field: str, criteria: str) -> Predicate:
    """A test of one field's value for ``criteria`` (alternatives joined by ``|``)."""
    kind = FIELD_TYPES.get(field, str)
    if criteria.strip() in ("", "*"):
        return lambda value: True
    alternatives = [_alternative(kind, part, field) for part in criteria.split("|")]
    return lambda value: any(test(value) for test in alternatives)


def compile_filters(table: str, filters: Sequence[tuple[str, str]]) -> RecordTest:
    """A test of a record's ``values()`` for every filter of a ``ReadMultiple*`` call."""
    tests: list[tuple[str, Predicate]] = []
    for field, criteria in filters:
        if field not in FIELDS[table] or field in NOT_FILTERABLE:
            raise CriteriaError(f"{field!r} is not a field of {table} that can be filtered on")
        tests.append((field, compile_criteria(field, criteria)))
    return lambda values: all(test(values.get(field)) for field, test in tests)
