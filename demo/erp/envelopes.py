"""SOAP 1.1 envelopes for the demo ERP: parse a request body, render replies and faults.

``request_operation`` returns the Body's first element (the operation) of a POSTed
envelope; anything that is not a SOAP 1.1 envelope raises ``SoapFault`` (``Client``, or
``VersionMismatch`` for another envelope namespace). ``render`` turns plain values into
elements in the service namespace — dicts nest, lists repeat the element, None is left out,
money keeps plain notation, times are UTC with a ``Z``. The parser never resolves entities
or touches the network.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from demo.erp.records import utc_text

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:channelhub:demo-erp:sales"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)


class SoapFault(Exception):
    """A fault to answer: ``code`` is ``Client``, ``Server`` or ``VersionMismatch``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def request_operation(body: bytes) -> Any:
    """The operation element of a SOAP 1.1 request envelope."""
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError:
        raise SoapFault("Client", "the request is not well-formed XML") from None
    if etree.QName(root).localname != "Envelope":
        raise SoapFault("Client", "the request is not a SOAP envelope")
    if etree.QName(root).namespace != SOAP_ENV:
        raise SoapFault("VersionMismatch", "only SOAP 1.1 envelopes are understood")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None:
        raise SoapFault("Client", "the envelope has no Body")
    operation = next((child for child in soap_body if isinstance(child.tag, str)), None)
    if operation is None:
        raise SoapFault("Client", "the Body names no operation")
    return operation


def child(element: Any, name: str) -> Any:
    """The first child ``name`` in the service namespace, or None."""
    return element.find(f"{{{TNS}}}{name}")


def children(element: Any, name: str) -> list[Any]:
    return list(element.findall(f"{{{TNS}}}{name}"))


def text(element: Any, name: str, *, required: bool = False) -> str | None:
    """The trimmed text of child ``name``; None when absent, nil or empty (unless required)."""
    found = child(element, name)
    value = None
    if found is not None and found.get(XSI_NIL) not in ("true", "1"):
        value = (found.text or "").strip() or None
    if value is None and required:
        raise SoapFault("Client", f"{etree.QName(element).localname}: {name} is required")
    return value


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def render(parent: Any, name: str, value: Any) -> None:
    """Append ``value`` under ``parent`` as element(s) named ``name``."""
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            render(parent, name, item)
        return
    element = etree.SubElement(parent, f"{{{TNS}}}{name}")
    if isinstance(value, dict):
        for key, item in value.items():
            render(element, key, item)
    else:
        element.text = _text_of(value)


def envelope(operation_result: Any) -> bytes:
    """A SOAP 1.1 envelope whose Body holds ``operation_result``."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(root, f"{{{SOAP_ENV}}}Body").append(operation_result)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def result_element(name: str) -> Any:
    """An empty ``<name>`` in the service namespace (the default namespace of the reply)."""
    return etree.Element(f"{{{TNS}}}{name}", nsmap={None: TNS})


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope with ``soap:<code>`` and ``message``."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{code}"
    etree.SubElement(element, "faultstring").text = message
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
