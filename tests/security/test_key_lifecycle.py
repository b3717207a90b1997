"""Key lifecycle end to end: rotate, re-encrypt (killed and resumed, raced, run twice), KEK
rotation, crypto-shredding and ``keys status`` — run as the CLI runs them (``KeyTools``, its
own engine and key service) against the database the app serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from jobs.key_admin import KeyTools
from jobs.reencrypt import reencrypt
from security.errors import CryptoError
from security.field_crypto import FieldCrypto
from security.fields import EncryptedValue
from security.keys import KeyState
from settings import Settings
from store.models import DataKeyRow, KeyJobCheckpoint, Partner
from store.repositories.encrypted_fields import swap_ciphertext
from tests.security.encrypted_partners import (
    SECRETS,
    UPDATE,
    audit_entries,
    create,
    pk,
    reveal_all,
    row,
    set_columns,
)

CT_COLUMNS = ("tax_id_ct", "bank_account_ct", "contact_phone_ct", "contact_email_ct")


class Killed(Exception):
    """Stands for the process being killed between two batches."""


@pytest.fixture
async def tools(app: Any, settings: Settings) -> AsyncIterator[KeyTools]:
    operator = KeyTools(settings)
    yield operator
    await operator.close()


def secrets_of(n: int) -> dict[str, str]:
    return {
        "taxId": f"9133010000000{n:05d}",
        "bankAccount": f"6222 0212 3456 {n:04d} 123",
        "contactPhone": f"+86 138 1234 {n:04d}",
        "contactEmail": f"buyer{n}@shop{n}.cn",
    }


async def populate(gql: Any, count: int) -> list[dict[str, Any]]:
    return [await create(gql, f"P{n:02d}", **secrets_of(n)) for n in range(count)]


async def assert_intact(gql: Any, partners: Sequence[dict[str, Any]]) -> None:
    for n, partner in enumerate(partners):
        revealed = await reveal_all(gql, partner["id"], "integrity check")
        assert {f: r.get("value") for f, r in revealed.items()} == secrets_of(n)


async def states_in_use(tools: KeyTools) -> dict[str, int]:
    report = await tools.status()
    merged: dict[str, int] = {}
    for column in report.columns.values():
        for state, count in column.by_state.items():
            merged[state] = merged.get(state, 0) + count
    return merged


async def test_rotation_sends_new_writes_to_the_new_key_and_keeps_old_values_readable(gql, tools):
    partner = await create(gql, "P1", **SECRETS)
    rotations = await tools.rotate()
    assert [r.old_id for r in rotations] == [partner["taxId"]["keyId"]]
    updated = await gql.data(UPDATE, input={"id": partner["id"], "taxId": "91330100MA2B3C4D99"})
    fields = updated["updatePartner"]["partner"]
    assert fields["taxId"]["keyId"] == rotations[0].new_id
    assert fields["bankAccount"]["keyId"] == rotations[0].old_id  # not moved yet
    revealed = await reveal_all(gql, partner["id"])
    assert revealed["bankAccount"]["value"] == SECRETS["bankAccount"]
    assert revealed["taxId"]["value"] == "91330100MA2B3C4D99"


async def test_reencryption_killed_halfway_resumes_and_leaves_nothing_on_old_keys(
    gql, tools, sessions
):
    partners = await populate(gql, 7)
    await tools.rotate()
    calls: list[int] = []

    def kill_after_first_batch(done: int, total: int) -> None:
        calls.append(done)
        raise Killed

    with pytest.raises(Killed):
        await reencrypt(tools.crypto, batch=3, progress=kill_after_first_batch)
    async with sessions() as s:
        checkpoint = await s.get(KeyJobCheckpoint, "reencrypt:partners")
    assert checkpoint is not None and checkpoint.last_id == pk(partners[2]["id"])
    assert await states_in_use(tools) == {"active": 12, "decrypt_only": 16}

    report = await tools.reencrypt(batch=3)
    assert report.resumed_after == {"partners": pk(partners[2]["id"])}
    assert (report.scanned, report.moved, report.remaining) == (4, 16, 0)
    assert len(report.retired) == 7
    assert await states_in_use(tools) == {"active": 28}
    await assert_intact(gql, partners)
    async with sessions() as s:
        assert await s.get(KeyJobCheckpoint, "reencrypt:partners") is None


async def test_a_second_reencryption_is_a_no_op(gql, tools, sessions):
    partners = await populate(gql, 3)
    await tools.rotate()
    first = await tools.reencrypt(batch=2)
    before = {
        p["id"]: [getattr(await row(sessions, p["id"]), c) for c in CT_COLUMNS] for p in partners
    }
    second = await tools.reencrypt(batch=2)
    assert (first.moved, second.moved, second.retired, second.remaining) == (12, 0, [], 0)
    for partner in partners:
        stored = await row(sessions, partner["id"])
        assert [getattr(stored, c) for c in CT_COLUMNS] == before[partner["id"]]


class RacingCrypto(FieldCrypto):
    """Lets a client update a partner after re-encryption read a batch, before it writes."""

    def __init__(self, crypto: FieldCrypto, race: Any) -> None:
        super().__init__(crypto.keys, index_bits=crypto.index_bits)
        self.race = race

    async def open_many(
        self, values: Sequence[EncryptedValue], *, for_reencryption: bool = False
    ) -> list[str | CryptoError]:
        opened = await super().open_many(values, for_reencryption=for_reencryption)
        if for_reencryption and self.race is not None:
            race, self.race = self.race, None
            await race()
        return opened


async def test_a_concurrent_update_during_reencryption_is_not_lost(gql, tools, sessions):
    partners = await populate(gql, 4)
    await tools.rotate()
    target = partners[1]

    async def update_meanwhile() -> None:
        await gql.data(UPDATE, input={"id": target["id"], "taxId": "91999999999999999X"})

    report = await reencrypt(RacingCrypto(tools.crypto, update_meanwhile), batch=10)
    assert report.lost_to_concurrent_writes == 1
    assert report.remaining == 0
    revealed = await reveal_all(gql, target["id"])
    assert revealed["taxId"]["value"] == "91999999999999999X"
    assert revealed["bankAccount"]["value"] == secrets_of(1)["bankAccount"]
    assert await states_in_use(tools) == {"active": 16}


async def test_compare_and_set_refuses_a_stale_ciphertext(gql, sessions):
    partner = await create(gql, "P1", **SECRETS)
    stored = await row(sessions, partner["id"])
    from store.encrypted import TAX_ID

    async with sessions.begin() as s:
        swapped = await swap_ciphertext(s, TAX_ID, stored.id, b"stale bytes", b"new bytes")
    assert swapped is False
    assert (await row(sessions, partner["id"])).tax_id_ct == stored.tax_id_ct


async def test_kek_rotation_rewraps_the_data_keys_and_leaves_the_data_bytes(
    gql, tools, sessions, app
):
    partners = await populate(gql, 3)
    await reveal_all(gql, partners[0]["id"])  # the audit key exists too now
    async with sessions() as s:
        keys_before = {k.id: (k.wrapped, k.kek_id) for k in await s.scalars(select(DataKeyRow))}
        data_before = [
            tuple(getattr(p, c) for c in CT_COLUMNS)
            for p in await s.scalars(select(Partner).order_by(Partner.id))
        ]
    report = await tools.rotate_kek()
    assert (report.rewrapped, report.failed, report.kek_id) == (len(keys_before), (), "local-2")
    async with sessions() as s:
        keys_after = {k.id: (k.wrapped, k.kek_id) for k in await s.scalars(select(DataKeyRow))}
        data_after = [
            tuple(getattr(p, c) for c in CT_COLUMNS)
            for p in await s.scalars(select(Partner).order_by(Partner.id))
        ]
    assert data_after == data_before
    assert keys_after.keys() == keys_before.keys()
    for key_id, (wrapped, kek_id) in keys_after.items():
        assert kek_id == "local-2" and wrapped != keys_before[key_id][0]
    app.state.hub.keys.cache.clear()  # unwrap again, through the new KEK
    await assert_intact(gql, partners)
    assert await app.state.hub.audit.verify() == []


async def test_shredding_one_partner_leaves_every_other_partner_readable(gql, tools, sessions):
    victim, other = await populate(gql, 2)
    await tools.rotate()  # two keys for the victim: both must go
    await gql.data(UPDATE, input={"id": victim["id"], "contactPhone": "+86 139 0000 0000"})
    report = await tools.shred_partner(victim["code"])
    assert len(report.destroyed_keys) == 2
    revealed = await reveal_all(gql, victim["id"])
    assert {r["__typename"] for r in revealed.values()} == {"RevealUnavailable"}
    assert {r["state"] for r in revealed.values()} == {"SHREDDED"}
    body = await gql.data(
        """query($id: ID!) { partner(id: $id) {
             taxId { masked state } contactPhone { masked state } } }""",
        id=victim["id"],
    )
    assert body["partner"]["taxId"] == {"masked": None, "state": "SHREDDED"}
    assert body["partner"]["contactPhone"] == {"masked": None, "state": "SHREDDED"}
    assert {f: r["value"] for f, r in (await reveal_all(gql, other["id"])).items()} == secrets_of(1)
    lookup = "query($t: String!) { partners(filter: {taxId: $t}) { totalCount } }"
    assert (await gql.data(lookup, t=secrets_of(0)["taxId"]))["partners"]["totalCount"] == 0
    assert (await gql.data(lookup, t=secrets_of(1)["taxId"]))["partners"]["totalCount"] == 1
    async with sessions() as s:
        keys = list(
            await s.scalars(
                select(DataKeyRow).where(DataKeyRow.purpose == f"partner:{pk(victim['id'])}")
            )
        )
    assert {(k.state, k.wrapped) for k in keys} == {(KeyState.DESTROYED, b"")}
    (entry,) = await audit_entries(sessions, "keys.shred")
    assert entry.table_name == "partners" and entry.row_hash
    again = await tools.shred_partner(str(pk(victim["id"])))
    assert again.destroyed_keys == []


async def test_reencryption_skips_shredded_values_and_still_finishes(gql, tools):
    victim, _ = await populate(gql, 2)
    await tools.rotate()
    await tools.shred_partner(victim["code"])
    report = await tools.reencrypt(batch=10)
    assert (report.moved, report.remaining) == (4, 0)
    assert await states_in_use(tools) == {"active": 4, "destroyed": 4}


async def test_status_counts_values_per_key_state_and_finds_no_plaintext(gql, tools, sessions):
    partners = await populate(gql, 3)
    await gql.data(UPDATE, input={"id": partners[0]["id"], "contactPhone": None})
    report = (await tools.status()).as_json()
    phone = report["columns"]["partners.contact_phone"]
    assert (phone["empty"], phone["not_ciphertext"], phone["by_state"]) == (1, 0, {"active": 2})
    assert all(c["not_ciphertext"] == 0 for c in report["columns"].values())
    assert report["kek"] == "local-1"
    await set_columns(sessions, partners[1]["id"], tax_id_ct=b"a plaintext written around us")
    tampered = (await tools.status()).as_json()["columns"]["partners.tax_id"]
    assert tampered["not_ciphertext"] == 1


async def test_every_key_operation_is_audited(gql, tools, app):
    partner = await create(gql, "P1", **SECRETS)
    await tools.rotate()
    await tools.reencrypt(batch=10)
    await tools.rotate_kek()
    await tools.shred_partner(partner["code"])
    actions = [e.action for e in await audit_entries(tools.sessions)]
    assert actions == ["keys.rotate", "keys.reencrypt", "keys.rotate_kek", "keys.shred"]
    assert await app.state.hub.audit.verify() == []
