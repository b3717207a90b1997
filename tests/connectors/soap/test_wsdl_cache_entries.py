"""The disk cache's entries: an edited imported XSD invalidates its entry, imports served over
HTTP are not fetched again, a corrupt or truncated entry is re-parsed and replaced, loaded
objects go to the collector's oldest generation (unless the process froze its own), and
objects that do not fit the fast layout format round-trip through pickle's default path."""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import pickletools
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import zeep
from zeep.transports import Transport
from zeep.wsdl import Document

from connectors.soap import discovery, wsdl_cache
from tests.local_server import serving

TYPES_XSD = """<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t:types"
    elementFormDefault="qualified">
  <xsd:complexType name="Item">
    <xsd:sequence>{fields}</xsd:sequence>
  </xsd:complexType>
  <xsd:element name="Item" type="ty:Item" xmlns:ty="urn:t:types"/>
</xsd:schema>
"""
FIELD = '<xsd:element name="{name}" type="xsd:string"/>'
ECHO_WSDL = """<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="urn:t" xmlns:ty="urn:t:types" targetNamespace="urn:t">
  <types>
    <xsd:schema targetNamespace="urn:t">
      <xsd:import namespace="urn:t:types" schemaLocation="types.xsd"/>
    </xsd:schema>
  </types>
  <message name="EchoIn"><part name="body" element="ty:Item"/></message>
  <message name="EchoOut"><part name="body" element="ty:Item"/></message>
  <portType name="EchoPort">
    <operation name="Echo"><input message="tns:EchoIn"/><output message="tns:EchoOut"/></operation>
  </portType>
  <binding name="EchoBinding" type="tns:EchoPort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <operation name="Echo">
      <soap:operation soapAction="echo"/>
      <input><soap:body use="literal"/></input>
      <output><soap:body use="literal"/></output>
    </operation>
  </binding>
  <service name="Echo">
    <port name="EchoSoap" binding="tns:EchoBinding">
      <soap:address location="http://127.0.0.1:9/echo"/>
    </port>
  </service>
</definitions>
"""


@pytest.fixture
def transport() -> Iterator[Transport]:
    transport = Transport()  # type: ignore[no-untyped-call]
    yield transport
    transport.session.close()


