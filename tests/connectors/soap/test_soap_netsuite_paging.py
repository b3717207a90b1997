"""NetSuite 2017.1 search paging end to end: a stub on 127.0.0.1 serves the unmodified WSDL and
its XSDs (only ``soap:address`` rewritten), answers ``search`` with page 1 of 3 and
``searchMoreWithId`` with pages 2 and 3; the ``netsuite_search`` paginator reads every record
exactly once, by config alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from connectors.soap import SoapConnector, SoapConnectorConfig
from tests.local_server import serving

pytestmark = pytest.mark.anyio

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MSGS = "urn:messages_2017_1.platform.webservices.netsuite.com"
CORE = "urn:core_2017_1.platform.webservices.netsuite.com"
REL = "urn:relationships_2017_1.lists.webservices.netsuite.com"
SEARCH_ID = "WEBSERVICES_TSTDRV_0123456789_abcdef"
PAGE_SIZE = 2
TOTAL_PAGES = 3


@dataclass
class NetSuiteStub:
    """What the stub serves and what it received."""

    base_url: str = ""
    customers: list[tuple[str, str, str]] = field(default_factory=list)  # internalId, id, name
    calls: list[tuple[str, bytes]] = field(default_factory=list)  # (SOAPAction, body)
    wsdl_gets: list[str] = field(default_factory=list)


def _customer(internal_id: str, entity_id: str, name: str) -> str:
    return (
        f'<platformCore:record xsi:type="listRel:Customer" internalId="{internal_id}">'
        f"<listRel:entityId>{entity_id}</listRel:entityId>"
        f"<listRel:companyName>{name}</listRel:companyName>"
        "</platformCore:record>"
    )


def _search_page(stub: NetSuiteStub, response: str, index: int) -> bytes:
    rows = stub.customers[(index - 1) * PAGE_SIZE : index * PAGE_SIZE]
    records = "".join(_customer(*row) for row in rows)
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:xsi="{XSI}">'
        "<soapenv:Header>"
        f'<platformMsgs:documentInfo xmlns:platformMsgs="{MSGS}">'
        "<platformMsgs:nsId>WEBSERVICES_TSTDRV_stub</platformMsgs:nsId>"
        "</platformMsgs:documentInfo>"
        "</soapenv:Header>"
        "<soapenv:Body>"
        f'<{response} xmlns="{MSGS}">'
        f'<platformCore:searchResult xmlns:platformCore="{CORE}">'
        '<platformCore:status isSuccess="true"/>'
        f"<platformCore:totalRecords>{len(stub.customers)}</platformCore:totalRecords>"
        f"<platformCore:pageSize>{PAGE_SIZE}</platformCore:pageSize>"
        f"<platformCore:totalPages>{TOTAL_PAGES}</platformCore:totalPages>"
        f"<platformCore:pageIndex>{index}</platformCore:pageIndex>"
        f"<platformCore:searchId>{SEARCH_ID}</platformCore:searchId>"
        f'<platformCore:recordList xmlns:listRel="{REL}">{records}</platformCore:recordList>'
        "</platformCore:searchResult>"
        f"</{response}>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def _fault(text: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>soapenv:Client</faultcode><faultstring>{text}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


def _handler(stub: NetSuiteStub, wsdl_dir: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "text/xml; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            name = self.path.split("?")[0].rsplit("/", 1)[-1]
            source = wsdl_dir / name
            if not name.endswith((".wsdl", ".xsd")) or not source.is_file():
                self._send(404, b"not found", "text/plain")
                return
            stub.wsdl_gets.append(name)
            if name.endswith(".wsdl"):
                tree = etree.fromstring(source.read_bytes())
                for address in tree.iter("{*}address"):
                    address.set("location", f"{stub.base_url}/services/NetSuitePort_2017_1")
                self._send(200, etree.tostring(tree, xml_declaration=True, encoding="utf-8"))
            else:
                self._send(200, source.read_bytes())  # XSDs: byte for byte

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            action = (self.headers.get("SOAPAction") or "").strip('"')
            stub.calls.append((action, body))
            request = etree.fromstring(body)
            if action == "search" and request.find(f".//{{{MSGS}}}search") is not None:
                self._send(200, _search_page(stub, "searchResponse", 1))
            elif action == "searchMoreWithId":
                search_id = request.findtext(f".//{{{MSGS}}}searchId")
                index = int(request.findtext(f".//{{{MSGS}}}pageIndex") or "0")
                if search_id != SEARCH_ID or not 1 <= index <= TOTAL_PAGES:
                    self._send(500, _fault(f"bad searchId/pageIndex {search_id}/{index}"))
                    return
                self._send(200, _search_page(stub, "searchMoreWithIdResponse", index))
            else:
                self._send(500, _fault(f"unexpected SOAPAction {action}"))

    return Handler


@pytest.fixture(scope="module")
def netsuite_server(erp_fixtures: Path) -> Iterator[NetSuiteStub]:
    stub = NetSuiteStub()
    with serving(_handler(stub, erp_fixtures / "netsuite-2017_1")) as stub.base_url:
        yield stub


@pytest.fixture
def netsuite_stub(netsuite_server: NetSuiteStub) -> NetSuiteStub:
    netsuite_server.calls.clear()
    netsuite_server.customers = [
        (str(100 + n), f"CUST-{n:03d}", f"Customer {n}")
        for n in range(1, PAGE_SIZE * TOTAL_PAGES + 1)
    ]
    return netsuite_server


def netsuite_config(stub: NetSuiteStub, **paginator: Any) -> SoapConnectorConfig:
    """As a user's YAML would give it."""
    raw: dict[str, Any] = {
        "name": "netsuite",
        "kind": "soap",
        "connection": {"wsdl": f"{stub.base_url}/wsdl/netsuite.wsdl"},
        "streams": [
            {
                "name": "customers",
                "operation": "search",
                "args": {"searchRecord": {}},
                "record_path": "body.searchResult.recordList.record",
                "paginator": {
                    "type": "netsuite_search",
                    "result_path": "body.searchResult",
                    **paginator,
                },
            }
        ],
    }
    return SoapConnectorConfig.model_validate(raw)


