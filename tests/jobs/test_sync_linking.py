"""Connecting an ERP to a hub that already has the rows links them by natural key instead of
duplicating them; references resolve by external id, then by natural key; encrypted partner
fields are sealed and scope changes audited like the graph's own writes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.enums import PartnerType
from security.audit import AuditLog
from store.models import AuditEntry, Partner, Product, QuarantinedRecord
from tests.factories import create_partner, create_region, create_tier
from tests.jobs.sync_harness import (
    PARTNER_MAPPING,
    PRODUCT_MAPPING,
    ErpStub,
    at,
    connector_config,
    product,
    stream_config,
    sync_env,
)

FULL_PARTNER: dict[str, Any] = {
    "entity": "partner",
    "external_id": "id",
    "fields": {
        **PARTNER_MAPPING["fields"],
        "region_id": {"source": "territory", "ref": "region"},
        "tier_id": {"source": "grade", "ref": "tier"},
        "tax_id": "vat",
        "contact_email": "mail",
    },
}


def partner(n: int, **changes: Any) -> dict[str, Any]:
    record = {"id": f"C{n}", "code": f"P{n:05d}", "name": f"ERP name {n}", "kind": "D"}
    record.update(updated_at=at(n), credit="1500.00")
    record.update(changes)
    return record


async def test_partners_already_in_the_hub_are_linked_by_code_not_duplicated(settings):
    erp = ErpStub()
    erp.put("partners", partner(1), partner(2), partner(3))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("partners", PARTNER_MAPPING)]))
        async with env.sessions.begin() as session:
            one = await create_partner(session, code="P00001", type=PartnerType.STORE)
            two = await create_partner(session, code="P00002")
        run = await env.run("partners")
        assert (run.records_inserted, run.records_updated) == (1, 2)
        assert await env.count(Partner) == 3
        refs = await env.refs("partner")
        assert (refs["C1"].entity_id, refs["C2"].entity_id) == (one.id, two.id)
        rows = {p.code: p for p in await env.rows(Partner)}
        assert rows["P00001"].name == "ERP name 1"  # the ERP's values now
        assert rows["P00001"].type == PartnerType.DEALER
        assert rows["P00001"].credit_limit == Decimal("1500.00")

        again = await env.run("partners")
        assert again.records_unchanged == 1 and await env.count(Partner) == 3


async def test_a_hub_row_linked_to_another_remote_record_is_not_taken_twice(settings):
    erp = ErpStub()
    erp.put("products", product(1))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("products", PRODUCT_MAPPING)]))
        await env.run("products")
        erp.put("products", product(9, sku="SKU-0001", minute=20))  # same SKU, another id
        run = await env.run("products")
        assert (run.records_inserted, run.records_quarantined) == (0, 1)
        (row,) = await env.rows(QuarantinedRecord)
        assert row.reason == (
            "the matching product in the hub is already linked to external id 'P0001' of "
            "this connector"
        )
        assert await env.count(Product) == 1


async def test_references_resolve_by_natural_key_and_unique_values_are_kept(settings):
    erp = ErpStub()
    erp.put(
        "partners",
        partner(1, territory="NORTH", grade="Gold"),
        partner(2, territory="NOWHERE"),
        partner(3, code="TAKEN"),
    )
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("partners", FULL_PARTNER)]))
        async with env.sessions.begin() as session:
            region = await create_region(session)
            region.code = "NORTH"
            tier = await create_tier(session, name="Gold")
            taken = await create_partner(session, code="TAKEN")
            await session.flush()
        run = await env.run("partners")
        assert (run.records_inserted, run.records_updated, run.records_quarantined) == (1, 1, 1)
        rows = {p.code: p for p in await env.rows(Partner)}
        assert (rows["P00001"].region_id, rows["P00001"].tier_id) == (region.id, tier.id)
        assert rows["TAKEN"].id == taken.id  # linked by code
        (row,) = await env.rows(QuarantinedRecord)
        assert row.reason == "region_id: no region with external id 'NOWHERE' from this connector"


async def test_encrypted_partner_fields_are_sealed_and_a_region_change_is_audited(settings):
    erp = ErpStub()
    erp.put("partners", partner(1, vat="DE123456789", mail="buyer@acme.example", territory="N1"))
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("partners", FULL_PARTNER)]))
        async with env.sessions.begin() as session:
            first = await create_region(session)
            first.code = "N1"
            second = await create_region(session)
            second.code = "N2"
        await env.run("partners")
        async with env.sessions() as session:
            stored = (await session.scalars(select(Partner))).one()
        assert stored.tax_id_ct is not None and b"DE123456789" not in stored.tax_id_ct
        assert stored.tax_id_mask is not None and stored.tax_id_mask.endswith("6789")
        assert stored.contact_email_bidx is not None
        crypto = env.resources.crypto
        assert await crypto.open(stored.tax_id) == "DE123456789"
        assert await crypto.open(stored.contact_email) == "buyer@acme.example"

        erp.put(
            "partners",
            partner(
                1, vat="DE123456789", mail="buyer@acme.example", territory="N2", updated_at=at(50)
            ),
        )
        run = await env.run("partners")
        assert run.records_updated == 1
        async with env.sessions() as session:
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "scope.changed")
                )
            ).all()
        (entry,) = entries
        assert (entry.actor, entry.role, entry.table_name) == ("sync:erp", "service", "partners")
        assert json.loads(entry.detail) == {"region_id": {"from": first.id, "to": second.id}}
        audit: AuditLog = env.resources.audit
        assert await audit.verify() == []


PARENTED: dict[str, Any] = {
    "entity": "partner",
    "external_id": "id",
    "fields": {**PARTNER_MAPPING["fields"], "parent_id": {"source": "parent", "ref": "partner"}},
}


async def test_parents_later_in_the_same_page_or_a_later_page_are_waited_for(settings):
    erp = ErpStub()
    erp.put(
        "partners",
        partner(1, parent="C2"),  # page 1: waits for C2 (same page), which waits for C3
        partner(2, parent="C3"),
        partner(3),
        partner(4, parent="C7"),  # page 2: its parent comes on page 3
        partner(5),
        partner(6),
        partner(7),
    )
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config([stream_config("partners", PARENTED, page_size=3)]))
        run = await env.run("partners")
        # C4 was quarantined on page 2 and stored by the retry at the end of the run
        assert (run.records_read, run.records_inserted, run.records_quarantined) == (7, 7, 1)
        ids = {p.code: p.id for p in await env.rows(Partner)}
        parents = {p.code: p.parent_id for p in await env.rows(Partner)}
        assert parents == {
            "P00001": ids["P00002"],
            "P00002": ids["P00003"],
            "P00003": None,
            "P00004": ids["P00007"],
            "P00005": None,
            "P00006": None,
            "P00007": None,
        }
        (row,) = await env.rows(QuarantinedRecord)
        assert row.external_id == "C4" and row.resolved_at is not None


async def test_an_order_waiting_for_its_partner_is_stored_by_a_later_run(settings):
    orders = {
        "entity": "order",
        "external_id": "id",
        "fields": {
            "number": "id",
            "partner_id": {"source": "customer", "ref": "partner", "required": True},
        },
    }
    erp = ErpStub()
    erp.put("orders", {"id": "SO-1", "customer": "C1", "updated_at": at(1)})
    erp.put("partners", partner(2))
    streams = [stream_config("orders", orders), stream_config("partners", PARTNER_MAPPING)]
    async with sync_env(settings, erp) as env:
        await env.apply(connector_config(streams))
        first = await env.run("orders")
        assert (first.records_inserted, first.records_quarantined) == (0, 1)
        erp.put("partners", partner(1))
        await env.run("partners")
        again = await env.run("orders")  # nothing new to read past the cursor: the retry
        assert (again.records_read, again.records_inserted) == (1, 1)
        (row,) = await env.rows(QuarantinedRecord)
        assert row.resolved_at is not None
        refs = await env.refs("order")
        assert list(refs) == ["SO-1"]