def write_echo(folder: Path, fields: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    xsd = "".join(FIELD.format(name=name) for name in fields)
    (folder / "types.xsd").write_text(TYPES_XSD.format(fields=xsd))
    wsdl = folder / "echo.wsdl"
    wsdl.write_text(ECHO_WSDL)
    return wsdl


def item_fields(document: Document) -> list[str]:
    found = discovery.record_types(document)
    return [field.name for field in next(e for e in found if e.name == "Item").fields]


def load_as_new_process(location: str, transport: Transport, cache: Path) -> tuple[Document, str]:
    """The document as a fresh process gets it, and how (``parsed`` or ``disk``)."""
    wsdl_cache.clear_memory_cache()
    before = wsdl_cache.stats.copy()
    document = wsdl_cache.load_document(location, transport, zeep.Settings(), cache_dir=cache)
    wsdl_cache.clear_memory_cache()
    (how,) = (wsdl_cache.stats - before).keys()
    return document, how


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file URI"])
def test_editing_an_imported_xsd_invalidates_the_entry(
    as_uri: bool, tmp_path: Path, transport: Transport
) -> None:
    wsdl = write_echo(tmp_path / "wsdl files", ["code"])
    location = wsdl.as_uri() if as_uri else str(wsdl)
    cache = tmp_path / "cache"
    assert load_as_new_process(location, transport, cache)[1] == "parsed"
    document, how = load_as_new_process(location, transport, cache)
    assert (how, item_fields(document)) == ("disk", ["code"])

    write_echo(tmp_path / "wsdl files", ["code", "name"])  # the WSDL's own bytes are unchanged
    later = os.stat(wsdl.parent / "types.xsd").st_mtime_ns + 2_000_000_000
    os.utime(wsdl.parent / "types.xsd", ns=(later, later))
    document, how = load_as_new_process(location, transport, cache)
    assert (how, item_fields(document)) == ("parsed", ["code", "name"])
    document, how = load_as_new_process(location, transport, cache)
    assert (how, item_fields(document)) == ("disk", ["code", "name"])
    assert len(list(cache.iterdir())) == 1


def test_an_entry_lists_the_local_files_it_was_built_from(
    tmp_path: Path, transport: Transport
) -> None:
    wsdl = write_echo(tmp_path / "wsdl", ["code"])
    cache = tmp_path / "cache"
    load_as_new_process(str(wsdl), transport, cache)
    (entry,) = cache.iterdir()
    header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
    sources = {Path(path).name: (mtime_ns, size) for path, mtime_ns, size in header["sources"]}
    assert set(sources) == {"echo.wsdl", "types.xsd"}
    xsd = os.stat(wsdl.parent / "types.xsd")
    assert sources["types.xsd"] == (xsd.st_mtime_ns, xsd.st_size)


class _Recorder(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def test_imports_over_http_are_not_fetched_again(tmp_path: Path, transport: Transport) -> None:
    wsdl = write_echo(tmp_path / "wsdl", ["code"])
    requested: list[str] = []

    class Handler(_Recorder):
        def do_GET(self) -> None:
            requested.append(self.path)
            super().do_GET()

    handler = functools.partial(Handler, directory=str(wsdl.parent))
    with serving(handler) as url:  # type: ignore[arg-type]
        cache = tmp_path / "cache"
        assert load_as_new_process(f"{url}/echo.wsdl", transport, cache)[1] == "parsed"
        assert sorted(requested) == ["/echo.wsdl", "/echo.wsdl", "/types.xsd"]
        requested.clear()
        document, how = load_as_new_process(f"{url}/echo.wsdl", transport, cache)
        assert (how, requested, item_fields(document)) == ("disk", ["/echo.wsdl"], ["code"])
    (entry,) = cache.iterdir()
    assert json.loads(entry.read_bytes().split(b"\n", 1)[0]) == {"sources": []}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "no header"])
def test_a_damaged_entry_is_parsed_again_and_replaced(
    damage: str, tmp_path: Path, transport: Transport
) -> None:
    wsdl = write_echo(tmp_path / "wsdl", ["code"])
    cache = tmp_path / "cache"
    load_as_new_process(str(wsdl), transport, cache)
    (entry,) = cache.iterdir()
    good = entry.read_bytes()
    damaged = {
        "garbage": b"not a cache entry",
        "truncated": good[: len(good) - 200],
        "no header": good.split(b"\n", 1)[1],
    }[damage]
    entry.write_bytes(damaged)
    document, how = load_as_new_process(str(wsdl), transport, cache)
    assert (how, item_fields(document)) == ("parsed", ["code"])
    assert entry.read_bytes() == good
    assert load_as_new_process(str(wsdl), transport, cache)[1] == "disk"


def test_loaded_objects_go_to_the_oldest_generation(tmp_path: Path, transport: Transport) -> None:
    wsdl = write_echo(tmp_path / "wsdl", ["code"])
    cache = tmp_path / "cache"
    load_as_new_process(str(wsdl), transport, cache)
    document, how = load_as_new_process(str(wsdl), transport, cache)
    assert how == "disk"
    assert any(o is document for o in gc.get_objects(generation=2))
    assert not any(o is document for o in gc.get_objects(generation=0))


def test_a_process_that_froze_objects_keeps_them_frozen(
    tmp_path: Path, transport: Transport
) -> None:
    wsdl = write_echo(tmp_path / "wsdl", ["code"])
    cache = tmp_path / "cache"
    load_as_new_process(str(wsdl), transport, cache)
    sentinel = [object()]
    gc.freeze()
    try:
        assert not any(o is sentinel for o in gc.get_objects())  # frozen: in no generation
        document, how = load_as_new_process(str(wsdl), transport, cache)
        assert how == "disk"
        assert not any(o is sentinel for o in gc.get_objects())
        assert any(o is document for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is sentinel for o in gc.get_objects())


