"""Writes carry the idempotency key; discovery lists streams, operations and OpenAPI paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.errors import MappingError, PermanentError
from connectors.rest import RestConnector
from connectors.rest.testing import body_of, config, json_response, open_connector

pytestmark = pytest.mark.anyio

OPERATIONS: list[dict[str, Any]] = [
    {
        "name": "create_order",
        "path": "/partners/{partner}/orders",
        "body": {"partner_id": "{partner}", "lines": "{lines}", "note": "hub order {number}"},
        "reference_path": "result.document_no",
    },
    {"name": "raw", "method": "PUT", "path": "/raw", "idempotency_header": "X-Request-Id"},
]


async def test_write_sends_the_idempotency_key_and_returns_the_reference():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({"result": {"document_no": 4711}}, 201)

    record = {"partner": 12, "lines": [{"sku": "A", "qty": 2}], "number": "SO-1"}
    async with open_connector(config(operations=OPERATIONS), handler) as connector:
        result = await connector.write("create_order", record, idempotency_key="outbox-77")
    assert result.reference == "4711"
    request = seen[0]
    assert request.method == "POST"
    assert request.url.path == "/api/partners/12/orders"
    assert request.headers["Idempotency-Key"] == "outbox-77"
    assert body_of(request) == {
        "partner_id": 12,
        "lines": [{"sku": "A", "qty": 2}],
        "note": "hub order SO-1",
    }


async def test_write_without_template_sends_the_record_and_retries_with_the_same_key():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response({}, 503) if len(seen) == 1 else json_response({"id": "R-1"})

    async with open_connector(config(operations=OPERATIONS), handler) as connector:
        result = await connector.write("raw", {"a": 1}, idempotency_key="k-1")
    assert result.reference == "R-1"
    assert [r.headers["X-Request-Id"] for r in seen] == ["k-1", "k-1"]
    assert body_of(seen[1]) == {"a": 1}


async def test_write_without_a_reference_in_the_response_is_permanent():
    async with open_connector(config(operations=OPERATIONS), lambda r: json_response({})) as c:
        with pytest.raises(PermanentError, match="no remote id at 'id'"):
            await c.write("raw", {"a": 1}, idempotency_key="k-1")


async def test_write_with_a_field_missing_from_the_record_is_a_mapping_error():
    async with open_connector(config(operations=OPERATIONS), lambda r: json_response({})) as c:
        with pytest.raises(MappingError) as caught:
            await c.write("create_order", {"lines": []}, idempotency_key="k-1")
    assert caught.value.path == "partner"


async def test_discover_lists_stream_fields_from_a_sample_and_operations():
    sample = {"data": [{"id": 1, "name": "Acme", "price": 9.5, "active": True, "tags": []}]}
    async with open_connector(config(operations=OPERATIONS), lambda r: json_response(sample)) as c:
        found = await c.discover()
    orders, create, raw = found
    assert (orders.name, orders.kind) == ("orders", "stream")
    assert [(f.name, f.type) for f in orders.fields] == [
        ("id", "integer"),
        ("name", "string"),
        ("price", "number"),
        ("active", "boolean"),
        ("tags", "array"),
    ]
    assert (create.kind, create.description) == ("operation", "POST /partners/{partner}/orders")
    assert raw.name == "raw"


def test_discover_openapi_lists_paths_with_their_schemas():
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/orders": {
                "get": {
                    "operationId": "listOrders",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "data": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Order"},
                                            }
                                        },
                                    }
                                }
                            }
                        }
                    },
                },
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
                        }
                    },
                    "responses": {"201": {}},
                },
            }
        },
        "components": {
            "schemas": {
                "Order": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
                }
            }
        },
    }
    listed = RestConnector.discover_openapi(document)
    assert [(e.name, e.kind) for e in listed] == [
        ("listOrders", "stream"),
        ("POST /orders", "operation"),
    ]
    for endpoint in listed:
        assert [(f.name, f.type, f.required) for f in endpoint.fields] == [
            ("id", "string", True),
            ("total", "number", False),
        ]
