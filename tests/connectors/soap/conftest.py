"""Fixtures for SOAP connector tests: the ERP fixture folder and a NAV page-service stub.

The stub serves the unmodified NAV WSDL bytes (only ``soap:address`` rewritten at serve
time) on 127.0.0.1 and answers ``ReadMultiple`` with bookmark paging over fake records.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

from tests.local_server import serving

REPO_ROOT = Path(__file__).resolve().parents[3]
ERP_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "erp"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture(scope="session")
def erp_fixtures() -> Path:
    if not (ERP_FIXTURES / "nav" / "Customer.wsdl").is_file():
        pytest.fail(f"ERP fixtures not found at {ERP_FIXTURES} (expected ../shared/fixtures/erp)")
    return ERP_FIXTURES


@dataclass
class NavStub:
    """What the stub serves and what it received."""

    base_url: str = ""
    records: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    basic_auth: tuple[str, str] | None = None
    fault: tuple[str, str] | None = None  # (faultcode, faultstring) answered to every call
    wsdl_override: bytes | None = None


def _envelope(body: str) -> bytes:
    return (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{body}</s:Body></s:Envelope>').encode()


def _handler(stub: NavStub, wsdl_dir: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _authorized(self) -> bool:
            if stub.basic_auth is None:
                return True
            expected = base64.b64encode(":".join(stub.basic_auth).encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="nav"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def _send(self, status: int, body: bytes, ctype: str = "text/xml; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if not self._authorized():
                return
            page = self.path.strip("/").split("?")[0]
            source = wsdl_dir / f"{page}.wsdl"
            if stub.wsdl_override is not None:
                self._send(200, stub.wsdl_override)
            elif source.is_file():
                tree = etree.fromstring(source.read_bytes())
                for address in tree.iter("{*}address"):
                    address.set("location", f"{stub.base_url}/{page}")
                self._send(200, etree.tostring(tree, xml_declaration=True, encoding="utf-8"))
            else:
                self._send(200, b"ok", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            stub.requests.append((dict(self.headers), body))
            if not self._authorized():
                return
            if stub.fault is not None:
                code, text = stub.fault
                fault = (
                    f"<s:Fault><faultcode>{code}</faultcode>"
                    f"<faultstring>{text}</faultstring></s:Fault>"
                )
                self._send(500, _envelope(fault))
                return
            page = self.path.strip("/")
            ns = f"urn:microsoft-dynamics-schemas/page/{page.lower()}"
            request = etree.fromstring(body)
            key = request.findtext(f".//{{{ns}}}bookmarkKey")
            size = int(request.findtext(f".//{{{ns}}}setSize") or "10")
            rows = stub.records.get(page, [])
            start = 0 if not key else next(i for i, r in enumerate(rows) if r["Key"] == key) + 1
            items = "".join(
                f"<{page}>" + "".join(f"<{k}>{v}</{k}>" for k, v in row.items()) + f"</{page}>"
                for row in rows[start : start + size]
            )
            inner = f"<ReadMultiple_Result>{items}</ReadMultiple_Result>" if items else ""
            self._send(
                200, _envelope(f'<ReadMultiple_Result xmlns="{ns}">{inner}</ReadMultiple_Result>')
            )

    return Handler


@pytest.fixture
def nav_stub(erp_fixtures: Path) -> Iterator[NavStub]:
    stub = NavStub()
    with serving(_handler(stub, erp_fixtures / "nav")) as stub.base_url:
        yield stub
