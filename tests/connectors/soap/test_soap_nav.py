"""NAV page services (unmodified Customer/Vendor WSDL) read by config with bookmark paging."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.protocol import Connector
from connectors.soap import SoapConnector, SoapConnectorConfig

from .conftest import NavStub

pytestmark = pytest.mark.anyio


def nav_config(stub: NavStub, page: str, **connection: Any) -> SoapConnectorConfig:
    return SoapConnectorConfig.model_validate(
        {
            "name": f"nav-{page.lower()}",
            "kind": "soap",
            "connection": {"wsdl": f"{stub.base_url}/{page}?wsdl", **connection},
            "streams": [
                {
                    "name": page.lower(),
                    "operation": "ReadMultiple",
                    "args": {
                        "filter": [{"Field": "No", "Criteria": "*"}],
                        "bookmarkKey": "{bookmark}",
                    },
                    "paginator": {"type": "bookmark", "page_size": 10},
                }
            ],
        }
    )


def fake_rows(prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {"Key": f"K;{prefix}{n:03d};", "No": f"{prefix}{n:03d}", "Name": f"{prefix} {n}"}
        for n in range(count)
    ]


async def read_all(connector: SoapConnector, stream: str) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    pages = 0
    async for page in connector.read(stream):
        pages += 1
        records += page.records
    return records, pages


async def test_nav_customers_are_read_exactly_once_with_bookmark_paging(nav_stub: NavStub) -> None:
    nav_stub.records["Customer"] = fake_rows("C", 23)
    connector = SoapConnector(nav_config(nav_stub, "Customer"))
    assert isinstance(connector, Connector)
    records, pages = await read_all(connector, "customer")
    assert [r["No"] for r in records] == [f"C{n:03d}" for n in range(23)]
    assert pages == 4  # 10 + 10 + 3 + the empty page
    actions = {headers.get("SOAPAction") for headers, _ in nav_stub.requests}
    assert actions == {'"urn:microsoft-dynamics-schemas/page/customer:ReadMultiple"'}
    await connector.aclose()


async def test_nav_read_resumes_from_saved_bookmark(nav_stub: NavStub) -> None:
    nav_stub.records["Customer"] = fake_rows("C", 23)
    connector = SoapConnector(nav_config(nav_stub, "Customer"))
    first = await anext(aiter(connector.read("customer")))
    rest: list[dict[str, Any]] = []
    async for page in connector.read("customer", first.state):
        rest += page.records
    assert len(first.records) + len(rest) == 23
    assert rest[0]["No"] == "C010"


async def test_nav_vendors_are_read_by_config(nav_stub: NavStub) -> None:
    nav_stub.records["Vendor"] = fake_rows("V", 12)
    connector = SoapConnector(nav_config(nav_stub, "Vendor"))
    records, pages = await read_all(connector, "vendor")
    assert [r["No"] for r in records] == [f"V{n:03d}" for n in range(12)]
    assert pages == 3


async def test_nav_with_basic_auth_and_address_override(nav_stub: NavStub) -> None:
    nav_stub.basic_auth = ("nav-user", "s3cret-pass")
    nav_stub.records["Customer"] = fake_rows("C", 3)
    auth = {"type": "basic", "username": "nav-user", "password": "s3cret-pass"}
    config = nav_config(
        nav_stub, "Customer", authenticator=auth, address=f"{nav_stub.base_url}/Customer"
    )
    connector = SoapConnector(config)
    assert (await connector.check()).ok
    records, _ = await read_all(connector, "customer")
    assert len(records) == 3


async def test_nav_discover_lists_operations_and_record_fields(nav_stub: NavStub) -> None:
    connector = SoapConnector(nav_config(nav_stub, "Customer"))
    found = {(e.kind, e.name): e for e in await connector.discover()}
    assert {"Read", "ReadMultiple", "Create", "Update"} <= {n for k, n in found if k == "operation"}
    read_multiple = {f.name for f in found["operation", "ReadMultiple"].fields}
    assert read_multiple == {"filter", "bookmarkKey", "setSize"}
    customer = {f.name for f in found["record_type", "Customer"].fields}
    assert {"Key", "No", "Name"} <= customer
