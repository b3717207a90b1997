"""Known-answer tests: bytes produced once and pasted here must still open.

If one of these fails, the ciphertext format, the AAD encoding, the wrapped-key format or the
blind-index derivation changed, and every value already stored would become unreadable (or
unfindable). Change the format only with a new version byte, never in place.

The vectors were generated once with these fixed test keys (never used outside tests):

- data key id 7: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
- local KEK "local-1": 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
- blind index root key: 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from security.blind_index import BlindIndex, strip_casefold
from security.cipher import (
    FieldContext,
    decode_decimal,
    decode_text,
    header,
    length_prefixed,
    unseal,
)
from security.errors import IntegrityError
from security.kek import LocalKeyring

DATA_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
LOCAL_KEK = bytes.fromhex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
INDEX_ROOT = bytes.fromhex("404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f")

TAX_ID = bytes.fromhex(
    "0101000000072c88c3944b0ef9bee527658fcd33ca0a1ce2250c4fa084296dcb12de04459a2952a6e596650f29"
)
EMAIL = bytes.fromhex(
    "01010000000760cbd837128e3a46e6713ddf30c20e6b6919e032246eb39a28b054963e26d8076b202790c6"
    "bef56cd44c91b30befbf"
)
CREDIT_LIMIT = bytes.fromhex(
    "01010000000783eda00cbd5765bce0acc550161cab7e65e1db0b37ae854032ea7dfc1642b8feaa317b8c0955"
)
EMPTY_NOTE = bytes.fromhex("010100000007c22bb6085956f697df75ce9981679643bcaaab3faef362c770fc425b")
WRAPPED_DATA_KEY = bytes.fromhex(
    "01000000076c6f63616c2d31f0ea219e161b3dfa2835e826c7d75b931540b5427f6f12db1b2b0d52ede92a"
    "65dfe174f1ec59a6a11c5ec4df57309fccb6421597dea3603075cea6e3"
)
WRAP_CONTEXT = {"purpose": "default", "key_id": "7"}
EMAIL_INDEX_64 = bytes.fromhex("ea95041a4d751c38")


def data_key(key_id: int) -> bytes:
    assert key_id == 7
    return DATA_KEY


def test_known_text_ciphertexts_still_open():
    assert decode_text(unseal(TAX_ID, FieldContext("partners", "tax_id", "42"), data_key)) == (
        "DE123456789"
    )
    ctx = FieldContext("partner_contacts", "email", "c-9")
    assert decode_text(unseal(EMAIL, ctx, data_key)) == "jürgen@example.com"


def test_known_decimal_ciphertext_still_opens_exactly():
    ctx = FieldContext("partners", "credit_limit", "42")
    value = decode_decimal(unseal(CREDIT_LIMIT, ctx, data_key))
    assert value.as_tuple() == Decimal("-1234.5600").as_tuple()


def test_known_empty_ciphertext_still_opens():
    assert unseal(EMPTY_NOTE, FieldContext("partners", "note", "1"), data_key) == b""


def test_known_ciphertexts_are_bound_to_their_place():
    assert header(TAX_ID).key_id == 7
    with pytest.raises(IntegrityError):
        unseal(TAX_ID, FieldContext("partners", "tax_id", "41"), data_key)


def _keyring_with_test_kek(folder: Path) -> LocalKeyring:
    path = folder / "keyring.json"
    document = {
        "format": 1,
        "active": "local-1",
        "keks": {"local-1": base64.b64encode(LOCAL_KEK).decode()},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(document, file)
    return LocalKeyring(path)


def test_known_wrapped_data_key_still_unwraps(tmp_path: Path):
    keyring = _keyring_with_test_kek(tmp_path)
    assert keyring.unwrap(WRAPPED_DATA_KEY, context=WRAP_CONTEXT) == DATA_KEY


def test_known_blind_index_is_unchanged():
    index = BlindIndex(
        INDEX_ROOT,
        table="partner_contacts",
        column="email",
        normalizer=strip_casefold,
        bits=64,
    )
    assert index.digest(" Jane.Doe@Example.com ") == EMAIL_INDEX_64


def test_blind_index_follows_the_documented_derivation():
    """Recompute the vector with RFC 5869 HKDF written out with hmac alone."""
    info = b"channelhub blind index" + length_prefixed(b"partner_contacts", b"email")
    prk = hmac.digest(b"\x00" * 32, INDEX_ROOT, hashlib.sha256)  # salt=None means zeros
    derived = hmac.digest(prk, info + b"\x01", hashlib.sha256)
    expected = hmac.digest(derived, b"jane.doe@example.com", hashlib.sha256)[:8]
    assert expected == EMAIL_INDEX_64
