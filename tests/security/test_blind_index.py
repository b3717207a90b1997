"""Blind indexes: stable per value, distinct per column, truncated as configured, normalized."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security.blind_index import BlindIndex, derive_index_key, digits_only, strip_casefold

ROOT = os.urandom(32)


def email_index(bits: int = 32, *, table: str = "partner_contacts", column: str = "email"):
    return BlindIndex(ROOT, table=table, column=column, normalizer=strip_casefold, bits=bits)


def test_same_value_gives_the_same_index():
    assert email_index().digest("a@example.com") == email_index().digest("a@example.com")


def test_different_values_give_different_indexes():
    index = email_index(bits=128)
    assert index.digest("a@example.com") != index.digest("b@example.com")


def test_another_column_or_table_gives_another_index():
    value = "a@example.com"
    here = email_index(bits=128).digest(value)
    assert email_index(bits=128, column="billing_email").digest(value) != here
    assert email_index(bits=128, table="suppliers").digest(value) != here


def test_table_and_column_are_length_prefixed_in_the_derivation():
    assert derive_index_key(ROOT, "ab", "c") != derive_index_key(ROOT, "a", "bc")


def test_another_root_key_gives_another_index():
    other = BlindIndex(
        os.urandom(32),
        table="partner_contacts",
        column="email",
        normalizer=strip_casefold,
        bits=256,
    )
    assert other.digest("a@example.com") != email_index(bits=256).digest("a@example.com")


@pytest.mark.parametrize("bits", range(8, 257, 8))
def test_truncation_length_is_honoured(bits: int):
    index = email_index(bits=bits)
    digest = index.digest("a@example.com")
    assert len(digest) == bits // 8
    number = index.as_int("a@example.com")
    assert 0 <= number < 2**bits
    assert number == int.from_bytes(digest, "big")


def test_shorter_index_is_a_prefix_of_the_longer_one():
    assert email_index(bits=256).digest("x@y.z").startswith(email_index(bits=16).digest("x@y.z"))


@pytest.mark.parametrize("bits", [0, 4, 7, 12, 255, 264, -8])
def test_invalid_truncation_is_refused(bits: int):
    with pytest.raises(ValueError, match="multiple of 8"):
        email_index(bits=bits)


def test_email_normalizer_is_applied():
    index = email_index()
    assert index.digest("  Jane.Doe@Example.COM\n") == index.digest("jane.doe@example.com")
    assert index.digest("Straße@example.com") == index.digest("STRASSE@example.com")


def test_phone_normalizer_keeps_digits_only():
    index = BlindIndex(ROOT, table="partner_contacts", column="phone", normalizer=digits_only)
    assert index.digest("+49 (30) 1234-5678") == index.digest("4930 12345678")
    assert digits_only("+49 (30) 1234-5678") == "4930123456" + "78"


def test_short_root_key_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(b"short", table="t", column="c", normalizer=str.strip)


def test_repr_shows_no_key():
    index = email_index()
    assert repr(index) == "BlindIndex(table='partner_contacts', column='email', bits=32)"
    assert ROOT.hex() not in repr(index)


@given(st.text(), st.text())
def test_index_depends_only_on_the_normalized_value(a: str, b: str):
    index = email_index(bits=256)
    same = strip_casefold(a) == strip_casefold(b)
    assert (index.digest(a) == index.digest(b)) is same
