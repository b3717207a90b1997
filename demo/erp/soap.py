"""The demo ERP's SOAP sales service: its WSDL and its operations, as a Starlette endpoint.

``SoapService(erp).handle`` answers ``GET ?wsdl`` with ``channel_erp.wsdl`` whose
``soap:address`` is rewritten to the URL it was fetched from, any other ``GET`` with a short
text (a reachability probe), and POSTed SOAP 1.1 envelopes with replies:

- ``ReadMultipleCustomers`` / ``Items`` / ``Stock`` / ``SalesOrders`` (``filter``,
  ``bookmarkKey``, ``setSize``): records in key order after the bookmark, NAV-style; a
  ``setSize`` of 0 means all;
- ``ReadSalesOrderByExternalNo``: the first order with that external document number, or none;
- ``CreateSalesOrder``: a new ``Open`` order (never deduplicated: look it up first).

A request the service cannot accept (not an envelope, unknown operation, bad filter or
bookmark, unknown customer) gets a ``soap:Client`` fault; an unexpected failure a
``soap:Server`` fault; both with HTTP 500. Wrong or missing basic credentials get a plain 401;
an outage (``DemoErp.set_unavailable``) a 503 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import logging
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from demo.erp import envelopes
from demo.erp.criteria import CriteriaError, compile_filters
from demo.erp.dataset import ErpInputError, NewLine
from demo.erp.envelopes import SoapFault, child, children, render, result_element, text
from demo.erp.erp import DemoErp
from demo.erp.records import BadBookmarkError, bookmark_key

WSDL_PATH = Path(__file__).with_name("channel_erp.wsdl")
READS = {
    "ReadMultipleCustomers": "Customer",
    "ReadMultipleItems": "Item",
    "ReadMultipleStock": "Stock",
    "ReadMultipleSalesOrders": "Sales_Order",
}
XML = "text/xml; charset=utf-8"
MAX_SET_SIZE = 1000
logger = logging.getLogger(__name__)


@cache
def _wsdl_tree() -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.parse(str(WSDL_PATH), parser=parser)


def wsdl_for(address: str) -> bytes:
    """The WSDL with every ``soap:address`` pointing at ``address``."""
    tree = _wsdl_tree()
    root = etree.fromstring(etree.tostring(tree))
    for element in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
        element.set("location", address)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep else None


class SoapService:
    """The SOAP endpoint of one ``DemoErp``."""

    def __init__(self, erp: DemoErp) -> None:
        self.erp = erp

    async def handle(self, request: Request) -> Response:
        if self.erp.unavailable:
            headers = {"Retry-After": "5"}
            if request.method == "POST":
                body = envelopes.fault("Server", "the ERP is temporarily unavailable")
                return Response(body, 503, headers=headers, media_type=XML)
            return PlainTextResponse("the ERP is temporarily unavailable", 503, headers=headers)
        wants_wsdl = any(key.lower() == "wsdl" for key in request.query_params)
        public = request.method == "GET" and wants_wsdl and not self.erp.protect_wsdl
        if not public and not self._authorized(request):
            return PlainTextResponse(
                "credentials required", 401, headers={"WWW-Authenticate": 'Basic realm="demo-erp"'}
            )
        if request.method == "GET":
            address = str(request.url.replace(query=""))
            if wants_wsdl:
                return Response(wsdl_for(address), media_type=XML)
            return PlainTextResponse(f"ChannelHub demo ERP sales service; WSDL: {address}?wsdl")
        try:
            operation = envelopes.request_operation(await request.body())
            reply = self._dispatch(operation)
        except SoapFault as problem:
            return Response(envelopes.fault(problem.code, problem.message), 500, media_type=XML)
        except Exception:
            logger.exception("demo ERP: SOAP operation failed")
            body = envelopes.fault("Server", "the ERP could not process the request")
            return Response(body, 500, media_type=XML)
        return Response(envelopes.envelope(reply), media_type=XML)

    def _authorized(self, request: Request) -> bool:
        if not self.erp.soap_auth:
            return True
        credentials = _basic_credentials(request)
        return credentials is not None and self.erp.soap_credentials_ok(*credentials)

    def _dispatch(self, operation: Any) -> Any:
        name = etree.QName(operation)
        if name.namespace != envelopes.TNS:
            raise SoapFault("Client", f"unknown operation {name.localname!r} (wrong namespace)")
        if name.localname in READS:
            return self._read_multiple(name.localname, READS[name.localname], operation)
        if name.localname == "ReadSalesOrderByExternalNo":
            return self._read_by_external_no(operation)
        if name.localname == "CreateSalesOrder":
            return self._create_sales_order(operation)
        raise SoapFault("Client", f"unknown operation {name.localname!r}")

    def _read_multiple(self, operation: str, table: str, request: Any) -> Any:
        filters = []
        for element in children(request, "filter"):
            field = text(element, "Field", required=True) or ""
            filters.append((field, text(element, "Criteria") or ""))
        size_text = text(request, "setSize", required=True) or ""
        try:
            size = int(size_text)
        except ValueError:
            raise SoapFault("Client", "setSize must be an integer") from None
        if size < 0:
            raise SoapFault("Client", "setSize cannot be negative")
        size = min(size or MAX_SET_SIZE, MAX_SET_SIZE)
        try:
            matches = compile_filters(table, filters)
            records = self.erp.dataset.table(table)
            start = 0
            bookmark = text(request, "bookmarkKey")
            if bookmark is not None:
                after = bookmark_key(table, bookmark)
                start = bisect.bisect_right([r.sort_key for r in records], after)
        except (CriteriaError, BadBookmarkError) as problem:
            raise SoapFault("Client", str(problem)) from None
        page: list[dict[str, Any]] = []
        for record in records[start:]:
            values = record.values()
            if matches(values):
                page.append(values)
                if len(page) == size:
                    break
        reply = result_element(f"{operation}_Result")
        if page:
            render(reply, f"{operation}_Result", {table: page})
        return reply

    def _read_by_external_no(self, request: Any) -> Any:
        external_no = text(request, "External_Document_No", required=True) or ""
        reply = result_element("ReadSalesOrderByExternalNo_Result")
        found = self.erp.dataset.orders_by_external_no(external_no)
        if found:
            render(reply, "SalesOrder", found[0].values())
        return reply

    def _create_sales_order(self, request: Any) -> Any:
        order = child(request, "SalesOrder")
        if order is None:
            raise SoapFault("Client", "CreateSalesOrder: SalesOrder is required")
        lines_element = child(order, "Sales_Lines")
        line_elements = [] if lines_element is None else children(lines_element, "Sales_Order_Line")
        try:
            lines = [_new_line(number, line) for number, line in enumerate(line_elements, 1)]
            created = self.erp.dataset.create_sales_order(
                external_no=text(order, "External_Document_No"),
                customer_no=text(order, "Sell_to_Customer_No", required=True) or "",
                order_date=_order_date(text(order, "Order_Date", required=True) or ""),
                lines=lines,
                at=self.erp.utcnow(),
                currency=text(order, "Currency_Code") or "CNY",
            )
        except ErpInputError as problem:
            raise SoapFault("Client", str(problem)) from None
        reply = result_element("CreateSalesOrder_Result")
        render(reply, "SalesOrder", created.values())
        return reply


def _order_date(value: str) -> date:
    """An xsd:date; as a demo leniency also an ISO 8601 date-time (its UTC date)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SoapFault("Client", "Order_Date must be a date (YYYY-MM-DD)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _new_line(number: int, element: Any) -> NewLine:
    item_no = text(element, "No", required=True) or ""
    try:
        quantity = int(text(element, "Quantity", required=True) or "")
        price = Decimal(text(element, "Unit_Price", required=True) or "")
    except (ValueError, InvalidOperation):
        raise SoapFault(
            "Client", f"line {number}: Quantity must be an integer and Unit_Price a decimal"
        ) from None
    if not price.is_finite():
        raise SoapFault("Client", f"line {number}: Unit_Price must be a finite decimal")
    return NewLine(item_no, quantity, price)
