"""Each demo partner's sensitive fields — tax id, bank account, contact phone and e-mail — and
how the loader stores them: sealed, masked and blind-indexed like any write.

``build_contacts`` draws plausible values (an 18-character unified social credit code, a
19-digit bank card, a mobile number, a named e-mail); a few partners lack a bank account or a
phone, so EMPTY fields show up too. ``seal_into`` runs inside the seed's transaction: it
mints one data key per partner (``partner:<id>``), wraps them all under the KEK, seals every
value and returns the ``data_keys`` rows to insert before the partners. The plaintext exists
only in memory, never in a row.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

from demo.partners import PartnerInfo
from demo.values import Row
from security.field_crypto import FieldCrypto
from security.fields import EncryptedColumn
from security.key_lifecycle import mint
from store.encrypted import BANK_ACCOUNT, CONTACT_EMAIL, CONTACT_PHONE, TAX_ID
from store.repositories.encrypted_fields import sealed_columns

Contacts = dict[int, dict[EncryptedColumn, str]]

_CODE_CHARS = string.digits + "ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet
_GIVEN = ("wei", "fang", "min", "jing", "lei", "yan", "jun", "hui", "tao", "xin", "li", "na")
_FAMILY = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu")
_MOBILE_PREFIXES = ("133", "135", "138", "139", "150", "158", "186", "189")


def _contact(rng: random.Random, partner: PartnerInfo) -> dict[EncryptedColumn, str]:
    body = "".join(rng.choice(_CODE_CHARS) for _ in range(10))
    values = {TAX_ID: f"91{partner.city.id:06d}{body}"}
    if rng.random() < 0.9:
        digits = "6222" + "".join(rng.choice(string.digits) for _ in range(15))
        values[BANK_ACCOUNT] = " ".join(digits[i : i + 4] for i in range(0, 19, 4))
    if rng.random() < 0.95:
        number = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        values[CONTACT_PHONE] = f"+86 {number[:3]} {number[3:7]} {number[7:]}"
    domain = partner.name.split()[0].lower().strip(".,") or "example"
    person = f"{rng.choice(_GIVEN)}.{rng.choice(_FAMILY)}"
    values[CONTACT_EMAIL] = f"{person}{partner.id}@{domain}-{partner.code.lower()}.cn"
    return values


def build_contacts(rng: random.Random, partners: Sequence[PartnerInfo]) -> Contacts:
    """Sensitive values per partner id, drawn from ``rng`` (deterministic per seed)."""
    return {partner.id: _contact(rng, partner) for partner in partners}


def seal_into(
    crypto: FieldCrypto, partner_rows: Sequence[Row], contacts: Contacts, first_key_id: int
) -> list[Row]:
    """Seal ``contacts`` into ``partner_rows`` (in place); the ``data_keys`` rows to insert.

    ``crypto.prepare()`` must have run (the blind-index key) before the seed's transaction.
    """
    partner_ids = [row["id"] for row in partner_rows]
    key_rows, keys = mint(crypto.keys, [f"partner:{pid}" for pid in partner_ids], first_key_id)
    for row in partner_rows:
        pid = row["id"]
        values = contacts.get(pid, {})
        key = keys[f"partner:{pid}"]
        for column in (TAX_ID, BANK_ACCOUNT, CONTACT_PHONE, CONTACT_EMAIL):
            plaintext = values.get(column)
            sealed = None if plaintext is None else crypto.seal(key, column, pid, plaintext)
            row.update(sealed_columns(column, sealed))
    return key_rows