async def test_netsuite_search_pages_are_read_exactly_once(netsuite_stub: NetSuiteStub) -> None:
    connector = SoapConnector(netsuite_config(netsuite_stub))
    records: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    lasts: list[bool] = []
    async for page in connector.read("customers"):
        records += page.records
        states.append(page.state)
        lasts.append(page.last)
    ids = [r["internalId"] for r in records]
    assert ids == [str(100 + n) for n in range(1, 7)]
    assert len(set(ids)) == 6
    assert [r["entityId"] for r in records] == [f"CUST-{n:03d}" for n in range(1, 7)]
    assert records[0]["companyName"] == "Customer 1"
    assert states == [{"search_id": SEARCH_ID, "page_index": n} for n in (1, 2, 3)]
    assert lasts == [False, False, True]
    assert [action for action, _ in netsuite_stub.calls] == [
        "search",
        "searchMoreWithId",
        "searchMoreWithId",
    ]
    await connector.aclose()


async def test_netsuite_search_resumes_from_saved_search_id(netsuite_stub: NetSuiteStub) -> None:
    connector = SoapConnector(netsuite_config(netsuite_stub))
    state = {"search_id": SEARCH_ID, "page_index": 1}
    records = [r async for page in connector.read("customers", state) for r in page.records]
    assert [r["internalId"] for r in records] == ["103", "104", "105", "106"]
    assert [action for action, _ in netsuite_stub.calls] == ["searchMoreWithId"] * 2
    await connector.aclose()


async def test_netsuite_typed_customer_search_by_config(netsuite_stub: NetSuiteStub) -> None:
    raw = netsuite_config(netsuite_stub).model_dump(mode="json")
    raw["streams"][0]["args"] = {
        "searchRecord": {
            "_xsi_type": "{urn:relationships_2017_1.lists.webservices.netsuite.com}CustomerSearch",
            "basic": {"isInactive": {"searchValue": False}},
        }
    }
    connector = SoapConnector(SoapConnectorConfig.model_validate(raw))
    records = [r async for page in connector.read("customers") for r in page.records]
    assert len(records) == 6
    _, body = netsuite_stub.calls[0]
    search_record = etree.fromstring(body).find(f".//{{{MSGS}}}searchRecord")
    assert search_record.get(f"{{{XSI}}}type", "").endswith("CustomerSearch")
