"""Changes that move rows between viewers' scopes are audited with the change itself."""

from __future__ import annotations

import json

from sqlalchemy import select

from schema.node import encode_id
from store.models import AuditEntry
from tests import factories as f


async def scope_entries(sessions) -> list[AuditEntry]:
    async with sessions() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "scope.changed"))
        return list(rows)


async def test_moving_a_partner_to_another_region_or_parent_is_audited(sessions, gql):
    async with sessions.begin() as s:
        north = await f.create_region(s, name="North")
        south = await f.create_region(s, name="South")
        parent = await f.create_partner(s, code="DIST-1")
        partner = await f.create_partner(s, region=north)
    body = await gql.data(
        """mutation($id: ID!, $r: ID!, $p: ID!) {
             updatePartner(input: {id: $id, region: $r, parent: $p}) { __typename } }""",
        id=encode_id("Partner", partner.id),
        r=encode_id("Region", south.id),
        p=encode_id("Partner", parent.id),
    )
    assert body["updatePartner"]["__typename"] == "PartnerPayload"
    [entry] = await scope_entries(sessions)
    assert entry.table_name == "partners" and entry.actor == "test-admin"
    assert json.loads(entry.detail) == {
        "parent_id": {"from": None, "to": parent.id},
        "region_id": {"from": north.id, "to": south.id},
    }


async def test_a_rename_is_not_a_scope_change(sessions, gql):
    async with sessions.begin() as s:
        partner = await f.create_partner(s)
    await gql.data(
        'mutation($id: ID!) { updatePartner(input: {id: $id, name: "New name"}) { __typename } }',
        id=encode_id("Partner", partner.id),
    )
    assert await scope_entries(sessions) == []


async def test_moving_a_region_is_audited(sessions, gql):
    async with sessions.begin() as s:
        a = await f.create_region(s, name="A")
        b = await f.create_region(s, name="B")
        city = await f.create_region(s, name="City", parent=a)
    body = await gql.data(
        "mutation($id: ID!, $p: ID) { updateRegion(input: {id: $id, parent: $p}) { __typename } }",
        id=encode_id("Region", city.id),
        p=encode_id("Region", b.id),
    )
    assert body["updateRegion"]["__typename"] == "RegionPayload"
    [entry] = await scope_entries(sessions)
    assert entry.table_name == "regions"
    assert json.loads(entry.detail) == {"parent_id": {"from": a.id, "to": b.id}}
