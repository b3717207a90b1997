"""Masks show exactly their stated shape and never more."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security.masking import FULL_MASK, MaskKind, mask


@pytest.mark.parametrize(
    ("kind", "plaintext", "expected"),
    [
        ("last4", "DE89 3704 0044 0532 0130 00", "****3000"),
        ("last4", "DE123456789", "****6789"),
        ("phone", "+49 (30) 1234-5678", "*******5678"),
        ("email", "jane.doe@example.com", "j***@example.com"),
        ("email", "  Jane@Example.com ", "J***@Example.com"),
        ("full", "anything at all", "********"),
        (MaskKind.FULL, "", "********"),
    ],
)
def test_documented_shapes(kind: str, plaintext: str, expected: str):
    assert mask(kind, plaintext) == expected


@pytest.mark.parametrize(
    ("kind", "plaintext", "expected"),
    [
        ("last4", "1234567", "****567"),  # never more than half
        ("last4", "1234", "****34"),
        ("last4", "1", "****"),
        ("last4", "", "****"),
        ("phone", "12345", "*******45"),
        ("phone", "no digits", "*******"),
        ("email", "j@example.com", "****@example.com"),  # one-letter local part stays hidden
    ],
)
def test_short_values_show_less(kind: str, plaintext: str, expected: str):
    assert mask(kind, plaintext) == expected


@pytest.mark.parametrize("plaintext", ["no-at-sign", "@example.com", "jane@", "", "  "])
def test_email_without_its_shape_is_fully_masked(plaintext: str):
    assert mask("email", plaintext) == FULL_MASK


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="nope"):
        mask("nope", "x")


_local = st.text(alphabet=st.characters(exclude_characters="@"), min_size=2).filter(
    lambda s: s == s.strip()
)
_domain = st.text(alphabet=st.characters(exclude_characters="@"), min_size=1).filter(
    lambda s: s == s.strip() and s != ""
)


@given(_local, _domain)
def test_email_mask_shows_only_the_first_local_character_and_the_domain(local: str, domain: str):
    assert mask("email", f"{local}@{domain}") == f"{local[0]}***@{domain}"


@given(st.text())
def test_last4_shows_at_most_four_and_at_most_half(plaintext: str):
    significant = "".join(c for c in plaintext if c.isalnum())
    masked = mask("last4", plaintext)
    assert masked.startswith("****")
    shown = masked[4:]
    assert len(shown) <= min(4, len(significant) // 2)
    assert significant.endswith(shown)


@given(st.text())
def test_phone_shows_at_most_four_digits(plaintext: str):
    masked = mask("phone", plaintext)
    assert masked.startswith("*******")
    shown = masked[7:]
    assert len(shown) <= 4
    assert shown.isdigit() or shown == ""


@given(st.text(), st.text())
def test_mask_length_does_not_depend_on_value_length_beyond_the_shown_part(a: str, b: str):
    assert mask("full", a) == mask("full", b) == FULL_MASK
    assert len(mask("last4", a + "12345678")) == len(mask("last4", b + "12345678")) == 8
