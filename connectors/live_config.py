"""The ``live`` block of a stream: expose the stream as a field on a hub type, read at query time.

A live stream answers, for many hub rows at once, a small value object per row (a partner's
current ERP credit balance, an order's delivery status). The block says which hub type gets
the field (``entity``) and under what name (``field``), which id of a hub row is sent to the
remote (``key``: the row's external id at this connector, or its natural key — a partner's
``code``, an order's ``number``, a product's ``sku``), where the key is found again in each
answered record (``match``), which record fields make up the value (``values``: the field
rules of ``connectors.mapping_config``, with casts — a ``decimal`` stays exact), how long an
answer is reused (``ttl_seconds``) and how long the remote may take (``timeout_seconds``).

How the keys reach the remote is kind-specific: REST sends up to ``batch_size`` keys joined by
``key_separator`` in the query parameter ``key_param`` (or one request per key when the
request path holds ``{key}``); SOAP fills ``{keys}`` (the list; inside a longer string: the
keys joined by ``key_separator``) or ``{key}`` (one call per key) in the stream's ``args``.
Validation only: no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from connectors.errors import MappingError
from connectors.mapper import read_path
from connectors.mapping_config import FieldRule

__all__ = [
    "NATURAL_KEYS",
    "LiveEntity",
    "LiveField",
    "LiveKey",
    "RestLive",
    "RestLiveField",
    "SoapLive",
    "SoapLiveField",
    "duplicate_live_fields",
    "template_mentions",
]

LiveEntity = Literal["partner", "order", "product"]
LiveKey = Literal["external_id", "code", "number", "sku"]

#: the natural key each hub type can be matched by (besides its external id)
NATURAL_KEYS: dict[str, str] = {"partner": "code", "order": "number", "product": "sku"}

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class LiveField(BaseModel):
    """What a live stream exposes on a hub type, and how it is read, batched and cached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: LiveEntity = Field(description="Hub type that gets the field: partner, order, product.")
    field: str = Field(
        description="Name of the field in the graph, e.g. creditBalance (live(field: ...)).",
    )
    key: LiveKey = Field(
        default="external_id",
        description=(
            "Which id of a hub row is sent: external_id (the row's id at this connector, from "
            "its synced external ref) or its natural key: code (partner), number (order), "
            "sku (product)."
        ),
    )
    match: str = Field(
        min_length=1,
        description="Dotted path in each answered record holding the key it answers for.",
    )
    values: dict[str, FieldRule | str] = Field(
        description=(
            "The value object: name -> field rule (a source path, or an object with source, "
            "template, value_map, cast, default, required as in a mapping; no ref)."
        ),
    )
    ttl_seconds: float = Field(
        default=60.0, ge=0, description="Seconds an answer is reused before asking again."
    )
    timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="Seconds the remote may take; then the last known value is answered, stale.",
    )
    batch_size: int = Field(
        default=100, ge=1, le=1000, description="Most keys sent in one request or call."
    )
    key_separator: str = Field(
        default=",", min_length=1, description="Joins several keys into one parameter value."
    )

    @field_validator("field")
    @classmethod
    def _name(cls, value: str) -> str:
        if not FIELD_NAME.fullmatch(value):
            raise ValueError(
                "must be a GraphQL name of at most 64 characters: letters, digits and _, "
                "not starting with a digit (e.g. creditBalance)"
            )
        return value

    @field_validator("match")
    @classmethod
    def _path(cls, value: str) -> str:
        try:
            read_path({}, value)
        except MappingError:
            raise ValueError(f"not a valid record path: {value!r}") from None
        return value

    @field_validator("values")
    @classmethod
    def _no_refs(cls, rules: dict[str, FieldRule | str]) -> dict[str, FieldRule | str]:
        if not rules:
            raise ValueError("must name at least one value (name: record path or field rule)")
        for name, rule in rules.items():
            if isinstance(rule, FieldRule) and rule.ref is not None:
                raise ValueError(f"{name}: a live value cannot be a ref (it is not stored)")
            if isinstance(rule, str):
                try:
                    read_path({}, rule)
                except MappingError:
                    raise ValueError(f"{name}: not a valid record path: {rule!r}") from None
        return rules

    @model_validator(mode="after")
    def _key_fits_entity(self) -> LiveField:
        if self.key != "external_id" and NATURAL_KEYS[self.entity] != self.key:
            raise ValueError(
                f"key {self.key!r} is not a natural key of {self.entity} "
                f"(use external_id or {NATURAL_KEYS[self.entity]})"
            )
        return self

    def rule(self, name: str) -> FieldRule:
        rule = self.values[name]
        return FieldRule(source=rule) if isinstance(rule, str) else rule


class RestLiveField(LiveField):
    """A REST live block: keys go in ``key_param`` (many per request) or ``{key}`` in the path."""

    key_param: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Query parameter taking up to batch_size keys joined by key_separator, e.g. "
            "customers (GET /credit-balances?customers=C1,C2). None: the request path holds "
            "{key} and each key is one request."
        ),
    )


class SoapLiveField(LiveField):
    """A SOAP live block: the stream's ``args`` hold ``{keys}`` (many per call) or ``{key}``."""


def _flag(value: Any) -> Any:
    """``live: false`` (what configs stored before live blocks hold) means not live."""
    if value is False:
        return None
    if value is True:
        raise ValueError(
            "`live: true` is not enough: give a live block "
            "(entity, field, key, match, values; see the connector reference)"
        )
    return value


RestLive = Annotated[RestLiveField | None, BeforeValidator(_flag)]
SoapLive = Annotated[SoapLiveField | None, BeforeValidator(_flag)]


def template_mentions(template: Any, placeholder: str) -> bool:
    """Whether ``{placeholder}`` appears anywhere in a (nested) argument template."""
    if isinstance(template, str):
        return "{" + placeholder + "}" in template
    if isinstance(template, Mapping):
        return any(template_mentions(value, placeholder) for value in template.values())
    if isinstance(template, list):
        return any(template_mentions(item, placeholder) for item in template)
    return False


def duplicate_live_fields(streams: Iterable[Any]) -> list[str]:
    """``entity.field`` names declared live by more than one of ``streams``."""
    seen: list[str] = []
    duplicates: list[str] = []
    for stream in streams:
        live: LiveField | None = getattr(stream, "live", None)
        if live is None:
            continue
        name = f"{live.entity}.{live.field}"
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.append(name)
    return duplicates
