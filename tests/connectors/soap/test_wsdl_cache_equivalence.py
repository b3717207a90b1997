"""A WSDL loaded from the disk cache behaves exactly like a fresh parse of the same WSDL.

For the NetSuite 2017.1, NAV, calculator and demo ERP WSDLs: zeep's full dump (every global
element and type signature, every binding, port and operation signature), what ``discover``
reports, and each operation's input/output signatures are identical; for NetSuite and NAV a
serialized request envelope is byte-identical and a parsed response is equal.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree  # type: ignore[import-untyped]
from zeep.helpers import serialize_object
from zeep.transports import Transport
from zeep.wsdl import Document

from connectors.soap import discovery, wsdl_cache

REPO_ROOT = Path(__file__).resolve().parents[3]
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_CORE = "urn:core_2017_1.platform.webservices.netsuite.com"
NS_COMMON = "urn:common_2017_1.platform.webservices.netsuite.com"
NS_MSGS = "urn:messages_2017_1.platform.webservices.netsuite.com"
NS_REL = "urn:relationships_2017_1.lists.webservices.netsuite.com"
NAV_CUSTOMER = "urn:microsoft-dynamics-schemas/page/customer"

WSDLS = [
    "netsuite-2017_1/netsuite.wsdl",
    "nav/Customer.wsdl",
    "nav/Vendor.wsdl",
    "nav/Journal.wsdl",
    "calculator/calculator.wsdl",
    "demo",
]


@pytest.fixture
def transport() -> Iterator[Transport]:
    transport = Transport()  # type: ignore[no-untyped-call]
    yield transport
    transport.session.close()


def _location(erp_fixtures: Path, name: str) -> str:
    if name == "demo":
        return str(REPO_ROOT / "demo" / "erp" / "channel_erp.wsdl")
    return str(erp_fixtures / name)


def fresh_and_cached(location: str, transport: Transport, cache: Path) -> tuple[Document, Document]:
    """A fresh parse, and the same WSDL as a new process loads it from the disk cache."""
    wsdl_cache.clear_memory_cache()
    wsdl_cache.load_document(location, transport, zeep.Settings(), cache_dir=cache)
    wsdl_cache.clear_memory_cache()
    before = wsdl_cache.stats.copy()
    cached = wsdl_cache.load_document(location, transport, zeep.Settings(), cache_dir=cache)
    assert wsdl_cache.stats - before == {"disk": 1}
    wsdl_cache.clear_memory_cache()
    fresh = Document(location, transport, settings=zeep.Settings())  # type: ignore[arg-type]
    return fresh, cached


def dump(document: Document) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        document.dump()  # type: ignore[no-untyped-call]
    return out.getvalue()


def discovered(document: Document) -> list[Any]:
    found: list[Any] = discovery.record_types(document)
    for service in document.services.values():
        for port in service.ports.values():
            found += discovery.operations(port.binding)
    return found


def signatures(document: Document) -> list[str]:
    lines = []
    for name, binding in sorted(document.bindings.items()):
        for operation_name, operation in sorted(binding._operations.items()):
            lines.append(f"{name} {operation_name}: {operation}")
            for message in (operation.input, operation.output):
                if message is not None:
                    lines.append(message.signature(as_output=message is operation.output))
    return lines


@pytest.mark.parametrize("name", WSDLS)
def test_cached_document_dumps_discovers_and_signs_like_a_fresh_parse(
    name: str, erp_fixtures: Path, tmp_path: Path, transport: Transport
) -> None:
    fresh, cached = fresh_and_cached(_location(erp_fixtures, name), transport, tmp_path)
    assert cached is not fresh
    fresh_dump = dump(fresh)
    assert fresh_dump.count("\n") > 10
    assert dump(cached) == fresh_dump
    fresh_found = discovered(fresh)
    assert fresh_found
    assert discovered(cached) == fresh_found
    assert [repr(e) for e in discovered(cached)] == [repr(e) for e in fresh_found]
    assert signatures(cached) == signatures(fresh)


ATOMS = (str, int, float, bool, bytes, type(None))
DICT_VIEWS = {"odict_values", "odict_keys", "odict_items", "dict_values", "dict_keys", "dict_items"}


def _same_class(a: type, b: type) -> bool:
    if a.__module__ == b.__module__ == "zeep.xsd.dynamic_types":
        qnames = (getattr(a, "_xsd_name", None), getattr(b, "_xsd_name", None))
        return (
            a.__name__ == b.__name__
            and a.__qualname__ == b.__qualname__
            and str(qnames[0]) == str(qnames[1])
            and type(qnames[0]) is type(qnames[1])
            and len(a.__bases__) == len(b.__bases__)
            and all(map(_same_class, a.__bases__, b.__bases__))
        )
    return a is b


def _is_value_class(value: Any) -> bool:
    return isinstance(value, type) and value.__module__ == "zeep.objects"


def assert_same_graph(fresh: Document, cached: Document) -> int:
    """Walk both object graphs side by side: same classes, same attributes, equal atoms, the
    same sharing of mutable objects. zeep's lazily built value classes are skipped."""
    pairs: dict[int, int] = {id(fresh.transport): id(cached.transport)}
    pairs[id(fresh.settings)] = id(cached.settings)
    keep: list[Any] = []
    stack: list[tuple[str, Any, Any]] = [("document", fresh, cached)]
    while stack:
        path, a, b = stack.pop()
        if isinstance(a, ATOMS):
            assert type(a) is type(b) and a == b, path
            continue
        if isinstance(a, etree.QName):
            assert type(b) is etree.QName and a.text == b.text, path
            continue
        if id(a) in pairs:
            assert pairs[id(a)] == id(b), f"{path}: shared differently"
            continue
        pairs[id(a)] = id(b)
        if type(a).__name__ in DICT_VIEWS:  # a view cannot be pickled: it is stored as a list
            assert type(b) is list, path
            a = list(a)
        keep += [a, b]
        if _is_value_class(a):  # rebuilt from its zeep type after loading
            assert _is_value_class(b) and a.__name__ == b.__name__, path
            assert a.__bases__ == b.__bases__, path
            stack.append((f"{path}._xsd_type", a._xsd_type, b._xsd_type))
            continue
        if isinstance(a, type):
            assert _same_class(a, b), path
            continue
        assert _same_class(type(a), type(b)), f"{path}: {type(a)} vs {type(b)}"
        if isinstance(a, dict):
            assert list(a) == list(b), path
            stack += [(f"{path}[{k!r}]", a[k], b[k]) for k in a]
        elif isinstance(a, list | tuple):
            assert len(a) == len(b), path
            stack += [(f"{path}[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True))]
        elif isinstance(a, set | frozenset):
            assert a == b, path
        elif hasattr(a, "__dict__"):
            mine = {k: v for k, v in vars(a).items() if not _is_value_class(v)}
            theirs = {k: v for k, v in vars(b).items() if not _is_value_class(v)}
            assert list(mine) == list(theirs), path
            stack += [(f"{path}.{k}", v, theirs[k]) for k, v in mine.items()]
        else:
            assert a == b, f"{path}: {type(a)}"
    return len(pairs)


@pytest.mark.parametrize("name", WSDLS)
def test_cached_document_is_the_same_object_graph(
    name: str, erp_fixtures: Path, tmp_path: Path, transport: Transport
) -> None:
    fresh, cached = fresh_and_cached(_location(erp_fixtures, name), transport, tmp_path)
    assert assert_same_graph(fresh, cached) > 20


def netsuite_search(document: Document) -> bytes:
    client = zeep.Client(wsdl=document)  # type: ignore[no-untyped-call]
    search_type = client.get_type(f"{{{NS_REL}}}CustomerSearch")  # type: ignore[no-untyped-call]
    basic_type = client.get_type(f"{{{NS_COMMON}}}CustomerSearchBasic")  # type: ignore[no-untyped-call]
    string_field = client.get_type(f"{{{NS_CORE}}}SearchStringField")  # type: ignore[no-untyped-call]
    record_ref = client.get_type(f"{{{NS_CORE}}}RecordRef")  # type: ignore[no-untyped-call]
    multi_select = client.get_type(f"{{{NS_CORE}}}SearchMultiSelectField")  # type: ignore[no-untyped-call]
    basic = basic_type(
        companyName=string_field(searchValue="Acme & Söhne", operator="contains"),
        salesRep=multi_select(searchValue=[record_ref(internalId="7")], operator="anyOf"),
    )
    envelope = client.create_message(  # type: ignore[no-untyped-call]
        client.service,
        "search",
        searchRecord=search_type(basic=basic),
        _soapheaders={"searchPreferences": {"bodyFieldsOnly": True, "pageSize": 5}},
    )
    return bytes(etree.tostring(envelope))


def netsuite_response(document: Document) -> Any:
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:xsi="{XSI}"><soapenv:Body>'
        f'<searchResponse xmlns="{NS_MSGS}">'
        f'<platformCore:searchResult xmlns:platformCore="{NS_CORE}">'
        '<platformCore:status isSuccess="true"/>'
        "<platformCore:totalRecords>1</platformCore:totalRecords>"
        "<platformCore:pageSize>5</platformCore:pageSize>"
        "<platformCore:recordList>"
        f'<platformCore:record xmlns:listRel="{NS_REL}" xsi:type="listRel:Customer"'
        ' internalId="42"><listRel:entityId>C-42</listRel:entityId>'
        "<listRel:companyName>Acme</listRel:companyName></platformCore:record>"
        "</platformCore:recordList></platformCore:searchResult></searchResponse>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    binding = next(iter(document.bindings.values()))
    result = binding._operations["search"].output.deserialize(etree.fromstring(body))
    return serialize_object(result)  # type: ignore[no-untyped-call]


def test_cached_netsuite_serializes_and_parses_like_a_fresh_parse(
    erp_fixtures: Path, tmp_path: Path, transport: Transport
) -> None:
    location = _location(erp_fixtures, "netsuite-2017_1/netsuite.wsdl")
    fresh, cached = fresh_and_cached(location, transport, tmp_path)
    request = netsuite_search(fresh)
    assert b'xsi:type="ns6:CustomerSearch"' in request and b"S&#246;hne" in request
    assert netsuite_search(cached) == request
    parsed = netsuite_response(fresh)
    record = parsed["body"]["searchResult"]["recordList"]["record"][0]
    assert (record["internalId"], record["companyName"]) == ("42", "Acme")
    assert netsuite_response(cached) == parsed
    assert type(record).__name__ == "OrderedDict"


def nav_request(document: Document) -> bytes:
    client = zeep.Client(wsdl=document)  # type: ignore[no-untyped-call]
    envelope = client.create_message(  # type: ignore[no-untyped-call]
        client.service,
        "ReadMultiple",
        filter=[{"Field": "No", "Criteria": "C*"}, {"Field": "Name", "Criteria": "@*acme*"}],
        bookmarkKey="K;C001;",
        setSize=10,
    )
    return bytes(etree.tostring(envelope))


def nav_response(document: Document) -> Any:
    body = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<ReadMultiple_Result xmlns="{NAV_CUSTOMER}"><ReadMultiple_Result>'
        "<Customer><Key>K;C001;</Key><No>C001</No><Name>Acme</Name>"
        "<Credit_Limit_LCY>1250.50</Credit_Limit_LCY></Customer>"
        "</ReadMultiple_Result></ReadMultiple_Result></s:Body></s:Envelope>"
    )
    binding = next(iter(document.bindings.values()))
    result = binding._operations["ReadMultiple"].output.deserialize(etree.fromstring(body))
    return serialize_object(result)  # type: ignore[no-untyped-call]


def test_cached_nav_serializes_and_parses_like_a_fresh_parse(
    erp_fixtures: Path, tmp_path: Path, transport: Transport
) -> None:
    fresh, cached = fresh_and_cached(
        _location(erp_fixtures, "nav/Customer.wsdl"), transport, tmp_path
    )
    request = nav_request(fresh)
    assert b"K;C001;" in request and b"@*acme*" in request
    assert nav_request(cached) == request
    parsed = nav_response(fresh)
    assert parsed
    assert nav_response(cached) == parsed
    assert "1250.50" in str(parsed)
