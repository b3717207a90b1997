"""The sealed-value format rejects every alteration, truncation and move, and round-trips."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security.cipher import (
    HEADER_BYTES,
    MIN_CIPHERTEXT_BYTES,
    NONCE_BYTES,
    CiphertextHeader,
    FieldContext,
    decode_decimal,
    decode_text,
    encode_decimal,
    encode_text,
    header,
    seal,
    unseal,
)
from security.errors import (
    CiphertextFormatError,
    CryptoError,
    IntegrityError,
    KeyDestroyedError,
    KeyUnavailableError,
)
from security.keys import KeyCache, UnwrappedKey

KEY = UnwrappedKey(7, os.urandom(32))
OTHER_KEY = UnwrappedKey(8, os.urandom(32))
CTX = FieldContext("partners", "tax_id", "42")
PLAINTEXT = b"DE123456789"
REJECTED = (CiphertextFormatError, IntegrityError)


def any_id_gives_key(key_id: int) -> bytes:
    """Worst case for the header: every key id resolves to the very same key."""
    return KEY.material


def test_sealed_value_opens_to_its_plaintext():
    blob = seal(KEY, PLAINTEXT, CTX)
    assert unseal(blob, CTX, any_id_gives_key) == PLAINTEXT
    assert PLAINTEXT not in blob


def test_sealed_value_has_the_documented_layout():
    blob = seal(KEY, PLAINTEXT, CTX)
    assert blob[:HEADER_BYTES] == bytes([1, 1, 0, 0, 0, 7])
    assert len(blob) == HEADER_BYTES + NONCE_BYTES + len(PLAINTEXT) + 16
    assert header(blob) == CiphertextHeader(version=1, algorithm=1, key_id=7)


def test_every_single_bit_flip_is_rejected():
    blob = seal(KEY, PLAINTEXT, CTX)
    for bit in range(len(blob) * 8):
        flipped = bytearray(blob)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(REJECTED):
            unseal(bytes(flipped), CTX, any_id_gives_key)


def test_every_truncation_is_rejected():
    blob = seal(KEY, PLAINTEXT, CTX)
    for length in range(len(blob)):
        with pytest.raises(REJECTED):
            unseal(blob[:length], CTX, any_id_gives_key)


def test_short_values_are_a_format_error_not_a_guess():
    for length in range(MIN_CIPHERTEXT_BYTES):
        with pytest.raises(CiphertextFormatError):
            header(bytes(length))


def test_appended_bytes_are_rejected():
    blob = seal(KEY, PLAINTEXT, CTX)
    with pytest.raises(IntegrityError):
        unseal(blob + b"\x00", CTX, any_id_gives_key)


@pytest.mark.parametrize(
    "elsewhere",
    [
        FieldContext("partners", "tax_id", "43"),  # another row
        FieldContext("partners", "bank_account", "42"),  # another column
        FieldContext("suppliers", "tax_id", "42"),  # another table
        FieldContext("partnerstax_id", "", "42"),  # the same characters, split differently
        FieldContext("partners", "tax_id42", ""),
    ],
)
def test_value_moved_to_another_place_is_rejected(elsewhere: FieldContext):
    blob = seal(KEY, PLAINTEXT, CTX)
    with pytest.raises(IntegrityError):
        unseal(blob, elsewhere, any_id_gives_key)


def test_context_encoding_is_unambiguous():
    blob = seal(KEY, PLAINTEXT, FieldContext("ab", "c", "1"))
    with pytest.raises(IntegrityError):
        unseal(blob, FieldContext("a", "bc", "1"), any_id_gives_key)


def test_swapping_values_between_rows_is_rejected():
    mine = seal(KEY, b"mine", FieldContext("partners", "tax_id", "1"))
    theirs = seal(KEY, b"theirs", FieldContext("partners", "tax_id", "2"))
    with pytest.raises(IntegrityError):
        unseal(theirs, FieldContext("partners", "tax_id", "1"), any_id_gives_key)
    with pytest.raises(IntegrityError):
        unseal(mine, FieldContext("partners", "tax_id", "2"), any_id_gives_key)


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_version_is_rejected(version: int):
    blob = bytearray(seal(KEY, PLAINTEXT, CTX))
    blob[0] = version
    with pytest.raises(CiphertextFormatError, match="version"):
        unseal(bytes(blob), CTX, any_id_gives_key)


@pytest.mark.parametrize("algorithm", [0, 2, 255])
def test_unknown_algorithm_is_rejected(algorithm: int):
    blob = bytearray(seal(KEY, PLAINTEXT, CTX))
    blob[1] = algorithm
    with pytest.raises(CiphertextFormatError, match="algorithm"):
        header(bytes(blob))


def test_relabelled_key_id_is_rejected_even_if_that_key_is_identical():
    blob = bytearray(seal(KEY, PLAINTEXT, CTX))
    blob[5] = 8
    assert header(bytes(blob)).key_id == 8
    with pytest.raises(IntegrityError):
        unseal(bytes(blob), CTX, any_id_gives_key)


def test_another_key_cannot_open_the_value():
    blob = seal(KEY, PLAINTEXT, CTX)
    with pytest.raises(IntegrityError):
        unseal(blob, CTX, lambda key_id: OTHER_KEY.material)


def test_key_lookup_errors_propagate():
    cache = KeyCache()
    blob = seal(KEY, PLAINTEXT, CTX)
    with pytest.raises(KeyUnavailableError, match="7"):
        unseal(blob, CTX, cache.require)
    cache.put(KEY.id, KEY.material)
    assert unseal(blob, CTX, cache.require) == PLAINTEXT
    cache.mark_destroyed(KEY.id)
    with pytest.raises(KeyDestroyedError):
        unseal(blob, CTX, cache.require)


def test_two_hundred_seals_of_one_value_are_all_distinct():
    blobs = {seal(KEY, PLAINTEXT, CTX) for _ in range(200)}
    assert len(blobs) == 200
    nonces = {blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES] for blob in blobs}
    assert len(nonces) == 200


def test_seal_refuses_a_key_of_the_wrong_size_or_id():
    with pytest.raises(CryptoError, match="32 bytes"):
        seal(_RawKey(1, b"short"), PLAINTEXT, CTX)
    with pytest.raises(CryptoError, match="32 bits"):
        seal(_RawKey(2**32, KEY.material), PLAINTEXT, CTX)


def test_errors_name_the_place_but_never_the_plaintext_or_key():
    blob = seal(KEY, PLAINTEXT, CTX)
    with pytest.raises(IntegrityError) as caught:
        unseal(blob, FieldContext("partners", "tax_id", "43"), any_id_gives_key)
    message = str(caught.value)
    assert "partners.tax_id" in message
    assert PLAINTEXT.decode() not in message
    assert KEY.material.hex() not in message
    assert caught.value.__cause__ is None


def test_key_material_is_not_in_reprs():
    assert KEY.material.hex() not in repr(KEY)
    assert repr(KEY.material) not in repr(KEY)


class _RawKey:
    """A key-like object without UnwrappedKey's own checks, to reach seal's."""

    def __init__(self, key_id: int, material: bytes) -> None:
        self.id = key_id
        self.material = material


@given(st.text())
def test_any_text_round_trips_through_seal(text: str):
    blob = seal(KEY, encode_text(text), CTX)
    assert decode_text(unseal(blob, CTX, any_id_gives_key)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_round_trips_exactly(value: Decimal):
    blob = seal(KEY, encode_decimal(value), CTX)
    opened = decode_decimal(unseal(blob, CTX, any_id_gives_key))
    assert opened.as_tuple() == value.as_tuple()  # sign, digits and exponent, not just ==


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_non_finite_decimals_are_refused(value: Decimal):
    with pytest.raises(ValueError, match="finite"):
        encode_decimal(value)


@pytest.mark.parametrize("data", [b"NaN", b"Infinity", b"1_000", b" 1", b"12a", b"\xff", b""])
def test_decimal_decoder_rejects_anything_but_the_canonical_form(data: bytes):
    with pytest.raises(CiphertextFormatError):
        decode_decimal(data)


def test_text_decoder_rejects_invalid_utf8():
    with pytest.raises(CiphertextFormatError):
        decode_text(b"\xc3\x28")
