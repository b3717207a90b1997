"""Reveal policy: which roles may see which field, the reason rule, and the audit entry every
attempt leaves — written before any plaintext is returned, or the reveal fails."""

from __future__ import annotations

from sqlalchemy import delete, insert

from resolvers.reveal import RevealKind, reveal
from security.audit import GENESIS
from store.models import AuditHead
from tests.security.encrypted_partners import (
    SECRETS,
    audit_entries,
    create,
    pk,
    reveal_all,
    row,
)

ONE = """query($id: ID!, $reason: String!) { partner(id: $id) {
  taxId { reveal(reason: $reason) { __typename ... on Revealed { value }
    ... on UserError { message } } } } }"""


async def test_an_allowed_reveal_is_audited_with_field_row_key_and_reason(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    body = await gql.data(ONE, id=partner["id"], reason="  KYC check for contract 7  ")
    assert body["partner"]["taxId"]["reveal"]["value"] == SECRETS["taxId"]
    (entry,) = await audit_entries(sessions, "reveal")
    assert (entry.actor, entry.role, entry.outcome) == ("test-admin", "brand_admin", "allowed")
    assert (entry.table_name, entry.column_name) == ("partners", "tax_id")
    assert entry.key_id == partner["taxId"]["keyId"]
    assert entry.reason == "KYC check for contract 7"
    assert entry.row_hash and str(pk(partner["id"])) != entry.row_hash
    assert SECRETS["taxId"] not in entry.detail


async def test_a_dealer_sees_contact_fields_of_its_own_partner_but_not_financial_ones(
    gql, gql_as, sessions
):
    partner = await create(gql, "P1", **SECRETS)
    dealer = gql_as("dealer", partner=pk(partner["id"]))
    revealed = await reveal_all(dealer, partner["id"])
    assert revealed["contactEmail"]["value"] == SECRETS["contactEmail"]
    assert revealed["contactPhone"]["value"] == SECRETS["contactPhone"]
    for field in ("taxId", "bankAccount"):
        assert revealed[field]["__typename"] == "RevealDenied"
        assert "reveal:financial" in revealed[field]["message"]
    outcomes = {(e.column_name, e.outcome) for e in await audit_entries(sessions, "reveal")}
    assert outcomes == {
        ("contact_email", "allowed"),
        ("contact_phone", "allowed"),
        ("tax_id", "denied"),
        ("bank_account", "denied"),
    }


async def test_a_role_without_reveal_permissions_is_denied_and_audited(gql, gql_as, sessions):
    partner = await create(gql, "P1", **SECRETS)
    revealed = await reveal_all(gql_as("security_auditor"), partner["id"])
    assert {r["__typename"] for r in revealed.values()} == {"RevealDenied"}
    assert all(SECRETS[f] not in str(revealed) for f in SECRETS)
    entries = await audit_entries(sessions, "reveal")
    assert [e.outcome for e in entries] == ["denied"] * 4
    assert {e.role for e in entries} == {"security_auditor"}


async def test_a_blank_or_too_short_reason_is_denied_and_audited(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    for reason in ("", "   ", "ok"):
        result = (await gql.data(ONE, id=partner["id"], reason=reason))["partner"]["taxId"]
        assert result["reveal"]["__typename"] == "RevealDenied"
        assert "reason" in result["reveal"]["message"]
    entries = await audit_entries(sessions, "reveal")
    assert [(e.outcome, e.reason) for e in entries] == [
        ("denied", None),
        ("denied", None),
        ("denied", "ok"),
    ]


async def test_a_reveal_without_a_reason_is_a_request_error(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    body = await gql(
        "query($id: ID!) { partner(id: $id) { taxId { reveal { __typename } } } }",
        id=partner["id"],
    )
    assert "reason" in body["errors"][0]["message"]
    assert await audit_entries(sessions, "reveal") == []


async def test_when_the_audit_cannot_be_written_the_reveal_fails_without_plaintext(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    async with sessions.begin() as s:  # the chain head is gone: appending must fail
        await s.execute(delete(AuditHead))
    try:
        body = await gql(
            """query($id: ID!) { partner(id: $id) { code contactEmail { masked } taxId {
                 reveal(reason: "KYC check") { __typename ... on Revealed { value } } } } }""",
            id=partner["id"],
        )
    finally:  # put the head back (the PostgreSQL database outlives this test)
        async with sessions.begin() as s:
            await s.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
    assert body["data"]["partner"]["taxId"]["reveal"] is None
    assert body["data"]["partner"]["code"] == "P1"  # the rest of the query is answered
    assert body["errors"][0]["message"] == "Unexpected error."
    assert SECRETS["taxId"] not in str(body)


async def test_an_anonymous_viewer_is_denied_and_audited(gql, app, sessions):
    partner = await create(gql, "P1", **SECRETS)
    stored = await row(sessions, partner["id"])
    hub = app.state.hub
    outcome = await reveal(
        stored.tax_id, "KYC check", viewer=None, crypto=hub.fields, audit=hub.audit
    )
    assert outcome.kind is RevealKind.DENIED and outcome.value is None
    (entry,) = await audit_entries(sessions, "reveal")
    assert (entry.actor, entry.outcome) == ("anonymous", "denied")


async def test_a_tampered_value_is_audited_as_failed(gql, sessions):
    from tests.security.encrypted_partners import set_columns

    partner = await create(gql, "P1", **SECRETS)
    blob = bytearray((await row(sessions, partner["id"])).tax_id_ct or b"")
    blob[20] ^= 0x80
    await set_columns(sessions, partner["id"], tax_id_ct=bytes(blob))
    result = (await gql.data(ONE, id=partner["id"], reason="KYC check"))["partner"]["taxId"]
    assert result["reveal"]["__typename"] == "RevealUnavailable"
    (entry,) = await audit_entries(sessions, "reveal")
    assert entry.outcome == "failed" and "UNREADABLE" in entry.detail


async def test_the_audit_chain_stays_intact_through_reveals(gql, gql_as, app):
    partner = await create(gql, "P1", **SECRETS)
    await reveal_all(gql, partner["id"])
    await reveal_all(gql_as("security_auditor"), partner["id"])
    assert await app.state.hub.audit.verify() == []
