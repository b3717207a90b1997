"""Local ERP stubs for ``bench/connector_read.py``: a JSON REST API and a NAV SOAP page service.

Both are ``http.server`` servers on 127.0.0.1 in a daemon thread. Every page body is rendered
once up front, so during a measured read the stub only looks a page up and writes its bytes
(the server thread shares the GIL with the client, so it should cost as little as possible);
the same bytes are the floor's input. Each stub counts the records it served, so a bench can
check that a read asked for every page exactly once.

- ``RestStub``: ``GET /api/products?limit=<page size>[&cursor=<token>]`` answers
  ``{"data": [...], "meta": {"next_cursor": <token> | null}}`` (cursor pagination).
- ``NavStub``: ``GET /Customer?wsdl`` serves the unmodified NAV ``Customer.wsdl`` with only its
  ``soap:address`` rewritten; ``POST /Customer`` answers ``ReadMultiple`` with bookmark paging
  (the last record's ``Key`` is the next call's ``bookmarkKey``; an empty result ends a read).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from lxml import etree  # type: ignore[import-untyped]

NAV_WSDL_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "erp" / "nav"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NAV_CUSTOMER_NS = "urn:microsoft-dynamics-schemas/page/customer"

CATEGORY_CODES = {"10": "Tractors", "20": "Implements", "30": "Spare parts", "40": "Lubricants"}
BLOCKED_CODES = {
    "_blank_": "ACTIVE",
    "Ship": "SUSPENDED",
    "Invoice": "SUSPENDED",
    "All": "TERMINATED",
}


# -- the records ------------------------------------------------------------------------------


def product_rows(count: int) -> list[dict[str, Any]]:
    """``count`` products as a REST ERP would list them (money as decimal strings)."""
    codes = list(CATEGORY_CODES)
    first = date(2019, 1, 7)
    return [
        {
            "id": f"P{n:06d}",
            "sku": f"SKU-{n:06d}",
            "name": f"Product {n} ({CATEGORY_CODES[codes[n % len(codes)]]})",
            "category_code": codes[n % len(codes)],
            "price": f"{(n * 37) % 5000 + 1}.{n % 100:02d}",
            "launched_on": (first + timedelta(days=n % 2000)).isoformat(),
            "unit": "EA" if n % 3 else "BOX",
            "barcode": f"4006381{n:06d}",
            "updated_at": f"2025-06-{n % 28 + 1:02d}T08:{n % 60:02d}:00Z",
        }
        for n in range(count)
    ]


def customer_rows(count: int) -> list[dict[str, str]]:
    """``count`` NAV customers, fields in the order of the WSDL's ``Customer`` sequence."""
    blocked = list(BLOCKED_CODES)
    first = date(2024, 1, 1)
    return [
        {
            "Key": f"32;GwAAAAJ7/0MA{n:06d};1200{n};",
            "No": f"C{n:06d}",
            "Name": f"Customer {n} & Sons",
            "Address": f"{n % 200 + 1} Main Street",
            "City": ("Lyon", "Porto", "Graz", "Ghent")[n % 4],
            "Country_Region_Code": ("FR", "PT", "AT", "BE")[n % 4],
            "Phone_No": f"+33 4 {n % 100:02d} {n % 97:02d} {n % 89:02d} {n % 83:02d}",
            "Balance_LCY": f"{(n * 53) % 90000}.{n % 100:02d}",
            "Credit_Limit_LCY": f"{(n % 50 + 1) * 1000}.00",
            "Blocked": blocked[0] if n % 10 else blocked[n % 4],
            "Last_Date_Modified": (first + timedelta(days=n % 500)).isoformat(),
            "E_Mail": f"buyer{n}@customer{n % 300}.example",
        }
        for n in range(count)
    ]


# -- the server -------------------------------------------------------------------------------

Answer = tuple[int, bytes, str]


class _Stub:
    """A threaded HTTP server answering through ``get`` and ``post``; served-record counter."""

    def __init__(self) -> None:
        self.base_url = ""
        self.served_records = 0
        self.served_pages = 0
        self._count_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def get(self, path: str) -> Answer:
        return 404, b"not found", "text/plain"

    def post(self, path: str, body: bytes) -> Answer:
        return 404, b"not found", "text/plain"

    def prepare(self) -> None:
        """Render what depends on ``base_url`` (known once the socket is bound)."""

    def count(self, records: int) -> None:
        with self._count_lock:
            self.served_records += records
            self.served_pages += 1

    def reset_counts(self) -> None:
        with self._count_lock:
            self.served_records = 0
            self.served_pages = 0

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.get, self.post))
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self.prepare()
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _handler(
    get: Callable[[str], Answer], post: Callable[[str, bytes], Answer]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real ERP behind a shared client
        timeout = 30

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, answer: Answer) -> None:
            status, body, content_type = answer
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(get(self.path))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._answer(post(self.path, body))

    return Handler


