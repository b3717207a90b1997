"""The fast SOAP reply reader on real replies from servers on 127.0.0.1, record by record
against zeep: the NAV page stub with every Customer field filled, every stream and the
write-back operations of the demo ERP, and a spyne service nobody here wrote."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
import spyne  # type: ignore[import-untyped]
import zeep
from spyne.protocol.soap import Soap11  # type: ignore[import-untyped]
from spyne.server.wsgi import WsgiApplication  # type: ignore[import-untyped]
from zeep.transports import Transport
from zeep.xsd.types import builtins

from connectors.soap import paging
from connectors.soap.config import SoapConnectorConfig
from connectors.soap.connector import SoapConnector
from demo.erp.configs import demo_connector_configs
from demo.erp.erp import DemoErp
from demo.erp.server import serve_erp
from tests.connectors.soap.fast_support import assert_same, both_ways

pytestmark = pytest.mark.anyio


def client_for(wsdl: str, session: requests.Session) -> Any:
    transport = Transport(session=session)  # type: ignore[no-untyped-call]
    return zeep.Client(wsdl=wsdl, transport=transport)  # type: ignore[no-untyped-call]


# -- NAV: every field of the Customer page -----------------------------------------------------


def nav_value(xsd_type: Any, n: int) -> str:
    if isinstance(xsd_type, builtins.Boolean):
        return ("true", "false", "1", "0")[n % 4]
    if isinstance(xsd_type, builtins.Integer):
        return str(n * 7 - 20)
    if isinstance(xsd_type, builtins.Decimal):
        return f"{n * 13}.{n % 100:02d}"
    if isinstance(xsd_type, builtins.Date):
        return (date(2024, 1, 1) + timedelta(days=n)).isoformat()
    enumeration = getattr(xsd_type, "enumeration", None) or ()
    if enumeration:
        return str(enumeration[n % len(enumeration)])
    return f"text {n} &amp; more"


def test_nav_customers_with_every_field_read_fast_as_zeep_reads_them(nav_stub):
    session = requests.Session()
    try:
        client = client_for(f"{nav_stub.base_url}/Customer", session)
        customer = client.get_type("{urn:microsoft-dynamics-schemas/page/customer}Customer")
        rows = []
        for n in range(25):  # every field, or every third one left out
            row = {
                name: nav_value(element.type, n + k)
                for k, (name, element) in enumerate(customer.elements)
                if n % 2 == 0 or k % 3
            }
            rows.append(row | {"Key": f"K{n:03d}", "No": f"C{n:03d}"})
        nav_stub.records["Customer"] = [
            {name: row[name] for name, _ in customer.elements if name in row} for row in rows
        ]
        args: dict[str, Any] = {"filter": [{"Field": "No", "Criteria": "*"}], "setSize": 10}
        pages = []
        while True:
            page = both_ways(client.service, "ReadMultiple", args)
            if not page:
                break
            pages.append(page)
            args["bookmarkKey"] = page[-1]["Key"]
        assert [len(page) for page in pages] == [10, 10, 5]
        first = pages[0][0]
        assert isinstance(first["Balance_LCY"], Decimal)
        assert isinstance(first["Last_Date_Modified"], date)
        assert isinstance(first["Prices_Including_VAT"], bool)
        assert list(first) == [name for name, _ in customer.elements]
    finally:
        session.close()


# -- the demo ERP: every sales stream, the order write-back and its lookup ---------------------

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def demo_sales() -> Iterator[tuple[SoapConnectorConfig, Any]]:
    erp = DemoErp.build("tiny", now=NOW, utcnow=lambda: NOW + timedelta(hours=1))
    session = requests.Session()
    session.auth = (erp.soap_username, erp.soap_password)
    try:
        with serve_erp(erp) as url:
            sales = demo_connector_configs(url, erp)[0]
            assert isinstance(sales, SoapConnectorConfig)
            yield sales, client_for(sales.connection.wsdl, session)
    finally:
        session.close()


async def test_every_demo_erp_stream_reads_fast_as_zeep_reads_it(demo_sales):
    config, client = demo_sales

    async def call(operation: str, args: dict[str, Any]) -> Any:
        return both_ways(client.service, operation, args)

    seen: dict[str, int] = {}
    for stream in config.streams:
        small = stream.model_copy(
            update={"paginator": stream.paginator.model_copy(update={"page_size": 7})}
        )
        async for page in paging.pages(small, {}, call):
            seen[stream.name] = seen.get(stream.name, 0) + len(page.records)
    assert set(seen) == {"customers", "items", "stock", "sales_orders"}
    assert all(count > 7 for count in seen.values()), seen  # more than one page each


async def test_demo_erp_order_write_back_and_lookup_read_fast(demo_sales):
    _, client = demo_sales
    service = client.service
    everything = {"filter": [{"Field": "No", "Criteria": "*"}], "setSize": 2}
    customers = both_ways(service, "ReadMultipleCustomers", everything)
    items = both_ways(service, "ReadMultipleItems", everything)
    order = {
        "SalesOrder": {
            "External_Document_No": "HUB-FAST-1",
            "Sell_to_Customer_No": customers[0]["No"],
            "Order_Date": date(2026, 3, 14),
            "Currency_Code": "CNY",
            "Sales_Lines": {
                "Sales_Order_Line": [
                    {"No": item["No"], "Quantity": 2, "Unit_Price": Decimal("9.50")}
                    for item in items
                ]
            },
        }
    }
    created = both_ways(service, "CreateSalesOrder", order, again=False)
    found = both_ways(service, "ReadSalesOrderByExternalNo", {"External_Document_No": "HUB-FAST-1"})
    assert_same(found, created)
    assert found["No"] and found["Sales_Lines"]["Sales_Order_Line"][0]["Quantity"] == 2


# -- spyne --------------------------------------------------------------------------------------

TNS = "urn:channelhub.test.fast"


class Part(spyne.ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    id = spyne.Unicode
    name = spyne.Unicode
    price = spyne.Decimal
    stock = spyne.Integer
    since = spyne.Date


class PartService(spyne.ServiceBase):  # type: ignore[misc]
    @spyne.rpc(spyne.Integer, _returns=spyne.Array(Part))  # type: ignore[untyped-decorator]
    def list_parts(ctx: Any, count: int) -> list[Any]:
        return [
            Part(
                id=f"P-{n}",
                name=None if n % 3 == 0 else f"part {n} & co",
                price=Decimal(f"{n}.25"),
                stock=None if n % 4 == 0 else n,
                since=date(2025, 1, n % 28 + 1),
            )
            for n in range(count)
        ]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def spyne_url() -> Iterator[str]:
    application = spyne.Application(
        [PartService], tns=TNS, in_protocol=Soap11(validator="lxml"), out_protocol=Soap11()
    )
    server: WSGIServer = make_server(
        "127.0.0.1", 0, WsgiApplication(application), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/?wsdl"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_spyne_replies_with_nil_values_read_fast_as_zeep_reads_them(spyne_url):
    session = requests.Session()
    try:
        parts = both_ways(client_for(spyne_url, session).service, "list_parts", {"count": 9})
    finally:
        session.close()
    assert len(parts) == 9
    assert parts[0]["name"] is None and parts[1]["name"] == "part 1 & co"
    assert parts[1]["price"] == Decimal("1.25")


async def test_the_connector_reads_spyne_pages_through_the_fast_path(spyne_url, tmp_path: Path):
    config = SoapConnectorConfig.model_validate(
        {
            "name": "spyne-parts",
            "kind": "soap",
            "connection": {"wsdl": spyne_url},
            "streams": [{"name": "parts", "operation": "list_parts", "args": {"count": 4}}],
        }
    )
    connector = SoapConnector(config, cache_dir=tmp_path)
    try:
        pages = [page async for page in connector.read("parts")]
    finally:
        await connector.aclose()
    session = requests.Session()
    try:
        expected = both_ways(client_for(spyne_url, session).service, "list_parts", {"count": 4})
    finally:
        session.close()
    assert_same([record for page in pages for record in page.records], expected)


async def test_a_wsdl_loaded_from_the_cache_reads_fast_too(nav_stub, tmp_path: Path):
    nav_stub.records["Customer"] = [
        {"Key": f"K{n}", "No": f"C{n}", "Balance_LCY": f"{n}.50"} for n in range(3)
    ]
    config = SoapConnectorConfig.model_validate(
        {
            "name": "nav",
            "kind": "soap",
            "connection": {"wsdl": f"{nav_stub.base_url}/Customer"},
            "streams": [{"name": "customers", "operation": "ReadMultiple", "args": {}}],
        }
    )
    args = {"filter": [{"Field": "No", "Criteria": "*"}], "setSize": 10}
    for _load in ("parsed", "from the cache"):
        connector = SoapConnector(config, cache_dir=tmp_path)
        try:
            await connector.discover()  # builds the client: the second one unpickles the WSDL
            records = both_ways(connector._service, "ReadMultiple", args)
        finally:
            await connector.aclose()
        assert [record["Balance_LCY"] for record in records] == [
            Decimal("0.50"),
            Decimal("1.50"),
            Decimal("2.50"),
        ]
        # the first connector stored the parsed document; the second loads it from there
        assert await asyncio.to_thread(os.listdir, tmp_path)
