"""Discovery from an OpenAPI 3 document: each path and method, with its record fields.

A GET is listed as a stream (fields from the 200 response's JSON schema; for an array, or an
object holding one array property, the item schema), anything else as an operation (fields
from the JSON request body). Local ``$ref``s into ``components`` are followed. Pure: the
caller fetches or loads the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.protocol import EndpointInfo, FieldInfo

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(document: Mapping[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and depth < 20:
        target: Any = document
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(document, target, depth + 1)
    return schema


def _record_schema(document: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    """The schema of one record: array items, or the single array property of a wrapper."""
    resolved = _resolve(document, schema)
    if resolved.get("type") == "array":
        return _resolve(document, resolved.get("items"))
    properties = resolved.get("properties") or {}
    arrays = [
        p for p in (_resolve(document, v) for v in properties.values()) if p.get("type") == "array"
    ]
    if len(arrays) == 1:
        return _resolve(document, arrays[0].get("items"))
    return resolved


def _fields(document: Mapping[str, Any], schema: dict[str, Any]) -> tuple[FieldInfo, ...]:
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    return tuple(
        FieldInfo(name, str(_resolve(document, prop).get("type", "object")), name in required)
        for name, prop in properties.items()
    )


def _json_schema(content: Any) -> Any:
    if not isinstance(content, dict):
        return None
    for media, body in content.items():
        if "json" in media and isinstance(body, dict):
            return body.get("schema")
    return None


def endpoints_from_openapi(document: Mapping[str, Any]) -> list[EndpointInfo]:
    """Every path and method of ``document`` as a stream (GET) or an operation."""
    found: list[EndpointInfo] = []
    paths = document.get("paths") or {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            name = str(spec.get("operationId") or f"{method.upper()} {path}")
            summary = str(spec.get("summary") or f"{method.upper()} {path}")
            if method == "get":
                responses = spec.get("responses") or {}
                ok = _resolve(document, responses.get("200") or responses.get("default"))
                schema = _record_schema(document, _json_schema(ok.get("content")))
                found.append(EndpointInfo(name, "stream", _fields(document, schema), summary))
            else:
                body = _resolve(document, spec.get("requestBody"))
                schema = _resolve(document, _json_schema(body.get("content")))
                found.append(EndpointInfo(name, "operation", _fields(document, schema), summary))
    return found
