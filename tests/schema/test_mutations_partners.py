"""createPartner / updatePartner: rows written, typed errors, and nothing written on refusal."""

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import CooperationEventKind, PartnerStatus
from schema.node import encode_id
from store.models import CooperationEvent, Partner
from store.repositories.common_writes import RowWrites
from tests.factories import create_partner, create_region, create_tier

Sessions = async_sessionmaker[AsyncSession]

RESULT = """
  __typename
  ... on PartnerPayload { partner { id code name status creditLimit
      region { name } tier { name } parent { code } } }
  ... on UserError { message }
  ... on InvalidInputError { fields { field message } }
  ... on NotFoundError { field id }
  ... on DuplicateError { field value }
"""
CREATE = f"mutation($input: CreatePartnerInput!) {{ createPartner(input: $input) {{ {RESULT} }} }}"
UPDATE = f"mutation($input: UpdatePartnerInput!) {{ updatePartner(input: $input) {{ {RESULT} }} }}"


async def count(sessions: Sessions, model: type[Any], *where: Any) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_create_partner_writes_the_row_and_returns_it_with_its_references(sessions, gql):
    async with sessions.begin() as s:
        region = await create_region(s, name="Zhejiang")
        tier = await create_tier(s, name="Gold")
    data = await gql.data(
        CREATE,
        input={
            "code": "  D-001 ",
            "name": "Hangzhou Foods",
            "type": "DISTRIBUTOR",
            "creditLimit": "12500.5",
            "region": encode_id("Region", region.id),
            "tier": encode_id("Tier", tier.id),
        },
    )
    partner = data["createPartner"]["partner"]
    assert partner["code"] == "D-001"
    assert partner["creditLimit"] == "12500.50"
    assert partner["region"] == {"name": "Zhejiang"}
    assert partner["tier"] == {"name": "Gold"}
    async with sessions() as s:
        row = (await s.scalars(select(Partner))).one()
    assert encode_id("Partner", row.id) == partner["id"]
    assert (row.code, row.status, row.credit_limit) == (
        "D-001",
        PartnerStatus.ACTIVE,
        Decimal("12500.50"),
    )


async def test_create_partner_lists_every_invalid_field_and_writes_nothing(sessions, gql):
    data = await gql.data(
        CREATE,
        input={
            "code": "P1",
            "name": "  ",
            "type": "DEALER",
            "creditLimit": "-1",
            "region": "not-an-id",
            "tier": encode_id("Partner", 1),
            "creditRating": "TOO-LONG-RATING",
        },
    )
    result = data["createPartner"]
    assert result["__typename"] == "InvalidInputError"
    fields = {f["field"] for f in result["fields"]}
    assert fields == {"name", "creditLimit", "region", "tier", "creditRating"}
    assert await count(sessions, Partner) == 0


async def test_create_partner_with_an_unknown_region_is_not_found_and_writes_nothing(sessions, gql):
    missing = encode_id("Region", 404)
    data = await gql.data(
        CREATE, input={"code": "P1", "name": "A", "type": "DEALER", "region": missing}
    )
    assert data["createPartner"] == {
        "__typename": "NotFoundError",
        "message": f"no region {missing!r}",
        "field": "region",
        "id": missing,
    }
    assert await count(sessions, Partner) == 0


async def test_create_partner_with_a_taken_code_is_a_duplicate_error(sessions, gql):
    async with sessions.begin() as s:
        await create_partner(s, code="P1")
    data = await gql.data(CREATE, input={"code": "P1", "name": "Other", "type": "DEALER"})
    result = data["createPartner"]
    assert (result["__typename"], result["field"], result["value"]) == (
        "DuplicateError",
        "code",
        "P1",
    )
    assert await count(sessions, Partner) == 1


async def test_a_duplicate_the_up_front_check_misses_is_mapped_from_the_unique_constraint(
    sessions, gql, monkeypatch
):
    async def never_taken(self, column, value, except_id=None):
        return False

    async with sessions.begin() as s:
        await create_partner(s, code="P1")
    monkeypatch.setattr(RowWrites, "taken", never_taken)
    data = await gql.data(CREATE, input={"code": "P1", "name": "Other", "type": "DEALER"})
    result = data["createPartner"]
    assert (result["__typename"], result["field"], result["value"]) == (
        "DuplicateError",
        "code",
        "P1",
    )
    assert await count(sessions, Partner) == 1