# -- REST -------------------------------------------------------------------------------------


class RestStub(_Stub):
    """Products as JSON pages with an opaque next-page cursor."""

    path = "/api/products"

    def __init__(self, records: list[dict[str, Any]], page_size: int) -> None:
        super().__init__()
        self.page_size = page_size
        self._pages: dict[str, tuple[bytes, int]] = {}
        self.bodies: list[bytes] = []
        starts = range(0, len(records), page_size)
        for start in starts:
            page = records[start : start + page_size]
            following = start + page_size
            cursor = f"after-{following:08x}" if following < len(records) else None
            body = json.dumps({"data": page, "meta": {"next_cursor": cursor}}).encode()
            self._pages["" if start == 0 else f"after-{start:08x}"] = (body, len(page))
            self.bodies.append(body)

    def get(self, path: str) -> Answer:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        if parts.path != self.path:
            return 404, b'{"error": "not found"}', "application/json"
        if query.get("limit") != [str(self.page_size)]:
            return 400, b'{"error": "unexpected limit"}', "application/json"
        found = self._pages.get(query.get("cursor", [""])[0])
        if found is None:
            return 400, b'{"error": "unknown cursor"}', "application/json"
        body, records = found
        self.count(records)
        return 200, body, "application/json"


# -- SOAP (NAV page service) ------------------------------------------------------------------


def _envelope(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<ReadMultiple_Result xmlns="{NAV_CUSTOMER_NS}">{inner}</ReadMultiple_Result>'
        "</s:Body></s:Envelope>"
    ).encode()


class NavStub(_Stub):
    """NAV's Customer page service: the real WSDL and ``ReadMultiple`` with bookmarks."""

    page = "Customer"

    def __init__(self, records: list[dict[str, str]], page_size: int) -> None:
        super().__init__()
        self.page_size = page_size
        self.wsdl = b""
        self._pages: dict[str, tuple[bytes, int]] = {}
        self.bodies: list[bytes] = []
        for start in range(0, len(records) + 1, page_size):
            page = records[start : start + page_size]
            items = "".join(
                "<Customer>"
                + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in row.items())
                + "</Customer>"
                for row in page
            )
            body = _envelope(f"<ReadMultiple_Result>{items}</ReadMultiple_Result>" if page else "")
            bookmark = "" if start == 0 else records[start - 1]["Key"]
            self._pages[bookmark] = (body, len(page))
            self.bodies.append(body)
            if not page:
                break
        else:  # the last page was not empty: the read still ends on an empty page
            self._pages[records[-1]["Key"] if records else ""] = (_envelope(""), 0)
            self.bodies.append(_envelope(""))

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}/{self.page}?wsdl"

    def prepare(self) -> None:
        tree = etree.fromstring((NAV_WSDL_DIR / f"{self.page}.wsdl").read_bytes())
        for address in tree.iter("{*}address"):
            address.set("location", f"{self.base_url}/{self.page}")
        self.wsdl = etree.tostring(tree, xml_declaration=True, encoding="utf-8")

    def get(self, path: str) -> Answer:
        if urlsplit(path).path != f"/{self.page}":
            return 404, b"not found", "text/plain"
        return 200, self.wsdl, "text/xml; charset=utf-8"

    def post(self, path: str, body: bytes) -> Answer:
        if path != f"/{self.page}":
            return 404, b"not found", "text/plain"
        request = etree.fromstring(body)
        key = request.findtext(f".//{{{NAV_CUSTOMER_NS}}}bookmarkKey") or ""
        size = request.findtext(f".//{{{NAV_CUSTOMER_NS}}}setSize")
        if size != str(self.page_size):
            return 500, _fault(f"unexpected setSize {size!r}"), "text/xml; charset=utf-8"
        found = self._pages.get(key)
        if found is None:
            return 500, _fault("unknown bookmark"), "text/xml; charset=utf-8"
        envelope, records = found
        self.count(records)
        return 200, envelope, "text/xml; charset=utf-8"


def _fault(text: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><s:Fault><faultcode>s:Client</faultcode>'
        f"<faultstring>{escape(text)}</faultstring></s:Fault></s:Body></s:Envelope>"
    ).encode()
