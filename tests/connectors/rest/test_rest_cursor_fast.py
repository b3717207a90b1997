"""The incremental cursor of a REST stream read without the JMESPath interpreter: a plain
``a.b`` cursor field finds exactly what JMESPath finds, and the largest cursor is kept."""

from __future__ import annotations

from typing import Any

import jmespath
from hypothesis import given
from hypothesis import strategies as st

from connectors.rest.config import IncrementalSync
from connectors.rest.records import Incremental


def incremental(field: str) -> Incremental:
    return Incremental(IncrementalSync(cursor_field=field, request_param="since"))


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.sampled_from(["2025-01-02T03:04:05Z", "2025-01-02", "x"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["updated_at", "meta", "at", "null"]), inner, max_size=3),
    ),
    max_leaves=10,
)
records = st.dictionaries(st.sampled_from(["updated_at", "meta", "at", "id"]), json_values)
FIELDS = ["updated_at", "meta.at", "meta.updated_at.at", "meta.null", "meta[0]", "meta.*"]


@given(records, st.sampled_from(FIELDS))
def test_the_cursor_of_a_record_is_what_jmespath_finds(record: dict[str, Any], field: str):
    assert incremental(field).cursor_of(record) == jmespath.search(field, record)


def test_the_largest_cursor_wins_and_an_equal_instant_keeps_the_one_seen_first():
    records: list[dict[str, Any]] = [
        {"meta": {"at": "2025-01-10T08:00:00+00:00"}},
        {"meta": "not an object"},
        {"meta": {"at": "2025-01-12T09:30:00Z"}},
        {"meta": {"at": "2025-01-12T10:30:00+01:00"}},  # the same instant
        {},
    ]
    assert incremental("meta.at").max_cursor(None, records) == "2025-01-12T09:30:00Z"
    later = "2025-02-01T00:00:00+00:00"
    assert incremental("meta.at").max_cursor(later, records) == later


def test_numbers_order_as_numbers_and_text_after_them():
    records: list[dict[str, Any]] = [{"at": 9}, {"at": 10.5}, {"at": "zz"}, {"at": 11}]
    assert incremental("at").max_cursor(None, records) == "zz"
    assert incremental("at").max_cursor(None, records[:2] + records[3:]) == 11
