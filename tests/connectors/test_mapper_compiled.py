"""Compiled mappings (``connectors.mapping_plan``): compiled once per mapping object, yet every
problem of a record is still found per record, in rule order, with the same reasons; records
that are other mappings than ``dict`` map the same; the plan cache keeps no mapping alive."""

from __future__ import annotations

import gc
import weakref
from collections import OrderedDict
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.mapper import map_page, map_record
from connectors.mapping_config import EntityMapping


def no_refs(entity: str, external_id: str) -> int | None:
    return None


def mapping(fields: dict[str, Any], **extra: Any) -> EntityMapping:
    return EntityMapping.model_validate(
        {"entity": "order", "external_id": "id", "fields": fields, **extra}
    )


def test_a_malformed_path_rejects_each_record_that_reaches_it_in_rule_order():
    bad = mapping(
        {
            "total": {"source": "amount", "cast": "decimal", "required": True},
            "note": {"template": "{a..b} / {id}"},
        }
    )
    mapped, rejected = map_page(bad, [{"id": "1", "amount": "2.50"}, {"id": "2"}], no_refs)
    assert mapped == []
    assert [(r.index, r.external_id, r.reason) for r in rejected] == [
        (0, "1", "malformed source path 'a..b'"),
        (1, "2", "total: is required but missing"),  # an earlier rule fails first
    ]


def test_a_malformed_external_id_path_rejects_records_without_an_id():
    bad = EntityMapping.model_validate({"entity": "order", "external_id": "x[", "fields": {}})
    mapped, rejected = map_page(bad, [{"x": 1}], no_refs)
    assert mapped == []
    assert [(r.reason, r.external_id) for r in rejected] == [("malformed source path 'x['", None)]


def test_a_default_that_does_not_cast_fails_only_records_that_need_it():
    counted = mapping({"quantity": {"source": "qty", "cast": "int", "default": "many"}})
    mapped, rejected = map_page(
        counted, [{"id": "1", "qty": "3"}, {"id": "2", "qty": " "}], no_refs
    )
    assert [m.values for m in mapped] == [{"quantity": 3}]
    assert [(r.external_id, r.reason) for r in rejected] == [("2", "quantity: expected an integer")]


def test_value_map_targets_are_cast_and_a_bad_target_fails_only_its_code():
    dated = mapping(
        {"due": {"source": "s", "cast": "date", "value_map": {"1": "2024-01-02", "2": "soon"}}}
    )
    records = [{"id": "a", "s": 1}, {"id": "b", "s": "2"}, {"id": "c", "s": "3"}]
    mapped, rejected = map_page(dated, records, no_refs)
    assert [m.values for m in mapped] == [{"due": date(2024, 1, 2)}]
    assert [r.reason for r in rejected] == [
        "due: expected an ISO 8601 date (YYYY-MM-DD)",
        "due: unknown code '3' (not in the value map)",
    ]


def test_a_default_fills_a_required_field_and_blank_text_counts_as_missing():
    priced = mapping(
        {
            "price": {"source": "p", "cast": "decimal", "required": True, "default": "0.00"},
            "code": {"source": "c", "required": True},
        }
    )
    mapped, rejected = map_page(
        priced, [{"id": "1", "p": "  ", "c": ""}, {"id": "2", "p": "1.5"}], no_refs
    )
    assert [m.values for m in mapped] == [{"price": Decimal("0.00"), "code": ""}]
    assert [r.reason for r in rejected] == ["code: is required but missing"]


def test_a_reused_object_id_never_maps_with_another_mappings_plan():
    reads_x = mapping({"v": "x"})
    assert map_record(reads_x, {"id": "1", "x": "from x", "y": "from y"}, no_refs).values == {
        "v": "from x"
    }
    del reads_x
    gc.collect()
    for _ in range(200):  # fresh objects soon land on the freed address (and on each other's)
        reads_y = mapping({"v": "y"})
        mapped = map_record(reads_y, {"id": "1", "x": "from x", "y": "from y"}, no_refs)
        assert mapped.values == {"v": "from y"}


def test_the_plan_cache_keeps_no_mapping_alive():
    short_lived = mapping({"v": "x"})
    map_page(short_lived, [{"id": "1", "x": "a"}], no_refs)
    watcher = weakref.ref(short_lived)
    del short_lived
    gc.collect()
    assert watcher() is None


ORDER = mapping(
    {
        "number": "id",
        "status": {"source": "st", "value_map": {"1": "OPEN", "2": "SHIPPED"}, "default": "DRAFT"},
        "total": {"source": "sum.gross", "cast": "decimal"},
        "placed": {"source": "when", "cast": "datetime", "timezone": "Europe/Berlin"},
        "paid": {"source": "flags[0]", "cast": "bool"},
        "label": {"template": "{id}-{sum.gross}"},
    },
    lines={"source": "lines", "fields": {"qty": {"source": "q", "cast": "int", "required": True}}},
)

values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.sampled_from(["1", "2", "", " 3.5 ", "x", "2024-07-01T10:00:00", "true", "0"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
records = st.fixed_dictionaries(
    {"id": st.sampled_from(["A1", 7, None])},
    optional={
        "st": values,
        "sum": st.one_of(values, st.fixed_dictionaries({}, optional={"gross": values})),
        "when": values,
        "flags": st.one_of(values, st.lists(values, max_size=2)),
        "lines": st.one_of(values, st.lists(st.fixed_dictionaries({}, optional={"q": values}))),
    },
)


def outcome(record: Any) -> tuple[Any, ...]:
    mapped, rejected = map_page(ORDER, [record], no_refs)
    if mapped:
        return ("mapped", mapped[0].external_id, mapped[0].values, mapped[0].lines)
    return ("rejected", rejected[0].external_id, rejected[0].reason)


def as_mapping_types(value: Any) -> Any:
    """``value`` with every dict replaced by a read-only mapping or an OrderedDict."""
    if isinstance(value, dict):
        inner = {key: as_mapping_types(item) for key, item in value.items()}
        return MappingProxyType(inner) if len(inner) % 2 else OrderedDict(inner)
    if isinstance(value, list):
        return tuple(as_mapping_types(item) for item in value)
    return value


@given(records)
def test_any_mapping_type_and_tuples_map_like_dicts_and_lists(record):
    assert outcome(as_mapping_types(record)) == outcome(record)
