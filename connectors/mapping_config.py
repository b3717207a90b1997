"""How a remote record becomes a hub entity: the ``mapping`` part of a stream's config.

Shared by every connector kind. A field rule reads a source path (dotted, with ``[n]`` list
indexes, e.g. ``Address.City`` or ``lines[0].qty``) or fills a template
(``"{FirstName} {LastName}"``), then applies a value map, a cast and a default; ``ref``
resolves the value as the external id of a row synced from the same connector. The engine
that applies these rules lives in ``connectors.mapper``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Cast = Literal["str", "int", "decimal", "date", "datetime", "bool"]
Entity = Literal[
    "partner",
    "product",
    "stock_level",
    "order",
    "order_status",
    "shipment",
    "invoice",
    "payment",
]
RefEntity = Literal["partner", "product", "location", "order", "region", "tier"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldRule(Strict):
    """One hub field: where its value comes from and how it is converted."""

    source: str | None = Field(default=None, description="Dotted path into the record.")
    template: str | None = Field(default=None, description="e.g. '{FirstName} {LastName}'.")
    value_map: dict[str, str] | None = Field(
        default=None, description="Remote codes to ours, e.g. {'2': 'SHIPPED'}."
    )
    cast: Cast = "str"
    default: Any = None
    required: bool = False
    ref: RefEntity | None = Field(
        default=None, description="Resolve as the external id of a row from this connector."
    )
    timezone: str = Field(
        default="UTC", description="Zone for remote date-times that carry none (IANA name)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        if self.source is not None and self.template is not None:
            raise ValueError("give either `source` or `template`, not both")
        if self.source is None and self.template is None and self.default is None:
            raise ValueError("give `source`, `template` or `default`")
        return self


class LinesMapping(Strict):
    """Child records (e.g. order lines) found under ``source`` in each record."""

    source: str
    fields: dict[str, FieldRule | str]


class EntityMapping(Strict):
    """A remote record → one hub entity; a bare string rule is a source path."""

    entity: Entity
    external_id: str = Field(description="Path to the record's id in the remote system.")
    fields: dict[str, FieldRule | str] = Field(default_factory=dict)
    lines: LinesMapping | None = None

    def rule(self, name: str) -> FieldRule:
        rule = self.fields[name]
        return FieldRule(source=rule) if isinstance(rule, str) else rule
