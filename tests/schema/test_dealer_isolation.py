"""A dealer sees nothing of another dealer, on any path of the graph.

The walk is generated from the schema by introspection: every root query field is called —
with each of the other dealer's global ids wherever an id can be passed (arguments and
filter fields) — and selects every field of its result recursively (interfaces and unions
through each possible type). New fields are covered without editing this test.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.enums import CooperationEventKind, DocumentKind, PartnerType
from schema.node import encode_id
from store.models import CooperationEvent, PartnerDocument
from tests import factories as f

DEPTH = 3
TYPE_REF = "fragment T on __Type { kind name ofType { kind name ofType { kind name "
TYPE_REF += "ofType { kind name ofType { kind name } } } } }"
INTROSPECTION = (
    "{ __schema { queryType { name } types { name kind possibleTypes { name } "
    "fields { name args { name defaultValue type { ...T } } type { ...T } } "
    "inputFields { name type { ...T } } } } } " + TYPE_REF
)


def named(type_ref: dict[str, Any]) -> tuple[str, bool]:
    """The named type under a reference, and whether the outermost wrapper is NON_NULL."""
    required = type_ref["kind"] == "NON_NULL"
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref["name"], required


def must_pass(arg: dict[str, Any]) -> bool:
    """An argument the caller must give: non-null and without a default."""
    return named(arg["type"])[1] and arg.get("defaultValue") is None


def is_list_of_ids(type_ref: dict[str, Any]) -> bool:
    while type_ref["kind"] == "NON_NULL":
        type_ref = type_ref["ofType"]
    return type_ref["kind"] == "LIST" and named(type_ref)[0] == "ID"


class Walker:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.types = {t["name"]: t for t in schema["types"]}
        self.query_type = schema["queryType"]["name"]

    def conflicting(self, possible: list[dict[str, Any]]) -> set[str]:
        """Field names that sibling fragments declare with different types (must be aliased)."""
        seen: dict[str, set[str]] = {}
        for p in possible:
            for field in self.types[p["name"]]["fields"] or []:
                seen.setdefault(field["name"], set()).add(repr(field["type"]))
        return {name for name, kinds in seen.items() if len(kinds) > 1}

    def selection(self, type_name: str, depth: int, alias: frozenset[str] = frozenset()) -> str:
        kind = self.types[type_name]["kind"]
        if kind in ("SCALAR", "ENUM"):
            return ""
        if kind in ("INTERFACE", "UNION"):
            parts = ["__typename"]
            possibles = self.types[type_name]["possibleTypes"]
            clashes = frozenset(self.conflicting(possibles))
            for possible in possibles:
                inner = self.selection(possible["name"], depth, alias=clashes)
                if inner:
                    parts.append(f"... on {possible['name']} {inner}")
            return "{ " + " ".join(parts) + " }"
        parts = ["__typename"]
        for field in self.types[type_name]["fields"]:
            args = self.nested_args(field)
            if args is None:
                continue
            target, _ = named(field["type"])
            # Alias by owner type: sibling fragments may share a field name with other types.
            prefix = f"{type_name}_{field['name']}: " if field["name"] in alias else ""
            aliased = f"{prefix}{field['name']}{args}"
            if self.types[target]["kind"] in ("SCALAR", "ENUM"):
                parts.append(aliased)
            elif depth > 0:
                parts.append(aliased + " " + self.selection(target, depth - 1))
        return "{ " + " ".join(parts) + " }"

    def nested_args(self, field: dict[str, Any]) -> str | None:
        """Arguments for a nested field: required ones filled where we can, else skip it."""
        values = []
        for arg in field["args"]:
            type_name, _ = named(arg["type"])
            if not must_pass(arg):
                continue
            if type_name == "String":
                values.append(f'{arg["name"]}: "dealer isolation walk"')
            else:
                return None
        return f"({', '.join(values)})" if values else ""

    def root_calls(self, foreign_ids: list[str], foreign_codes: list[str]) -> list[str]:
        """Every root field, called once per way of passing the other dealer's ids."""
        calls: list[str] = []
        for field in self.types[self.query_type]["fields"]:
            if field["name"].startswith("__"):
                continue
            target, _ = named(field["type"])
            if self.types[target]["kind"] in ("INTERFACE", "UNION"):
                bodies = [
                    "{ __typename ... on "
                    + p["name"]
                    + " "
                    + self.selection(p["name"], DEPTH)
                    + " }"
                    for p in self.types[target]["possibleTypes"]
                ]
            else:
                bodies = [self.selection(target, DEPTH)]
            required = [a for a in field["args"] if must_pass(a)]
            variants: list[list[str]] = []
            for arg in required:
                type_name, _ = named(arg["type"])
                if type_name == "ID" and is_list_of_ids(arg["type"]):
                    variants.append([f"{arg['name']}: {_gql_list(foreign_ids)}"])
                elif type_name == "ID":
                    variants.append([f'{arg["name"]}: "{i}"' for i in foreign_ids])
                elif type_name == "String":
                    variants.append([f'{arg["name"]}: "{c}"' for c in foreign_codes])
                else:
                    pytest.fail(
                        f"the walk cannot fill required argument {field['name']}.{arg['name']}"
                    )
            optional_filters = self.filter_variants(field, foreign_ids, foreign_codes)
            for combo in itertools.product(*variants) if variants else [()]:
                for extra in ["", *optional_filters]:
                    args = ", ".join([*combo, extra] if extra else list(combo))
                    for body in bodies:
                        calls.append(f"{field['name']}{f'({args})' if args else ''} {body}".strip())
        return calls

    def filter_variants(
        self, field: dict[str, Any], foreign_ids: list[str], foreign_codes: list[str]
    ) -> list[str]:
        """For optional input-object arguments: one call per id-typed or text input field."""
        variants: list[str] = []
        for arg in field["args"]:
            type_name, _ = named(arg["type"])
            if must_pass(arg) or self.types[type_name]["kind"] != "INPUT_OBJECT":
                continue
            for input_field in self.types[type_name]["inputFields"]:
                inner, _ = named(input_field["type"])
                if inner == "ID":
                    for i in foreign_ids:
                        value = f'["{i}"]' if is_list_of_ids(input_field["type"]) else f'"{i}"'
                        variants.append(f"{arg['name']}: {{{input_field['name']}: {value}}}")
                elif inner == "String" and input_field["name"] == "text":
                    for code in foreign_codes:
                        variants.append(f'{arg["name"]}: {{text: "{code}"}}')
        return variants


