"""The fast SOAP reply reader against zeep, envelope by envelope, offline.

For every operation of the NAV fixture WSDLs (Customer, Journal, Vendor) and the demo ERP's
WSDL, generated reply envelopes (values of every XSD type, absent and empty elements, and now
and then something the reader must leave to zeep: an ``xsi:type``, an element out of order or
unknown, a comment, a bad value) are read both ways: whenever the fast reader answers, its
answer equals zeep's (same keys in the same order, same Python types, same values); otherwise
it says ``NeedsZeep``. Faster conversions of decimals, dates and booleans equal zeep's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import pytest
import requests
import zeep
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped]
from zeep.transports import Transport
from zeep.xsd import ComplexType
from zeep.xsd.types import builtins

from connectors.soap.fast_records import NeedsZeep, plain, reply_reader, simple_converter

REPO = Path(__file__).resolve().parents[3]
NAV = REPO.parent / "shared" / "fixtures" / "erp" / "nav"
WSDLS = {
    "nav-customer": NAV / "Customer.wsdl",
    "nav-journal": NAV / "Journal.wsdl",
    "nav-vendor": NAV / "Vendor.wsdl",
    "demo-erp": REPO / "demo" / "erp" / "channel_erp.wsdl",
}
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, Any]]:
    """A zeep service proxy per fixture WSDL, loaded from the local files."""
    session = requests.Session()
    try:
        transport = Transport(session=session)  # type: ignore[no-untyped-call]
        yield {
            name: zeep.Client(wsdl=str(path), transport=transport).service  # type: ignore[no-untyped-call]
            for name, path in WSDLS.items()
        }
    finally:
        session.close()


def operations(service: Any) -> list[str]:
    return sorted(service._binding._operations)


def test_every_reply_of_the_fixture_wsdls_is_modelled(services):
    for name, service in services.items():
        unread = [op for op in operations(service) if reply_reader(service, op) is None]
        assert unread == [], name


# -- generated envelopes ----------------------------------------------------------------------

Lexicon = dict[type, Callable[[Random], str]]
LETTERS = "aZ09 &<>'\"\n\t\u00e9\u6f22\U0001f600"


def text(rnd: Random) -> str:
    return "".join(rnd.choice(LETTERS) for _ in range(rnd.randint(0, 6)))


def pick(*values: str) -> Callable[[Random], str]:
    return lambda rnd: rnd.choice(values)


def decimal_text(rnd: Random) -> str:
    return f"{rnd.choice('-+ ')}{rnd.randint(0, 10**12)}.{rnd.randint(0, 99):02d}".strip()


def date_text(rnd: Random) -> str:
    return date(rnd.randint(1, 9999), rnd.randint(1, 12), rnd.randint(1, 28)).isoformat()


def one_of(*makers: Callable[[Random], str]) -> Callable[[Random], str]:
    return lambda rnd: rnd.choice(makers)(rnd)


# Valid lexical forms of each type, then ones zeep reads its own way or drops (logging them).
CLEAN: Lexicon = {
    builtins.Boolean: pick("true", "false", "1", "0", " true "),
    builtins.Integer: lambda rnd: str(rnd.randint(-(10**12), 10**12)),
    builtins.Decimal: one_of(decimal_text, pick("1.50", "-0.00", "+7", "007.10", " 2.5 ")),
    builtins.Date: one_of(date_text, pick("2024-01-02Z", "2024-01-02+02:00", " 2024-01-02")),
    builtins.DateTime: pick("2024-01-02T03:04:05Z", "2024-01-02T03:04:05", "2024-01-02"),
}
ODD: Lexicon = {
    builtins.Boolean: one_of(CLEAN[builtins.Boolean], pick("TRUE", "yes", "")),
    builtins.Integer: one_of(CLEAN[builtins.Integer], pick(" 12 ", "4.2", "x")),
    builtins.Decimal: one_of(CLEAN[builtins.Decimal], pick("1e3", ".5", "1,5", "abc", "NaN")),
    builtins.Date: one_of(CLEAN[builtins.Date], pick("2024-02-30", "20240102", "x")),
    builtins.DateTime: one_of(CLEAN[builtins.DateTime], pick("2024-01-02 03:04:05", "bad")),
}


def lexical(xsd_type: Any, lexicon: Lexicon) -> Callable[[Random], str]:
    for kind, maker in lexicon.items():
        if isinstance(xsd_type, kind):
            return maker
    return text


def fill(rnd: Random, parent: Any, xsd_type: Any, depth: int, odd: float, lexicon: Lexicon) -> None:
    """Children of ``parent`` for ``xsd_type``: valid ones, odd things with chance ``odd``."""
    for _, element in xsd_type.elements:
        present = 1 - odd if not element.is_optional else 0.6
        count = 0 if rnd.random() >= present else 1
        if count and element.accepts_multiple:
            count = rnd.randint(1, 3)
        for _ in range(count):
            child = etree.SubElement(parent, element.qname)
            if isinstance(element.type, ComplexType):
                if depth < 3 and rnd.random() > 0.1:
                    fill(rnd, child, element.type, depth + 1, odd, lexicon)
                if rnd.random() < odd:
                    child.set(f"{{{XSI}}}nil", "true")
            elif rnd.random() > 0.1:
                child.text = lexical(element.type, lexicon)(rnd)
            if rnd.random() < odd / 3:
                child.set(f"{{{XSI}}}type", "xsd:string")
    if len(parent) and rnd.random() < odd:
        parent.append(rnd.choice([etree.Comment("a note"), etree.Element("{urn:x}Unknown")]))
    if len(parent) > 1 and rnd.random() < odd:
        first = parent[0]
        parent.remove(first)
        parent.append(first)  # out of order (unless it may repeat there)


def envelope(rnd: Random, service: Any, operation: str, odd: float, lexicon: Lexicon) -> bytes:
    message = service._binding.get(operation).output
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"s": SOAP_ENV, "xsi": XSI})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    result = etree.SubElement(body, message.body.qname)
    fill(rnd, result, message.body.type, 0, odd, lexicon)
    return bytes(etree.tostring(root))


def zeep_reads(service: Any, operation: str, content: bytes) -> tuple[str, Any]:
    document = etree.fromstring(content)
    try:
        return "value", plain(service._binding.get(operation).process_reply(document))
    except Exception as exc:  # zeep refuses it: the fast reader must not answer either
        return "error", type(exc).__name__


def fast_reads(service: Any, operation: str, content: bytes) -> tuple[str, Any]:
    document = etree.fromstring(content)
    reader = reply_reader(service, operation)
    assert reader is not None
    try:
        return "value", reader(document)
    except NeedsZeep:
        return "zeep", None


def assert_same(fast: Any, slow: Any, path: str = "$") -> None:
    """Equal values of the same types, dict keys in the same order."""
    assert type(fast) is type(slow), (path, fast, slow)
    if isinstance(fast, dict):
        assert list(fast) == list(slow), path
        for key in fast:
            assert_same(fast[key], slow[key], f"{path}.{key}")
    elif isinstance(fast, list):
        assert len(fast) == len(slow), path
        for number, (left, right) in enumerate(zip(fast, slow, strict=True)):
            assert_same(left, right, f"{path}[{number}]")
    elif isinstance(fast, Decimal | float):
        assert repr(fast) == repr(slow), path  # same digits and exponent, NaN too
    else:
        assert fast == slow, (path, fast, slow)


CASES = [
    *(("nav-customer", op) for op in ("ReadMultiple", "Read", "Create", "Delete", "IsUpdated")),
    ("nav-journal", "ReadMultiple"),
    ("nav-vendor", "ReadMultiple"),
    *(
        ("demo-erp", op)
        for op in (
            "ReadMultipleCustomers",
            "ReadMultipleItems",
            "ReadMultipleStock",
            "ReadMultipleSalesOrders",
            "ReadSalesOrderByExternalNo",
            "CreateSalesOrder",
        )
    ),
]


@pytest.mark.parametrize(("wsdl", "operation"), CASES)
@settings(max_examples=150, deadline=None)
@given(rnd=st.randoms(use_true_random=False), odd=st.sampled_from([0.02, 0.1]))
def test_whenever_the_fast_reader_answers_it_answers_what_zeep_does(
    services, wsdl, operation, rnd, odd
):
    service = services[wsdl]
    content = envelope(rnd, service, operation, odd, ODD)
    fast, slow = fast_reads(service, operation, content), zeep_reads(service, operation, content)
    if fast[0] == "value":
        assert slow[0] == "value", slow
        assert_same(fast[1], slow[1])


@pytest.mark.parametrize(("wsdl", "operation"), CASES)
@settings(max_examples=40, deadline=None)
@given(rnd=st.randoms(use_true_random=False))
def test_clean_replies_are_read_fast(services, wsdl, operation, rnd):
    service = services[wsdl]
    content = envelope(rnd, service, operation, 0, CLEAN)
    fast, slow = fast_reads(service, operation, content), zeep_reads(service, operation, content)
    assert fast[0] == "value" and slow[0] == "value"
    assert_same(fast[1], slow[1])


# -- what the reader leaves to zeep -------------------------------------------------------------

NAV_CUSTOMER = "urn:microsoft-dynamics-schemas/page/customer"


def nav_reply(customers: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:i="{XSI}"><s:Body>'
        f'<ReadMultiple_Result xmlns="{NAV_CUSTOMER}"><ReadMultiple_Result>{customers}'
        "</ReadMultiple_Result></ReadMultiple_Result></s:Body></s:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    "customers",
    [
        "<Customer><No>1</No><Name>A</Name></Customer><Customer><Name>B</Name><No>2</No></Customer>",
        "<Customer><No>1</No><Nope>x</Nope></Customer>",
        "<Customer><No>1</No><!-- note --><Name>A</Name></Customer>",
        '<Customer><No i:type="xsd:string">1</No></Customer>',
        "<Customer><No>1</No><Balance_LCY>12,50</Balance_LCY></Customer>",
        "<Customer><No>1</No><Credit_Limit_LCY>1e400x</Credit_Limit_LCY></Customer>",
        '<Customer xmlns=""><No>1</No></Customer>',
    ],
    ids=["out-of-order", "unknown", "comment", "xsi-type", "bad-decimal", "garbage", "unqualified"],
)
def test_replies_the_reader_does_not_model_go_to_zeep(services, customers):
    service = services["nav-customer"]
    content = nav_reply(customers)
    assert fast_reads(service, "ReadMultiple", content) == ("zeep", None)


@pytest.mark.parametrize(
    "customers",
    [
        "",
        "<Customer/>",
        '<Customer i:nil="true"/>',
        "<Customer><Key>k</Key></Customer>",  # every later required element absent: zeep's way
        "<Customer><No>1</No><Balance_LCY> 1.50 </Balance_LCY><Blocked>Ship</Blocked>"
        "<Last_Date_Modified>2024-01-02+02:00</Last_Date_Modified>"
        "<Invoice_Copies> 3 </Invoice_Copies><Prices_Including_VAT>TRUE</Prices_Including_VAT>"
        "<Combine_Shipments/></Customer>",
    ],
    ids=["empty", "empty-record", "nil-record", "trailing-absent", "odd-values"],
)
def test_edge_replies_are_read_fast_as_zeep_reads_them(services, customers):
    service = services["nav-customer"]
    content = nav_reply(customers)
    fast = fast_reads(service, "ReadMultiple", content)
    assert fast[0] == "value"
    assert_same(fast[1], zeep_reads(service, "ReadMultiple", content)[1])


BUILTIN: dict[str, Any] = {
    "decimal": builtins.Decimal(),  # type: ignore[no-untyped-call]
    "date": builtins.Date(),  # type: ignore[no-untyped-call]
    "boolean": builtins.Boolean(),  # type: ignore[no-untyped-call]
}


@pytest.mark.parametrize(
    ("xsd_type", "texts"),
    [
        (BUILTIN["decimal"], ["1.50", "-0.00", "+7", "007.10", " 2.5 ", ".5", "1e3", "1E-2"]),
        (BUILTIN["date"], ["2024-01-02", "0001-12-31", "2024-01-02Z", " 2024-01-02", "٢٠٢٤-01-02"]),
        (BUILTIN["boolean"], ["true", "false", "1", "0", " true", "TRUE", "no"]),
    ],
)
def test_faster_conversions_give_zeeps_values(xsd_type, texts):
    convert = simple_converter(xsd_type)
    assert convert is not None
    for text in texts:
        try:
            expected: Any = xsd_type.pythonvalue(text)
        except Exception as exc:
            with pytest.raises(type(exc)):
                convert(text)
            continue
        assert_same(convert(text), expected)
