"""What the outbox needs from connector kinds: triggers and lookups in the config (and its
JSON Schema), per-line SOAP argument templates, and the REST lookup by idempotency key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from connectors.config import json_schema
from connectors.errors import PermanentError, RetriableError
from connectors.outbound import SupportsLookup
from connectors.rest.testing import FakeTime, config, json_response, open_connector
from connectors.soap import SoapConnector, SoapConnectorConfig
from connectors.soap.templates import fill
from tests.jobs.outbox_erp import ErpRecords, soap_config, soap_erp

pytestmark = pytest.mark.anyio

LINES = [
    {"sku": "A-1", "quantity": 2, "unit_price": "9.9000"},
    {"sku": "B-2", "quantity": 1, "unit_price": "120.0000"},
]


def test_each_template_renames_every_lines_keys_and_sees_the_outer_record():
    template = {
        "No": "{order_number}",
        "Lines": {
            "Line": {
                "_each": "{lines}",
                "_item": {"Item": "{sku}", "Qty": "{quantity}", "Ref": "{order_number}/{sku}"},
            }
        },
    }
    record = {"order_number": "SO-7", "lines": LINES}
    assert fill(template, record) == {
        "No": "SO-7",
        "Lines": {
            "Line": [
                {"Item": "A-1", "Qty": 2, "Ref": "SO-7/A-1"},
                {"Item": "B-2", "Qty": 1, "Ref": "SO-7/B-2"},
            ]
        },
    }


def test_each_template_of_a_missing_or_single_value():
    template = {"_each": "{lines}", "_item": {"Item": "{sku}"}}
    assert fill(template, {}) == []
    assert fill(template, {"lines": {"sku": "X"}}) == [{"Item": "X"}]


def test_each_template_with_other_keys_is_refused_at_validation():
    raw = {
        "name": "create",
        "operation": "Create",
        "args": {"Lines": {"_each": "{lines}", "_item": {}, "extra": 1}},
    }
    config_data = {
        "name": "erp",
        "kind": "soap",
        "connection": {"wsdl": "erp.wsdl"},
        "operations": [raw],
    }
    with pytest.raises(ValidationError, match="takes exactly the keys '_each' and '_item'"):
        SoapConnectorConfig.model_validate(config_data)


def test_trigger_and_lookup_are_validated_and_documented():
    with pytest.raises(ValidationError, match=r"order\.approved"):
        config(operations=[{"name": "w", "path": "/w", "trigger": "order.shipped"}])
    schema = str(json_schema())
    assert "Hub event that sends records through this operation via the outbox" in schema
    assert "How to find a record an earlier attempt created" in schema
    assert "'{idempotency_key}'" in schema


LOOKUP_OPERATION: dict[str, Any] = {
    "name": "create_order",
    "path": "/orders",
    "trigger": "order.approved",
    "lookup": {
        "path": "/orders/by-key/{idempotency_key}",
        "params": {"fields": "id", "partner": "{partner_code}"},
        "reference_path": "data[0].id",
    },
}


async def test_rest_lookup_finds_the_record_by_key_without_writing():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({"data": [{"id": "SO-100"}]})

    record = {"partner_code": "P 1", "lines": []}
    async with open_connector(config(operations=[LOOKUP_OPERATION]), handler) as connector:
        assert isinstance(connector, SupportsLookup)
        found = await connector.lookup("create_order", record, idempotency_key="order/1:x")
    assert found is not None and found.reference == "SO-100"
    [request] = seen
    assert request.method == "GET"
    assert request.url.raw_path.decode() == "/api/orders/by-key/order%2F1%3Ax?fields=id&partner=P+1"


@pytest.mark.parametrize(
    ("status", "body"), [(404, {"error": "no such order"}), (200, {"data": []}), (200, {})]
)
async def test_rest_lookup_of_an_unknown_key_is_none(status: int, body: Any):
    async with open_connector(
        config(operations=[LOOKUP_OPERATION]), lambda r: json_response(body, status)
    ) as connector:
        assert (
            await connector.lookup("create_order", {"partner_code": "P"}, idempotency_key="k")
            is None
        )


async def test_rest_lookup_retries_a_server_error_then_answers():
    answers = [json_response({}, 503), json_response({"data": [{"id": 42}]})]
    fake = FakeTime()
    async with open_connector(
        config(operations=[LOOKUP_OPERATION]), lambda r: answers.pop(0), fake
    ) as connector:
        found = await connector.lookup("create_order", {"partner_code": "P"}, idempotency_key="k")
    assert found is not None and found.reference == "42"
    assert len(fake.sleeps) == 1


async def test_rest_lookup_without_a_declared_lookup_is_none_and_sends_nothing():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({"id": 1})

    plain = {"name": "create_order", "path": "/orders"}
    async with open_connector(config(operations=[plain]), handler) as connector:
        assert await connector.lookup("create_order", {}, idempotency_key="k") is None
    assert seen == []


async def test_rest_lookup_pointing_at_an_object_is_permanent():
    async with open_connector(
        config(operations=[LOOKUP_OPERATION]), lambda r: json_response({"data": [{"id": {}}]})
    ) as connector:
        with pytest.raises(PermanentError, match="not a remote id"):
            await connector.lookup("create_order", {"partner_code": "P"}, idempotency_key="k")


async def test_soap_lookup_without_a_declared_lookup_is_none():
    soap = SoapConnectorConfig.model_validate(
        {
            "name": "erp",
            "kind": "soap",
            "connection": {"wsdl": "/nonexistent.wsdl"},
            "operations": [{"name": "create", "operation": "Create"}],
        }
    )
    connector = SoapConnector(soap)
    try:
        assert await connector.lookup("create", {}, idempotency_key="k") is None
    finally:
        await connector.aclose()


RECORD: dict[str, Any] = {"partner_code": "P1", "currency": "CNY", "lines": LINES}


async def test_soap_lookup_finds_a_written_record_and_a_not_found_fault_means_none():
    erp = ErpRecords(fault_when_missing=True)
    with soap_erp(erp) as url:
        config = soap_config("erp", url)
        config["operations"][0]["lookup"]["not_found_faults"] = ["THERE IS NO SALES ORDER"]
        connector = SoapConnector(SoapConnectorConfig.model_validate(config))
        try:
            assert isinstance(connector, SupportsLookup)
            missing = await connector.lookup("create_sales_order", RECORD, idempotency_key="K-1")
            written = await connector.write("create_sales_order", RECORD, idempotency_key="K-1")
            found = await connector.lookup("create_sales_order", RECORD, idempotency_key="K-1")
        finally:
            await connector.aclose()
    assert missing is None
    assert found is not None and found.reference == written.reference == "SO00001"
    assert erp.lookups == 2 and erp.creates == 1
    assert erp.orders[0]["lines"] == [
        {"No": "A-1", "Quantity": 2, "Unit_Price": Decimal("9.9000")},
        {"No": "B-2", "Quantity": 1, "Unit_Price": Decimal("120.0000")},
    ]


async def test_soap_lookup_fault_not_declared_as_not_found_is_an_error():
    erp = ErpRecords(fault_when_missing=True)
    with soap_erp(erp) as url:
        connector = SoapConnector(SoapConnectorConfig.model_validate(soap_config("erp", url)))
        try:
            with pytest.raises(RetriableError, match="There is no Sales Order K-1"):
                await connector.lookup("create_sales_order", RECORD, idempotency_key="K-1")
        finally:
            await connector.aclose()
    assert erp.creates == 0