def _gql_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


async def make_dealer_world(s: Any, tag: str) -> dict[str, Any]:
    distributor = await f.create_partner(
        s, code=f"DIST-{tag}", name=f"Distributor {tag}", type=PartnerType.DISTRIBUTOR
    )
    dealer = await f.create_partner(s, code=f"DEAL-{tag}", name=f"Dealer {tag}", parent=distributor)
    shop = await f.create_partner(
        s, code=f"SHOP-{tag}", name=f"Shop {tag}", type=PartnerType.STORE, parent=dealer
    )
    product = await f.create_product(s, sku=f"SKU-{tag}")
    ids, codes = [], [dealer.code, shop.code]
    for partner in (dealer, shop):
        location = await f.create_location(s, partner=partner, code=f"LOC-{partner.code}")
        stock = await f.create_stock(s, location=location, product=product)
        order = await f.create_order(s, partner=partner, lines=[(product, 2)])
        document = PartnerDocument(
            partner_id=partner.id,
            kind=DocumentKind.BUSINESS_LICENCE,
            number=f"LIC-{partner.code}",
            verified=True,
        )
        s.add(document)
        s.add(
            CooperationEvent(
                partner_id=partner.id,
                kind=CooperationEventKind.NOTE,
                occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
                text=f"secret note {partner.code}",
            )
        )
        await s.flush()
        ids += [
            encode_id("Partner", partner.id),
            encode_id("Location", location.id),
            encode_id("StockLevel", stock.id),
            encode_id("Order", order.id),
            encode_id("PartnerDocument", document.id),
        ]
        codes += [order.number, location.code, f"LIC-{partner.code}", f"secret note {partner.code}"]
    return {"dealer": dealer, "ids": ids, "codes": codes}


async def test_a_dealer_sees_nothing_of_another_dealer_anywhere(sessions, gql, gql_as):
    async with sessions.begin() as s:
        mine = await make_dealer_world(s, "MINE")
        theirs = await make_dealer_world(s, "THEIRS")
    schema = (await gql.data(INTROSPECTION))["__schema"]
    walker = Walker(schema)
    dealer = gql_as("dealer", partner=mine["dealer"])
    calls = walker.root_calls(theirs["ids"], theirs["codes"])
    assert len(calls) > 50, "the walk should reach many root calls"
    secrets = [*theirs["ids"], *theirs["codes"], "DEAL-THEIRS", "SHOP-THEIRS"]
    own_seen = False
    for call in calls:
        body = await dealer(f"{{ {call} }}")
        text = str(body.get("data"))
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{call[:120]}… returned {leaked}"
        errors = str(body.get("errors", ""))
        assert not [c for c in theirs["codes"] if c in errors], errors
        assert "data" in body, f"{call[:120]}… was refused: {body.get('errors')}"
        own_seen = own_seen or "DEAL-MINE" in text
    assert own_seen, "the walk never saw the dealer's own data: the test would prove nothing"
