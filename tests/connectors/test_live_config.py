"""The ``live`` block of a stream: what validates, what is refused (with the path and plain
words), ``live: false`` from configs stored before live blocks, and the JSON Schema."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from connectors.config import ConfigFileError, config_from_data, json_schema
from connectors.live import read_values
from connectors.live_config import RestLiveField

REST: dict[str, Any] = {
    "name": "finance",
    "kind": "rest",
    "connection": {"base_url": "http://127.0.0.1:9/api"},
    "streams": [
        {
            "name": "credit_balances",
            "request": {"path": "/credit-balances"},
            "record_selector": "items",
            "live": {
                "entity": "partner",
                "field": "creditBalance",
                "key": "code",
                "key_param": "customers",
                "match": "customer",
                "values": {
                    "balance": {"source": "balance", "cast": "decimal", "required": True},
                    "currency": "currency",
                },
            },
        }
    ],
}

SOAP: dict[str, Any] = {
    "name": "erp",
    "kind": "soap",
    "connection": {"wsdl": "http://127.0.0.1:9/erp.wsdl"},
    "streams": [
        {
            "name": "delivery",
            "operation": "DeliveryStatus",
            "args": {"orders": "{keys}"},
            "record_path": "status",
            "live": {
                "entity": "order",
                "field": "deliveryStatus",
                "key": "number",
                "match": "OrderNo",
                "values": {"status": "Status", "eta": {"source": "Eta", "cast": "date"}},
            },
        }
    ],
}


def _with(base: dict[str, Any], **live: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    block = data["streams"][0]["live"]
    for name, value in live.items():
        if value is None:
            block.pop(name, None)
        else:
            block[name] = value
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigFileError) as invalid:
        config_from_data(data)
    return invalid.value.errors


def test_a_rest_live_block_with_its_defaults() -> None:
    live = config_from_data(REST).streams[0].live
    assert isinstance(live, RestLiveField)
    assert (live.entity, live.field, live.key, live.key_param) == (
        "partner",
        "creditBalance",
        "code",
        "customers",
    )
    assert (live.ttl_seconds, live.timeout_seconds, live.batch_size) == (60.0, 3.0, 100)
    assert live.key_separator == ","


def test_a_soap_live_block() -> None:
    live = config_from_data(SOAP).streams[0].live
    assert live is not None and live.entity == "order" and live.key == "number"


def test_values_are_mapped_exactly() -> None:
    live = config_from_data(REST).streams[0].live
    assert live is not None
    records = [
        {"customer": "C1", "balance": "1234.56", "currency": "CNY"},
        {"customer": "C2", "balance": 0.1, "currency": "CNY"},
        {"customer": "C3", "balance": "not a number", "currency": "CNY"},
        {"customer": "C9", "balance": "1", "currency": "CNY"},  # not asked for
    ]
    answer = read_values(live, records, ["C1", "C2", "C3", "C4"])
    assert answer.values == {
        "C1": {"balance": "1234.56", "currency": "CNY"},
        "C2": {"balance": "0.1", "currency": "CNY"},
    }
    assert Decimal(answer.values["C1"]["balance"]) == Decimal("1234.56")
    assert set(answer.problems) == {"C3"}
    assert answer.problems["C3"].startswith("balance: expected a decimal number")
    assert "not a number" not in answer.problems["C3"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"key": "sku"}, "streams[0].live: key 'sku' is not a natural key of partner"),
        ({"entity": "invoice"}, "streams[0].live.entity: must be one of"),
        ({"field": "9lives"}, "streams[0].live.field: must be a GraphQL name"),
        ({"field": "credit-balance"}, "streams[0].live.field: must be a GraphQL name"),
        ({"match": None}, "streams[0].live.match: is required"),
        ({"match": "a..b"}, "streams[0].live.match: not a valid record path"),
        ({"values": {}}, "streams[0].live.values: must name at least one value"),
        (
            {"values": {"owner": {"source": "owner", "ref": "partner"}}},
            "streams[0].live.values: owner: a live value cannot be a ref",
        ),
        ({"ttl_seconds": -1}, "streams[0].live.ttl_seconds: must be >= 0"),
        ({"timeout_seconds": 0}, "streams[0].live.timeout_seconds: must be > 0"),
        ({"batch_size": 0}, "streams[0].live.batch_size: must be >= 1"),
        ({"colour": "red"}, "streams[0].live.colour: is not a known setting here"),
        ({"key_param": None}, "streams[0]: live: give key_param, or put {key} in request.path"),
    ],
)
def test_rest_live_block_problems(change: dict[str, Any], expected: str) -> None:
    problems = _problems(_with(REST, **change))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_one_request_per_key_when_the_path_holds_it() -> None:
    data = _with(REST, key_param=None)
    data["streams"][0]["request"]["path"] = "/credit-balances/{key}"
    live = config_from_data(data).streams[0].live
    assert isinstance(live, RestLiveField) and live.key_param is None


def test_soap_args_must_take_the_keys() -> None:
    data = copy.deepcopy(SOAP)
    data["streams"][0]["args"] = {"orders": "ALL"}
    assert _problems(data) == ["streams[0]: live: the stream's args must hold {keys} or {key}"]
    data["streams"][0]["args"] = {"filter": [{"Field": "No", "Criteria": "{keys}"}]}
    assert config_from_data(data).streams[0].live is not None
    data["streams"][0]["args"] = {"order": "{key}"}
    assert config_from_data(data).streams[0].live is not None
    assert _problems(_with(SOAP, key_param="orders")) == [
        "streams[0].live.key_param: is not a known setting here"
    ]


def test_one_field_name_per_entity_in_a_connector() -> None:
    data = copy.deepcopy(REST)
    second = copy.deepcopy(data["streams"][0])
    second["name"] = "credit_balances_again"
    data["streams"].append(second)
    assert _problems(data) == [
        "live fields declared by more than one stream: partner.creditBalance"
    ]
    second["live"]["field"] = "creditBalanceAgain"
    assert config_from_data(data).streams[1].live is not None


def test_live_false_means_not_live_and_true_asks_for_a_block() -> None:
    data = copy.deepcopy(REST)
    data["streams"][0]["live"] = False  # what configs stored before live blocks hold
    assert config_from_data(data).streams[0].live is None
    data["streams"][0]["live"] = True
    assert _problems(data) == [
        "streams[0].live: `live: true` is not enough: give a live block "
        "(entity, field, key, match, values; see the connector reference)"
    ]


def test_the_json_schema_describes_the_block() -> None:
    text = str(json_schema())
    for word in ("RestLiveField", "SoapLiveField", "key_param", "ttl_seconds", "timeout_seconds"):
        assert word in text
