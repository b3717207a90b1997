"""Stub ERPs for outbox tests, served on 127.0.0.1 in a thread.

``RestErp`` takes sales orders by POST; with ``idempotent`` it honours the Idempotency-Key
header (a repeat answers the first record), without it every POST creates a record; GET
``/sales-orders?external_no=KEY`` finds one by our key. ``SoapErp`` is a spyne service in the
demo ERP's vocabulary whose ``CreateSalesOrder`` creates a duplicate on every call (no
idempotency) and whose ``ReadSalesOrderByExternalNo`` finds an order by our key.

Both can ``hold`` a create: the record is stored, ``accepted`` is set, and the answer waits
until ``release`` — the window in which a test kills the relay. ``failures`` answers the next
creates with HTTP errors (503, 422, …) before taking any.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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
from spyne.model.fault import Fault  # type: ignore[import-untyped]
from spyne.protocol.soap import Soap11  # type: ignore[import-untyped]
from spyne.server.wsgi import WsgiApplication  # type: ignore[import-untyped]

from tests.local_server import serving

HOLD_SECONDS = 30


@dataclass
class ErpRecords:
    """What an ERP stub holds and how it behaves; shared with its serving thread."""

    idempotent: bool = True
    hold: bool = False
    failures: list[int] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, str] = field(default_factory=dict)
    accepted: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    fault_when_missing: bool = False  # the SOAP lookup faults instead of answering empty
    creates: int = 0
    lookups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, key: str | None, order: dict[str, Any]) -> str:
        with self.lock:
            self.creates += 1
            if self.idempotent and key and key in self.by_key:
                return self.by_key[key]
            number = f"SO{len(self.orders) + 1:05d}"
            self.orders.append({"No": number, "key": key, **order})
            if key:
                self.by_key.setdefault(key, number)
            hold, accepted, release = self.hold, self.accepted, self.release
        if hold:  # stored; the answer waits (the relay may be killed meanwhile)
            accepted.set()
            release.wait(HOLD_SECONDS)
        return number

    def hold_next(self) -> None:
        """Hold the answers of the following creates until ``let_go``."""
        with self.lock:
            self.hold = True
            self.accepted, self.release = threading.Event(), threading.Event()

    def let_go(self) -> None:
        """Answer every held create, and hold no more."""
        with self.lock:
            self.hold = False
            self.release.set()

    def find(self, key: str) -> str | None:
        with self.lock:
            self.lookups += 1
            return self.by_key.get(key)

    def keys(self) -> list[str | None]:
        with self.lock:
            return [order["key"] for order in self.orders]


# -- REST --------------------------------------------------------------------------------


def _rest_handler(erp: ErpRecords) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            if erp.failures:
                echo = {"error": "refused", "request_auth": self.headers.get("Authorization")}
                self._json(erp.failures.pop(0), echo)  # an ERP echoing the request
                return
            number = erp.create(self.headers.get("Idempotency-Key"), body)
            self._json(201, {"id": number})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            key = parse_qs(url.query).get("external_no", [""])[0]
            found = erp.find(key)
            self._json(200, {"data": [] if found is None else [{"id": found}]})

    return Handler


@contextmanager
def rest_erp(erp: ErpRecords) -> Iterator[str]:
    """The REST stub's base URL while it serves ``erp``."""
    with serving(_rest_handler(erp)) as url:
        yield url


def rest_config(
    name: str,
    url: str,
    *,
    lookup: bool = False,
    trigger: str | None = "order.approved",
    token: str | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "name": "create_sales_order",
        "path": "/sales-orders",
        "body": {
            "external_no": "{idempotency_key}",
            "customer": "{partner_code}",
            "lines": "{lines}",
            "total": "{total}",
        },
        "reference_path": "id",
    }
    if trigger is not None:
        operation["trigger"] = trigger
    if lookup:
        operation["lookup"] = {
            "path": "/sales-orders",
            "params": {"external_no": "{idempotency_key}"},
            "reference_path": "data[0].id",
        }
    return {
        "name": name,
        "kind": "rest",
        "connection": {
            "base_url": url,
            "authenticator": {"type": "bearer", "token": token} if token else {"type": "none"},
            "retries": {"max_attempts": 1},
            "timeouts": {"read": HOLD_SECONDS + 10},
        },
        "operations": [operation],
    }


# -- SOAP --------------------------------------------------------------------------------

TNS = "urn:channelhub:test:sales"


class NewSalesOrderLine(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    No = Unicode
    Quantity = Integer
    Unit_Price = Decimal


class NewSalesOrder(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    External_Document_No = Unicode
    Sell_to_Customer_No = Unicode
    Currency_Code = Unicode
    Sales_Lines = Array(NewSalesOrderLine)


class SalesOrder(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS
    No = Unicode
    External_Document_No = Unicode


def _sales_service(erp: ErpRecords) -> type:
    class SalesService(ServiceBase):  # type: ignore[misc]
        @rpc(  # type: ignore[untyped-decorator]
            NewSalesOrder, _returns=SalesOrder, _in_variable_names={"new": "SalesOrder"}
        )
        def CreateSalesOrder(ctx: Any, new: Any) -> Any:
            lines = [
                {"No": line.No, "Quantity": line.Quantity, "Unit_Price": line.Unit_Price}
                for line in new.Sales_Lines or []
            ]
            order = {"customer": new.Sell_to_Customer_No, "lines": lines}
            number = erp.create(new.External_Document_No, order)
            return SalesOrder(No=number, External_Document_No=new.External_Document_No)

        @rpc(  # type: ignore[untyped-decorator]
            Unicode, _returns=SalesOrder, _in_variable_names={"key": "External_Document_No"}
        )
        def ReadSalesOrderByExternalNo(ctx: Any, key: str) -> Any:
            found = erp.find(key)
            if found is None and erp.fault_when_missing:
                raise Fault(faultcode="Server", faultstring=f"There is no Sales Order {key}")
            return None if found is None else SalesOrder(No=found, External_Document_No=key)

    return SalesService


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def soap_erp(erp: ErpRecords) -> Iterator[str]:
    """The SOAP stub's base URL (its WSDL at ``?wsdl``) while it serves ``erp``."""
    erp.idempotent = False  # like the demo ERP: CreateSalesOrder never deduplicates
    application = Application(
        [_sales_service(erp)],
        tns=TNS,
        name="SalesApplication",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    server = make_server(
        "127.0.0.1",
        0,
        WsgiApplication(application),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        erp.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def soap_config(name: str, url: str, *, lookup: bool = True) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "name": "create_sales_order",
        "operation": "CreateSalesOrder",
        "trigger": "order.approved",
        "args": {
            "SalesOrder": {
                "External_Document_No": "{idempotency_key}",
                "Sell_to_Customer_No": "{partner_code}",
                "Currency_Code": "{currency}",
                "Sales_Lines": {
                    "NewSalesOrderLine": {
                        "_each": "{lines}",
                        "_item": {
                            "No": "{sku}",
                            "Quantity": "{quantity}",
                            "Unit_Price": "{unit_price}",
                        },
                    }
                },
            }
        },
        "reference_path": "No",
    }
    if lookup:
        operation["lookup"] = {
            "operation": "ReadSalesOrderByExternalNo",
            "args": {"External_Document_No": "{idempotency_key}"},
            "reference_path": "No",
        }
    return {
        "name": name,
        "kind": "soap",
        "connection": {"wsdl": f"{url}/?wsdl", "timeouts": {"operation": HOLD_SECONDS + 10}},
        "operations": [operation],
    }
