"""What a parsed WSDL offers: service/port selection, operations with their input fields,
and record types (named complex types) with their fields. Reads zeep's parsed objects only.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import ConfigError
from connectors.protocol import EndpointInfo, FieldInfo


def select_port(document: Any, service: str | None, port: str | None, connector: str) -> Any:
    """The WSDL port named by config (default: the first service's first port)."""
    services = document.services
    if not services:
        raise ConfigError(f"{connector}: the WSDL defines no service", connector=connector)
    chosen = services.get(service) if service else next(iter(services.values()))
    if chosen is None:
        names = ", ".join(services)
        raise ConfigError(
            f"{connector}: no service {service!r} (have {names})", connector=connector
        )
    ports = chosen.ports
    found = ports.get(port) if port else next(iter(ports.values()), None)
    if found is None:
        names = ", ".join(ports)
        raise ConfigError(f"{connector}: no port {port!r} (have {names})", connector=connector)
    return found


def operations(binding: Any) -> list[EndpointInfo]:
    """Every operation of the binding, with the fields of its input message."""
    found = []
    for name, operation in sorted(binding._operations.items()):
        body = getattr(operation.input, "body", None)
        fields = fields_of(getattr(body, "type", None))
        found.append(EndpointInfo(name=name, kind="operation", fields=fields))
    return found


def record_types(document: Any) -> list[EndpointInfo]:
    """Named complex types of the WSDL's schemas with their fields."""
    found = []
    for xsd_type in document.types.types:
        qname = getattr(xsd_type, "qname", None)
        if qname is None or not hasattr(xsd_type, "elements"):
            continue
        fields = fields_of(xsd_type)
        if fields:
            found.append(
                EndpointInfo(
                    name=qname.localname,
                    kind="record_type",
                    fields=fields,
                    description=qname.namespace or "",
                )
            )
    return found


def fields_of(xsd_type: Any) -> tuple[FieldInfo, ...]:
    elements = getattr(xsd_type, "elements", None) or []
    fields = []
    for name, element in elements:
        type_qname = getattr(getattr(element, "type", None), "qname", None)
        type_name = type_qname.localname if type_qname is not None else "complex"
        required = (getattr(element, "min_occurs", 0) or 0) >= 1
        fields.append(FieldInfo(name=name, type=type_name, required=required))
    return tuple(fields)
