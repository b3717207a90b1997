"""A real SOAP server nobody here wrote: spyne serves ``ItemService`` on 127.0.0.1 and the
connector reads it (page-number paging) and writes to it end to end, by config alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from spyne import (  # type: ignore[import-untyped]
    Application,
    Array,
    ComplexModel,
    Decimal,
    Integer,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.protocol.soap import Soap11  # type: ignore[import-untyped]
from spyne.server.wsgi import WsgiApplication  # type: ignore[import-untyped]

from connectors.errors import ConfigError
from connectors.protocol import Connector, WriteResult
from connectors.soap import SoapConnector, SoapConnectorConfig

pytestmark = pytest.mark.anyio

TNS = "urn:channelhub.test.items"


class Item(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    id = Unicode
    name = Unicode
    price = Decimal


@dataclass
class ItemStore:
    """What the spyne service holds; the test inspects it."""

    items: list[Any] = field(default_factory=list)
    by_request: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, int, int]] = field(default_factory=list)


def item_service(store: ItemStore) -> type:
    """An ``ItemService`` class whose methods work on ``store``."""

    class ItemService(ServiceBase):  # type: ignore[misc]
        @rpc(Integer, Integer, _returns=Array(Item))  # type: ignore[untyped-decorator]
        def list_items(ctx: Any, page: int, size: int) -> list[Any]:
            store.calls.append(("list_items", page, size))
            start = (page - 1) * size
            return store.items[start : start + size]

        @rpc(Unicode, Decimal, Unicode, _returns=Unicode)  # type: ignore[untyped-decorator]
        def create_item(ctx: Any, name: str, price: D, request_id: str | None) -> str:
            if request_id and request_id in store.by_request:
                return store.by_request[request_id]
            new_id = f"ITEM-{len(store.items) + 1:04d}"
            store.items.append(Item(id=new_id, name=name, price=price))
            if request_id:
                store.by_request[request_id] = new_id
            return new_id

    return ItemService


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class SpyneServer:
    store: ItemStore
    base_url: str


@pytest.fixture
def spyne_server() -> Iterator[SpyneServer]:
    store = ItemStore(
        items=[Item(id=f"ITEM-{n:04d}", name=f"item {n}", price=D(f"{n}.05")) for n in range(1, 26)]
    )
    application = Application(
        [item_service(store)],
        tns=TNS,
        name="ItemApplication",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    server: WSGIServer = make_server(
        "127.0.0.1", 0, WsgiApplication(application), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield SpyneServer(store=store, base_url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def items_config(server: SpyneServer) -> SoapConnectorConfig:
    """The connector as a user's YAML would give it: plain dicts, validated once."""
    raw: dict[str, Any] = {
        "name": "spyne-items",
        "kind": "soap",
        "connection": {"wsdl": f"{server.base_url}/?wsdl", "timeouts": {"operation": 10}},
        "streams": [
            {
                "name": "items",
                "operation": "list_items",
                "args": {"page": "{page}", "size": "{page_size}"},
                "paginator": {"type": "page_number", "page_size": 10},
            }
        ],
        "operations": [
            {
                "name": "create_item",
                "operation": "create_item",
                "args": {"name": "{name}", "price": "{price}", "request_id": "{idempotency_key}"},
            }
        ],
    }
    return SoapConnectorConfig.model_validate(raw)


async def test_spyne_items_are_read_exactly_once_across_pages(spyne_server: SpyneServer) -> None:
    connector = SoapConnector(items_config(spyne_server))
    assert isinstance(connector, Connector)
    records: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    lasts: list[bool] = []
    async for page in connector.read("items"):
        records += page.records
        states.append(page.state)
        lasts.append(page.last)
    ids = [r["id"] for r in records]
    assert len(ids) == 25 and len(set(ids)) == 25
    assert ids == [f"ITEM-{n:04d}" for n in range(1, 26)]
    assert records[6] == {"id": "ITEM-0007", "name": "item 7", "price": D("7.05")}
    assert states == [{"page": 2}, {"page": 3}, {"page": 3}]
    assert lasts == [False, False, True]
    assert spyne_server.store.calls == [("list_items", p, 10) for p in (1, 2, 3)]
    await connector.aclose()


async def test_spyne_read_resumes_from_saved_page(spyne_server: SpyneServer) -> None:
    connector = SoapConnector(items_config(spyne_server))
    first = await anext(aiter(connector.read("items")))
    rest: list[dict[str, Any]] = []
    async for page in connector.read("items", first.state):
        rest += page.records
    ids = [r["id"] for r in first.records + rest]
    assert ids == [f"ITEM-{n:04d}" for n in range(1, 26)]
    await connector.aclose()


async def test_spyne_write_creates_item_with_exact_decimal(spyne_server: SpyneServer) -> None:
    connector = SoapConnector(items_config(spyne_server))
    record = {"name": "Widget – deluxe", "price": D("1234.5678")}
    result = await connector.write("create_item", record, idempotency_key="outbox-42")
    assert isinstance(result, WriteResult)
    assert result.reference == "ITEM-0026"
    created = spyne_server.store.items[-1]
    assert (created.id, created.name) == ("ITEM-0026", "Widget – deluxe")
    assert isinstance(created.price, D) and created.price == D("1234.5678")
    assert str(created.price) == "1234.5678"

    # The same idempotency key again: the server answers the same id, stores nothing new.
    again = await connector.write("create_item", record, idempotency_key="outbox-42")
    assert again.reference == result.reference
    assert len(spyne_server.store.items) == 26

    # And the new item is read back through the stream.
    records = [r async for page in connector.read("items") for r in page.records]
    assert records[-1] == {"id": "ITEM-0026", "name": "Widget – deluxe", "price": D("1234.5678")}
    await connector.aclose()


async def test_spyne_discover_and_check(spyne_server: SpyneServer) -> None:
    connector = SoapConnector(items_config(spyne_server))
    assert (await connector.check()).ok
    found = {(e.kind, e.name): e for e in await connector.discover()}
    assert {f.name for f in found["operation", "list_items"].fields} == {"page", "size"}
    assert {f.name for f in found["operation", "create_item"].fields} == {
        "name",
        "price",
        "request_id",
    }
    assert {f.name for f in found["record_type", "Item"].fields} == {"id", "name", "price"}
    with pytest.raises(ConfigError):
        await connector.write("delete_item", {}, idempotency_key="k")
    await connector.aclose()