# Objects outside the fast layout format (pickled by reference, so defined at module level).


class Plain:
    """Ordinary attributes: the fast layout format."""


class Recording:
    """A custom ``__setattr__``: restored without calling it, as pickle does."""

    calls = 0

    def __setattr__(self, name: str, value: Any) -> None:
        type(self).calls += 1
        super().__setattr__(name, value)


class Shadowed:
    """An instance attribute behind a data descriptor of the same name."""

    @property
    def size(self) -> int:
        return int(self.__dict__["size"]) * 2

    @size.setter
    def size(self, value: int) -> None:
        raise AssertionError("the descriptor must not be used to restore state")


class Slotted:
    __slots__ = ("a", "b")


class Tagged(dict[str, int]):
    """A dict subclass with an attribute of its own."""


def round_trip(value: Any, holder: Any, loader: Any) -> tuple[Any, bytes]:
    """``value`` pickled with ``holder``'s transport and settings, loaded with ``loader``'s."""
    buffer = io.BytesIO()
    wsdl_cache._DocumentPickler(buffer, holder).dump(value)
    buffer.seek(0)
    return wsdl_cache._load(buffer, loader.transport, loader.settings), buffer.getvalue()


def test_objects_outside_the_fast_format_round_trip_through_the_default_path() -> None:
    plain = Plain()
    plain.__dict__.update({"me": plain, "name": "x", "class": 1, "not-a-name": 2})
    layout = Plain()
    layout.name, layout.count = "x", 3  # type: ignore[attr-defined]
    recording = Recording()
    recording.value = [plain, layout]
    shadowed = Shadowed()
    shadowed.__dict__["size"] = 21
    slotted = Slotted()
    slotted.a, slotted.b = 1, (layout,)  # type: ignore[attr-defined]
    tagged = Tagged(one=1)
    tagged.label = "t"  # type: ignore[attr-defined]

    holder = SimpleNamespace(transport=Plain(), settings=Plain())
    layout.transport = holder.transport  # type: ignore[attr-defined]
    tagged.settings = [holder.settings]  # type: ignore[attr-defined]
    loader = SimpleNamespace(transport=object(), settings=object())

    calls = Recording.calls
    got, data = round_trip([plain, layout, recording, shadowed, slotted, tagged], holder, loader)
    assert Recording.calls == calls
    # Only ``layout`` takes the fast format (the transport and settings are the loader's):
    # its setter is called, then its result popped.
    assert [op.name for op, _, _ in pickletools.genops(data)].count("POP") == 1
    g_plain, g_layout, g_recording, g_shadowed, g_slotted, g_tagged = got
    assert g_plain.me is g_plain
    assert vars(g_plain) == {"me": g_plain, "name": "x", "class": 1, "not-a-name": 2}
    assert list(vars(g_plain)) == ["me", "name", "class", "not-a-name"]
    assert vars(g_layout) == {"name": "x", "count": 3, "transport": loader.transport}
    assert g_layout.transport is loader.transport and g_tagged.settings[0] is loader.settings
    assert g_recording.value[0] is g_plain and g_recording.value[1] is g_layout
    assert g_shadowed.size == 42
    assert (g_slotted.a, g_slotted.b[0]) == (1, g_layout)
    assert (dict(g_tagged), g_tagged.label) == ({"one": 1}, "t")


def test_layout_setters_take_attribute_names_only() -> None:
    setter = wsdl_cache._state_setter(("name", "count"))
    target = Plain()
    setter(target, ("x", 3))
    assert vars(target) == {"name": "x", "count": 3}
    assert wsdl_cache._state_setter(("name", "count")) is setter
    for bad in [("a-b",), ("class",), ("x", "y; import os"), ()]:
        with pytest.raises(ValueError, match="not a layout"):
            wsdl_cache._state_setter(bad)