async def test_update_partner_changes_only_given_fields_and_null_clears(sessions, gql):
    async with sessions.begin() as s:
        region = await create_region(s)
        tier = await create_tier(s, name="Silver")
        gold = await create_tier(s, name="Gold")
        partner = await create_partner(s, code="P1", name="Old", region=region, tier=tier)
    data = await gql.data(
        UPDATE,
        input={
            "id": encode_id("Partner", partner.id),
            "status": "SUSPENDED",
            "region": None,
            "tier": encode_id("Tier", gold.id),
        },
    )
    result = data["updatePartner"]["partner"]
    assert (result["name"], result["status"], result["region"]) == ("Old", "SUSPENDED", None)
    assert result["tier"] == {"name": "Gold"}
    async with sessions() as s:
        row = await s.get(Partner, partner.id)
        events = (await s.scalars(select(CooperationEvent).order_by(CooperationEvent.id))).all()
    assert row is not None and row.region_id is None and row.status == PartnerStatus.SUSPENDED
    assert [(e.kind, e.text) for e in events] == [
        (CooperationEventKind.STATUS_CHANGED, "status ACTIVE → SUSPENDED"),
        (CooperationEventKind.TIER_CHANGED, "tier changed to Gold"),
    ]


async def test_update_partner_may_keep_its_own_code(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s, code="P1")
    data = await gql.data(
        UPDATE, input={"id": encode_id("Partner", partner.id), "code": "P1", "name": "Renamed"}
    )
    assert data["updatePartner"]["partner"]["name"] == "Renamed"


async def test_update_partner_refuses_its_own_sub_partner_as_parent_and_changes_nothing(
    sessions, gql
):
    async with sessions.begin() as s:
        top = await create_partner(s, code="TOP")
        child = await create_partner(s, code="CHILD", parent=top)
        grandchild = await create_partner(s, code="GRAND", parent=child)
    for new_parent in (top, grandchild):
        data = await gql.data(
            UPDATE,
            input={
                "id": encode_id("Partner", top.id),
                "parent": encode_id("Partner", new_parent.id),
            },
        )
        assert data["updatePartner"]["__typename"] == "InvalidInputError"
        assert data["updatePartner"]["fields"][0]["field"] == "parent"
    async with sessions() as s:
        row = await s.get(Partner, top.id)
    assert row is not None and row.parent_id is None


async def test_update_partner_with_a_malformed_or_mistyped_id_is_a_typed_error(sessions, gql):
    async with sessions.begin() as s:
        partner = await create_partner(s, code="P1", name="Keep")
    for bad in ("%%%", encode_id("Product", partner.id)):
        data = await gql.data(UPDATE, input={"id": bad, "name": "Changed"})
        result = data["updatePartner"]
        assert result["__typename"] == "InvalidInputError"
        assert [f["field"] for f in result["fields"]] == ["id"]
    missing = encode_id("Partner", 999)
    data = await gql.data(UPDATE, input={"id": missing, "name": "Changed"})
    assert data["updatePartner"]["__typename"] == "NotFoundError"
    assert await count(sessions, Partner, Partner.name == "Keep") == 1


async def test_a_later_mutation_in_the_same_request_sees_an_earlier_write(sessions, gql):
    async with sessions.begin() as s:
        tier = await create_tier(s, name="Gold")
        partner = await create_partner(s, tier=tier)
    data = await gql.data(
        """mutation($p: ID!, $t: ID!) {
             first: updatePartner(input: {id: $p, name: "One"}) {
               ... on PartnerPayload { partner { tier { name } } } }
             rename: updateTier(input: {id: $t, name: "Platinum"}) {
               ... on TierPayload { tier { name } } }
             last: updatePartner(input: {id: $p, name: "Two"}) {
               ... on PartnerPayload { partner { tier { name } } } } }""",
        p=encode_id("Partner", partner.id),
        t=encode_id("Tier", tier.id),
    )
    assert data["first"]["partner"]["tier"]["name"] == "Gold"
    assert data["last"]["partner"]["tier"]["name"] == "Platinum"
