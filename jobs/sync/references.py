"""References of a page resolved in bulk, before the page is mapped.

A field rule with ``ref: <entity>`` holds another row's remote id; the mapper asks
``resolve(entity, value)`` for the hub row id. Asking the database once per record would be
one query per reference, so a page is first mapped with only its ``ref`` rules and a
resolver that notes what is asked; then each referenced entity is looked up with one query:

1. by external id from the same connector (``external_refs``: what this connector synced);
2. for the values still missing, where the hub entity has a natural key, by that key — so a
   reference finds a row that was created in the hub or by another connector::

       partner → partners.code      product  → products.sku     location → locations.code
       order   → orders.number      region   → regions.code     tier     → tiers.name

The values found are kept for the rest of the run (row ids do not change); values not found
are asked again on the next page, since another stream may have stored them meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.mapper import Resolve, map_page
from connectors.mapping_config import EntityMapping, FieldRule, LinesMapping
from store.models import ExternalRef, Location, Order, Partner, Product, Region, Tier

__all__ = ["NATURAL_KEYS", "ReferenceResolver", "chunks", "one_of"]

NATURAL_KEYS: Mapping[str, Any] = {
    "partner": Partner.code,
    "product": Product.sku,
    "location": Location.code,
    "order": Order.number,
    "region": Region.code,
    "tier": Tier.name,
}
"""The natural key column of each entity a ``ref`` may name."""

CHUNK = 1000


def one_of(session: AsyncSession, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """``column IN values``: one array parameter on PostgreSQL (``= ANY($1)``), so a page's
    lookup is not rendered and bound value by value; a plain ``IN`` list on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    """``values`` (sorted, no repeats) in lists of at most ``size``, for ``IN (…)`` lists."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _ref_rules(rules: Mapping[str, FieldRule | str]) -> dict[str, FieldRule]:
    found = {}
    for name, rule in rules.items():
        if isinstance(rule, FieldRule) and rule.ref is not None:
            found[name] = rule
    return found


def _references_only(mapping: EntityMapping) -> EntityMapping | None:
    """The mapping with only its ``ref`` rules (None when it has none)."""
    fields = _ref_rules(mapping.fields)
    lines = None
    if mapping.lines is not None:
        line_rules = _ref_rules(mapping.lines.fields)
        if line_rules:
            lines = LinesMapping(source=mapping.lines.source, fields=dict(line_rules))
    if not fields and lines is None:
        return None
    return EntityMapping(
        entity=mapping.entity, external_id=mapping.external_id, fields=dict(fields), lines=lines
    )


class ReferenceResolver:
    """Resolves the references of one stream's pages, a query per referenced entity."""

    def __init__(self, connector: str, mapping: EntityMapping) -> None:
        self.connector = connector
        self.probe = _references_only(mapping)
        self.known: dict[tuple[str, str], int] = {}

    def wanted(self, records: Sequence[Any]) -> dict[str, set[str]]:
        """The values each referenced entity is asked for by ``records``."""
        wanted: dict[str, set[str]] = {}
        if self.probe is None:
            return wanted

        def note(entity: str, value: str) -> int:
            if (entity, value) not in self.known:
                wanted.setdefault(entity, set()).add(value)
            return 0

        map_page(self.probe, records, note)
        return wanted

    async def prepare(self, session: AsyncSession, records: Sequence[Any]) -> Resolve:
        """Look up every reference of ``records``; the resolver to map them with."""
        for entity, values in self.wanted(records).items():
            self.known.update(
                ((entity, value), row_id)
                for value, row_id in (await self.lookup(session, entity, values)).items()
            )
        known = self.known

        def resolve(entity: str, value: str) -> int | None:
            return known.get((entity, value))

        return resolve

    async def lookup(self, session: AsyncSession, entity: str, values: set[str]) -> dict[str, int]:
        """Row ids for ``values`` of ``entity``: by external id first, then by natural key."""
        found: dict[str, int] = {}
        for chunk in chunks(values):
            rows = await session.execute(
                select(ExternalRef.external_id, ExternalRef.entity_id).where(
                    ExternalRef.connector == self.connector,
                    ExternalRef.entity == entity,
                    one_of(session, ExternalRef.external_id, chunk),
                )
            )
            found.update((str(value), int(row_id)) for value, row_id in rows)
        column = NATURAL_KEYS.get(entity)
        missing = values - found.keys()
        if column is not None and missing:
            model = column.class_
            for chunk in chunks(missing):
                rows = await session.execute(
                    select(column, model.id).where(one_of(session, column, chunk))
                )
                found.update((str(value), int(row_id)) for value, row_id in rows)
        return found
