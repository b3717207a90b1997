"""The mapping engine on whole records and pages: paths, templates, value maps, defaults,
references by external id, lines, and quarantine-ready rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import MappingError
from connectors.mapper import map_page, map_record, read_path
from connectors.mapping_config import EntityMapping

PARTNERS = {"P-1": 11, "P-2": 12}
PRODUCTS = {"SKU-A": 21, "SKU-B": 22}


def resolve(entity: str, external_id: str) -> int | None:
    return {"partner": PARTNERS, "product": PRODUCTS}.get(entity, {}).get(external_id)


ORDER = EntityMapping.model_validate(
    {
        "entity": "order",
        "external_id": "DocNo",
        "fields": {
            "number": "DocNo",
            "partner_id": {"source": "Customer.Code", "ref": "partner", "required": True},
            "status": {
                "source": "Status",
                "value_map": {"1": "SUBMITTED", "2": "SHIPPED"},
                "default": "DRAFT",
            },
            "placed_at": {"source": "Date", "cast": "datetime", "timezone": "Europe/Berlin"},
            "total": {"source": "Totals.Gross", "cast": "decimal", "required": True},
            "note": {"template": "{Customer.Name} / {DocNo}"},
            "currency": {"default": "EUR"},
        },
        "lines": {
            "source": "Lines",
            "fields": {
                "product_id": {"source": "Item", "ref": "product", "required": True},
                "quantity": {"source": "Qty", "cast": "int", "required": True},
                "unit_price": {"source": "Price", "cast": "decimal"},
            },
        },
    }
)


def order(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "DocNo": 1001,
        "Customer": {"Code": "P-1", "Name": "Acme"},
        "Status": 2,
        "Date": "2024-07-01T10:00:00",
        "Totals": {"Gross": "150.50"},
        "Lines": [
            {"Item": "SKU-A", "Qty": "2", "Price": "50.25"},
            {"Item": "SKU-B", "Qty": 1, "Price": 50},
        ],
    }
    record.update(changes)
    return record


def test_an_order_maps_with_refs_casts_templates_defaults_and_lines():
    mapped = map_record(ORDER, order(), resolve)
    assert mapped.entity == "order"
    assert mapped.external_id == "1001"
    assert mapped.values == {
        "number": "1001",
        "partner_id": 11,
        "status": "SHIPPED",
        "placed_at": datetime(2024, 7, 1, 8, 0, tzinfo=UTC),
        "total": Decimal("150.50"),
        "note": "Acme / 1001",
        "currency": "EUR",
    }
    assert mapped.lines == [
        {"product_id": 21, "quantity": 2, "unit_price": Decimal("50.25")},
        {"product_id": 22, "quantity": 1, "unit_price": Decimal(50)},
    ]


def test_missing_optional_values_become_defaults_or_none():
    mapped = map_record(ORDER, order(Status=None, Date=None, Customer={"Code": "P-2"}), resolve)
    assert mapped.values["status"] == "DRAFT"
    assert mapped.values["placed_at"] is None
    assert mapped.values["note"] is None  # a template with a missing part is missing
    assert mapped.values["partner_id"] == 12


def test_read_path_follows_dots_and_indexes_and_misses_quietly():
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}, "s": "text"}
    assert read_path(record, "a.b[1].c") == 2
    assert read_path(record, "a.b[5].c") is None
    assert read_path(record, "a.x.c") is None
    assert read_path(record, "s[0]") is None
    assert read_path(record, "s.c") is None


@pytest.mark.parametrize("path", ["a..b", ".a", "a.", "a[x]", "a[0"])
def test_malformed_paths_are_refused(path):
    with pytest.raises(MappingError, match="malformed"):
        read_path({}, path)


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"Status": 9}, "status", "unknown code '9'"),
        ({"Customer": {"Code": "P-404"}}, "partner_id", "no partner with external id 'P-404'"),
        ({"Customer": {}}, "partner_id", "required"),
        ({"Totals": {"Gross": "1,234.50"}}, "total", "decimal"),
        ({"Date": "01/07/2024"}, "placed_at", "ISO 8601"),
        ({"DocNo": None}, "external_id", "no external id"),
        ({"Lines": "nope"}, "lines", "expected a list"),
        ({"Lines": [{"Item": "SKU-A", "Qty": 1}, 5]}, "lines[1]", "not an object"),
    ],
)
def test_each_failure_names_the_hub_field(changes, path, words):
    with pytest.raises(MappingError) as caught:
        map_record(ORDER, order(**changes), resolve)
    assert caught.value.path == path
    assert words in caught.value.reason


def test_a_bad_line_names_its_index_and_field():
    lines = [
        {"Item": "SKU-A", "Qty": 1},
        {"Item": "SKU-A", "Qty": 1},
        {"Item": "SKU-B", "Qty": "1.5"},
    ]
    with pytest.raises(MappingError) as caught:
        map_record(ORDER, order(Lines=lines), resolve)
    assert caught.value.path == "lines[2].quantity"
    assert str(caught.value).startswith("lines[2].quantity: expected an integer")


def test_cast_errors_do_not_echo_the_value():
    with pytest.raises(MappingError) as caught:
        map_record(ORDER, order(Totals={"Gross": "SECRET-1,99"}), resolve)
    assert "SECRET" not in str(caught.value)


def test_one_bad_record_does_not_stop_the_page():
    records = [order(), order(DocNo=1002, Status=7), "not a record", order(DocNo=1003)]
    mapped, rejected = map_page(ORDER, records, resolve)
    assert [m.external_id for m in mapped] == ["1001", "1003"]
    assert [(r.index, r.external_id) for r in rejected] == [(1, "1002"), (2, None)]
    assert rejected[0].reason == "status: unknown code '7' (not in the value map)"
    assert rejected[0].raw is records[1]
    assert rejected[1].reason == "the record is not an object"


def test_bare_string_rules_are_source_paths_cast_to_text():
    mapping = EntityMapping.model_validate(
        {"entity": "product", "external_id": "id", "fields": {"sku": "code", "name": "n.en"}}
    )
    mapped = map_record(mapping, {"id": 5, "code": 77, "n": {"en": "Bolt"}}, resolve)
    assert mapped.values == {"sku": "77", "name": "Bolt"}
    assert mapped.lines == []
