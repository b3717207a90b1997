"""The demo ERP's SOAP service on the wire, without zeep: the WSDL it serves, bookmark paging,
NAV filters, order creation that does not deduplicate, faults, credentials and outages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from lxml import etree  # type: ignore[import-untyped]

from demo.erp.erp import DemoErp
from demo.erp.records import FIELDS
from demo.erp.routes import erp_app
from demo.erp.soap import wsdl_for

pytestmark = pytest.mark.anyio  # at collection, so parametrized async tests keep their ids

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:channelhub:demo-erp:sales"
XSD = "http://www.w3.org/2001/XMLSchema"
URL = "http://erp.test/demo-erp/soap"


@pytest.fixture
def erp() -> DemoErp:
    return DemoErp.build("tiny", now=NOW, utcnow=lambda: NOW + timedelta(hours=1))


@pytest.fixture
async def client(erp: DemoErp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=erp_app(erp))
    auth = httpx.BasicAuth(erp.soap_username, erp.soap_password)
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test", auth=auth) as c:
        yield c


def _element(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_element(name, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_element(key, item) for key, item in value.items())
        return f"<e:{name}>{inner}</e:{name}>"
    return f"<e:{name}>{value}</e:{name}>"


def envelope(operation: str, **args: Any) -> str:
    inner = "".join(_element(name, value) for name, value in args.items())
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:e="{TNS}"><s:Body>'
        f"<e:{operation}>{inner}</e:{operation}></s:Body></s:Envelope>"
    )


async def call(client: httpx.AsyncClient, body: str) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    return await client.post("/demo-erp/soap", content=body.encode(), headers=headers)


def fault_of(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 500
    tree = etree.fromstring(response.content)
    return tree.findtext(f".//{{{SOAP_ENV}}}Fault/faultcode"), tree.findtext(
        f".//{{{SOAP_ENV}}}Fault/faultstring"
    )


def records(response: httpx.Response, record: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    tree = etree.fromstring(response.content)
    return [
        {etree.QName(field).localname: field.text or "" for field in element}
        for element in tree.iter(f"{{{TNS}}}{record}")
    ]


async def test_the_wsdl_is_served_with_the_address_it_was_fetched_from() -> None:
    erp = DemoErp.build("tiny", now=NOW)
    transport = httpx.ASGITransport(app=erp_app(erp))
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as anonymous:
        response = await anonymous.get("/demo-erp/soap?wsdl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    tree = etree.fromstring(response.content)
    addresses = [a.get("location") for a in tree.iter("{*}address")]
    assert addresses == [URL]
    assert tree.get("targetNamespace") == TNS


def test_the_wsdl_record_types_hold_the_fields_the_service_sends() -> None:
    erp = DemoErp.build("tiny", now=NOW)
    tree = etree.fromstring(wsdl_for(URL))
    for name, fields in FIELDS.items():
        sequence = tree.find(f".//{{{XSD}}}complexType[@name='{name}']/{{{XSD}}}sequence")
        assert [e.get("name") for e in sequence] == list(fields), name
    sample = erp.dataset.orders[0].values()
    assert list(sample) == list(FIELDS["Sales_Order"])
    assert list(sample["Sales_Lines"]["Sales_Order_Line"][0]) == list(FIELDS["Sales_Order_Line"])


async def test_credentials_are_required_except_for_the_wsdl(erp: DemoErp) -> None:
    transport = httpx.ASGITransport(app=erp_app(erp))
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as anonymous:
        probe = await anonymous.get("/demo-erp/soap")
        answer = await call(anonymous, envelope("ReadMultipleItems", setSize=1))
        wrong = await anonymous.get("/demo-erp/soap", auth=(erp.soap_username, "wrong"))
        erp.protect_wsdl = True
        wsdl = await anonymous.get("/demo-erp/soap?wsdl")
    for response in (probe, answer, wrong, wsdl):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_bookmark_paging_returns_every_customer_once_in_key_order(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    seen: list[str] = []
    bookmark: str | None = None
    calls = 0
    while True:
        args: dict[str, Any] = {"setSize": 5}
        if bookmark is not None:
            args = {"bookmarkKey": bookmark, **args}
        page = records(await call(client, envelope("ReadMultipleCustomers", **args)), "Customer")
        calls += 1
        if not page:
            break
        seen += [r["No"] for r in page]
        bookmark = page[-1]["Key"]
    assert seen == sorted(c.no for c in erp.dataset.customers)
    assert calls == -(-len(seen) // 5) + 1


async def test_a_last_modified_filter_reads_only_what_changed(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    newest = max(c.last_modified for c in erp.dataset.customers)
    since = (newest + timedelta(seconds=1)).isoformat()
    request = envelope(
        "ReadMultipleCustomers",
        filter={"Field": "Last_Modified", "Criteria": f"&gt;={since}"},
        setSize=0,
    )
    assert records(await call(client, request), "Customer") == []
    touched = erp.touch(erp.dataset.customers[3].no)
    changed = records(await call(client, request), "Customer")
    assert [r["No"] for r in changed] == [touched.no]
    assert changed[0]["Last_Modified"].endswith("Z")


async def test_nav_criteria_wildcards_alternatives_and_ranges(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    dealers = envelope(
        "ReadMultipleCustomers", filter={"Field": "No", "Criteria": "DLR-*"}, setSize=0
    )
    found = {r["No"] for r in records(await call(client, dealers), "Customer")}
    assert found == {c.no for c in erp.dataset.customers if c.no.startswith("DLR-")}
    statuses = envelope(
        "ReadMultipleSalesOrders",
        filter=[
            {"Field": "Status", "Criteria": "Open|Released"},
            {"Field": "Amount", "Criteria": "100..1000000"},
        ],
        setSize=0,
    )
    orders = records(await call(client, statuses), "Sales_Order")
    expected = [
        o.no
        for o in erp.dataset.orders
        if o.status in ("Open", "Released") and 100 <= o.amount <= 1_000_000
    ]
    assert [o["No"] for o in orders] == expected


async def test_a_second_create_with_the_same_external_number_makes_a_duplicate(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    order = {
        "External_Document_No": "SO-2026-000042",
        "Sell_to_Customer_No": erp.dataset.orders[0].customer_no,
        "Order_Date": "2026-03-15",
        "Sales_Lines": {
            "Sales_Order_Line": [
                {"No": erp.dataset.items[0].no, "Quantity": 2, "Unit_Price": "10.50"},
                {"No": erp.dataset.items[1].no, "Quantity": 1, "Unit_Price": "3"},
            ]
        },
    }
    first = records(
        await call(client, envelope("CreateSalesOrder", SalesOrder=order)), "SalesOrder"
    )
    again = records(
        await call(client, envelope("CreateSalesOrder", SalesOrder=order)), "SalesOrder"
    )
    assert first[0]["No"] != again[0]["No"]
    assert first[0]["Status"] == "Open" and first[0]["Amount"] == "24.00"
    assert [o.no for o in erp.dataset.created_orders] == [first[0]["No"], again[0]["No"]]
    lookup = envelope("ReadSalesOrderByExternalNo", External_Document_No="SO-2026-000042")
    assert [r["No"] for r in records(await call(client, lookup), "SalesOrder")] == [first[0]["No"]]
    missing = envelope("ReadSalesOrderByExternalNo", External_Document_No="nothing")
    assert records(await call(client, missing), "SalesOrder") == []


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ("this is not xml", "soap:Client", "not well-formed"),
        ("<a>not an envelope</a>", "soap:Client", "not a SOAP envelope"),
        (
            '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>',
            "soap:VersionMismatch",
            "SOAP 1.1",
        ),
        (envelope("DeleteEverything"), "soap:Client", "unknown operation"),
        (envelope("ReadMultipleItems", setSize="many"), "soap:Client", "setSize"),
        (
            envelope("ReadMultipleItems", bookmarkKey="18;Zm9v;1;", setSize=1),
            "soap:Client",
            "bookmark",
        ),
        (
            envelope("ReadMultipleItems", filter={"Field": "Colour", "Criteria": "red"}, setSize=1),
            "soap:Client",
            "'Colour' is not a field",
        ),
        (
            envelope(
                "ReadMultipleItems", filter={"Field": "Unit_Price", "Criteria": ">cheap"}, setSize=1
            ),
            "soap:Client",
            "not a valid Decimal",
        ),
        (
            envelope(
                "CreateSalesOrder",
                SalesOrder={"Sell_to_Customer_No": "NOPE", "Order_Date": "2026-03-15"},
            ),
            "soap:Client",
            "no customer 'NOPE'",
        ),
    ],
    ids=[
        "not-xml",
        "not-an-envelope",
        "soap-1.2",
        "unknown-operation",
        "bad-set-size",
        "foreign-bookmark",
        "unknown-field",
        "bad-criteria",
        "unknown-customer",
    ],
)
async def test_requests_the_service_cannot_accept_get_a_client_fault(
    client: httpx.AsyncClient, body: str, code: str, words: str
) -> None:
    faultcode, message = fault_of(await call(client, body))
    assert faultcode == code
    assert words in message


async def test_trouble_inside_the_service_is_a_server_fault(
    client: httpx.AsyncClient, erp: DemoErp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(erp.dataset, "table", broken)
    faultcode, message = fault_of(await call(client, envelope("ReadMultipleItems", setSize=1)))
    assert faultcode == "soap:Server"
    assert "disk" not in message


async def test_an_outage_answers_503_with_retry_after(
    client: httpx.AsyncClient, erp: DemoErp
) -> None:
    erp.set_unavailable(True)
    wsdl = await client.get("/demo-erp/soap?wsdl")
    answer = await call(client, envelope("ReadMultipleItems", setSize=1))
    assert wsdl.status_code == answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "soap:Server" in answer.text
    erp.set_unavailable(False)
    assert len(records(await call(client, envelope("ReadMultipleItems", setSize=2)), "Item")) == 2
