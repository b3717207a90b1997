"""Encrypted partner fields through the graph: writes seal, reads mask, reveal opens, lookups
use the blind index, and a tampered or misplaced ciphertext is UNREADABLE for that field only.

The blind index is cut to 8 bits here, so lookups over a few hundred partners really collide.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from security.cipher import header
from settings import Settings
from store.encrypted import TAX_ID
from store.models import DataKeyRow, Partner
from tests.security.encrypted_partners import (
    SECRETS,
    UPDATE,
    create,
    pk,
    reveal_all,
    row,
    set_columns,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"blind_index_bits": 8})


async def test_create_stores_ciphertext_mask_and_index_never_the_plaintext(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    assert partner["taxId"]["masked"] == "****4D5E"
    assert partner["bankAccount"]["masked"] == "****0123"
    assert partner["contactPhone"]["masked"] == "*******5678"
    assert partner["contactEmail"]["masked"] == "l***@hengtai.cn"
    assert {partner[f]["state"] for f in SECRETS} == {"PRESENT"}
    stored = await row(sessions, partner["id"])
    for column in ("tax_id", "bank_account", "contact_phone", "contact_email"):
        ciphertext = getattr(stored, f"{column}_ct")
        assert ciphertext is not None
        assert header(ciphertext).key_id == partner["taxId"]["keyId"]
    for plaintext in SECRETS.values():
        for value in vars(stored).values():
            assert plaintext.encode() not in (value if isinstance(value, bytes) else b"")
            assert plaintext not in (value if isinstance(value, str) else "")
    assert len(stored.tax_id_bidx or b"") == 1 and len(stored.contact_email_bidx or b"") == 1
    async with sessions() as s:
        key = (
            await s.scalars(select(DataKeyRow).where(DataKeyRow.purpose.like("partner:%")))
        ).one()
    assert (key.id, key.purpose, key.state) == (
        partner["taxId"]["keyId"],
        f"partner:{pk(partner['id'])}",
        "active",
    )


async def test_each_partner_has_a_data_key_of_its_own(gql):
    one = await create(gql, "P1", taxId="91330100MA2B3C4D5E")
    two = await create(gql, "P2", taxId="91330100MA2B3C4D5E")
    assert one["taxId"]["keyId"] != two["taxId"]["keyId"]


async def test_reveal_returns_every_plaintext_to_a_brand_admin(gql):
    partner = await create(gql, "P1", **SECRETS)
    revealed = await reveal_all(gql, partner["id"])
    assert {name: r["value"] for name, r in revealed.items()} == SECRETS


async def test_update_replaces_and_null_clears(gql):
    partner = await create(gql, "P1", **SECRETS)
    data = await gql.data(
        UPDATE, input={"id": partner["id"], "taxId": "91 3301 00MA2B3C4D99", "contactPhone": None}
    )
    updated = data["updatePartner"]["partner"]
    assert updated["taxId"]["masked"] == "****4D99"
    assert updated["contactPhone"] == {"masked": None, "state": "EMPTY", "keyId": None}
    assert updated["contactEmail"]["masked"] == "l***@hengtai.cn"  # untouched
    revealed = await reveal_all(gql, partner["id"])
    assert revealed["taxId"]["value"] == "91 3301 00MA2B3C4D99"
    assert revealed["contactPhone"] == {
        "__typename": "RevealUnavailable",
        "message": "no value is stored",
        "state": "EMPTY",
    }


async def test_bad_shapes_are_refused_with_every_field_and_never_echo_the_value(gql, sessions):
    body = await gql(
        """mutation($input: CreatePartnerInput!) { createPartner(input: $input) {
             ... on InvalidInputError { message fields { field message } } } }""",
        input={
            "code": "P1",
            "name": " ",
            "type": "DEALER",
            "taxId": "SECRET?TAX",
            "bankAccount": "12",
            "contactPhone": "call-me-maybe",
            "contactEmail": "not-an-address",
        },
    )
    error = body["data"]["createPartner"]
    fields = {f["field"] for f in error["fields"]}
    assert fields == {"name", "taxId", "bankAccount", "contactPhone", "contactEmail"}
    for secret in ("SECRET?TAX", "call-me-maybe", "not-an-address"):
        assert secret not in str(body)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Partner)) == 0


async def test_lookup_by_tax_id_drops_blind_index_false_positives(gql, app):
    await create(gql, "WANTED", taxId="91330100MA2B3C4D5E", contactEmail="a@b.cn")
    fields = app.state.hub.fields
    await fields.prepare()
    wanted_index = fields.index(TAX_ID, "91330100MA2B3C4D5E")
    candidates = (f"9133010000000{n:05d}" for n in range(100_000))
    colliding = [v for v in candidates if fields.index(TAX_ID, v) == wanted_index][:3]
    for n, tax_id in enumerate(colliding):  # same 8-bit bucket, different values
        await create(gql, f"COLLIDES{n}", taxId=tax_id)
    await create(gql, "ELSEWHERE", taxId="91330100MA2B3C4D5F")
    async with app.state.hub.sessions() as s:
        same_bucket = select(func.count()).where(Partner.tax_id_bidx == wanted_index)
        assert await s.scalar(same_bucket) == 4
    query = """query($tax: String!) { partners(filter: {taxId: $tax}, first: 1) {
        totalCount nodes { code } pageInfo { hasNextPage } } }"""
    found = (await gql.data(query, tax=" 91330100-ma2b3c4d5e "))["partners"]
    assert found == {
        "totalCount": 1,
        "nodes": [{"code": "WANTED"}],
        "pageInfo": {"hasNextPage": False},
    }
    none = (await gql.data(query, tax="91330100MA2B3C4D5X"))["partners"]
    assert none["totalCount"] == 0 and none["nodes"] == []


async def test_lookup_by_email_combines_with_other_filters(gql):
    await create(gql, "A", contactEmail="Buyer@Shop.cn")
    await create(gql, "B", contactEmail="buyer@shop.cn", taxId="91330100MA2B3C4D5E")
    query = """query($email: String!, $tax: String) {
        partners(filter: {contactEmail: $email, taxId: $tax}) { totalCount nodes { code } } }"""
    both = (await gql.data(query, email="BUYER@shop.cn"))["partners"]
    assert both == {"totalCount": 2, "nodes": [{"code": "A"}, {"code": "B"}]}
    one = (await gql.data(query, email="buyer@shop.cn", tax="91330100MA2B3C4D5E"))["partners"]
    assert one == {"totalCount": 1, "nodes": [{"code": "B"}]}


async def test_lookup_needs_the_fields_reveal_permission(gql, gql_as):
    await create(gql, "A", taxId="91330100MA2B3C4D5E", contactEmail="a@b.cn")
    auditor = gql_as("security_auditor")
    body = await auditor('{ partners(filter: {taxId: "91330100MA2B3C4D5E"}) { totalCount } }')
    assert "reveal:financial" in body["errors"][0]["message"]
    assert "91330100MA2B3C4D5E" not in body["errors"][0]["message"]


async def test_ciphertext_copied_to_another_row_is_unreadable_not_the_other_plaintext(
    gql, sessions
):
    victim = await create(gql, "VICTIM", **SECRETS)
    thief = await create(gql, "THIEF", taxId="91000000000000000X")
    stolen = (await row(sessions, victim["id"])).tax_id_ct
    await set_columns(sessions, thief["id"], tax_id_ct=stolen)
    revealed = await reveal_all(gql, thief["id"])
    assert revealed["taxId"]["__typename"] == "RevealUnavailable"
    assert revealed["taxId"]["state"] == "UNREADABLE"
    assert SECRETS["taxId"] not in str(revealed)


async def test_ciphertext_moved_to_another_column_of_the_same_row_is_unreadable(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    stored = await row(sessions, partner["id"])
    await set_columns(sessions, partner["id"], bank_account_ct=stored.tax_id_ct)
    revealed = await reveal_all(gql, partner["id"])
    assert revealed["bankAccount"]["state"] == "UNREADABLE"
    assert revealed["taxId"]["value"] == SECRETS["taxId"]


async def test_a_flipped_bit_is_unreadable_for_that_field_only(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    other = await create(gql, "P2", **SECRETS)
    blob = bytearray((await row(sessions, partner["id"])).contact_email_ct or b"")
    blob[-5] ^= 0x01
    await set_columns(sessions, partner["id"], contact_email_ct=bytes(blob))
    revealed = await reveal_all(gql, partner["id"])
    assert revealed["contactEmail"]["__typename"] == "RevealUnavailable"
    assert revealed["contactEmail"]["state"] == "UNREADABLE"
    assert revealed["taxId"]["value"] == SECRETS["taxId"]
    assert revealed["contactPhone"]["value"] == SECRETS["contactPhone"]
    assert (await reveal_all(gql, other["id"]))["contactEmail"]["value"] == SECRETS["contactEmail"]


async def test_a_mangled_header_is_unreadable_and_the_query_still_answers(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    await set_columns(sessions, partner["id"], tax_id_ct=b"\x09not a ciphertext at all, surely")
    body = await gql(
        '{ partners { nodes { code taxId { masked state keyId reveal(reason: "audit") '
        "{ __typename } } bankAccount { state } } } }"
    )
    assert "errors" not in body, body
    node = body["data"]["partners"]["nodes"][0]
    assert node["taxId"]["state"] == "UNREADABLE" and node["taxId"]["keyId"] is None
    assert node["taxId"]["reveal"] == {"__typename": "RevealUnavailable"}
    assert node["bankAccount"]["state"] == "PRESENT"


async def test_a_ciphertext_naming_a_missing_key_is_unreadable(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    blob = bytearray((await row(sessions, partner["id"])).tax_id_ct or b"")
    blob[2:6] = (99_999).to_bytes(4, "big")
    await set_columns(sessions, partner["id"], tax_id_ct=bytes(blob))
    body = await gql.data(
        "query($id: ID!) { partner(id: $id) { taxId { state keyId } } }", id=partner["id"]
    )
    assert body["partner"]["taxId"] == {"state": "UNREADABLE", "keyId": 99_999}


async def test_masked_reads_need_no_key_and_state_is_one_batched_lookup(gql, sessions, app):
    from tests.schema.test_statement_count import counting

    for n in range(12):
        await create(gql, f"P{n:02d}", **SECRETS)
    with counting(app) as masked:
        await gql.data("{ partners { nodes { taxId { masked } contactEmail { masked } } } }")
    assert not any("data_keys" in statement for statement in masked)
    with counting(app) as states:
        await gql.data("{ partners { nodes { taxId { state } contactEmail { state } } } }")
    assert sum("data_keys" in statement for statement in states) == 1
