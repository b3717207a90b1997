"""Masked forms of sensitive values, computed from the plaintext at write time.

The mask is stored next to the ciphertext, so reading a masked field needs no decryption and
no key. Shapes::

    last4   "****1234"          last 4 letters or digits (bank account, tax id)
    phone   "*******5678"       last 4 digits
    email   "j***@example.com"  first character of the local part, and the domain
    full    "********"          nothing

The number of stars is fixed, so a mask never tells the length of the value. A mask never
shows more than half of the characters it draws from: a short value shows fewer (or none).
A value without the expected shape (an e-mail without "@") falls back to ``full``.
This module never logs and never returns more than the stated shape.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FULL_MASK", "MaskKind", "mask"]

FULL_MASK = "********"
_TAIL = 4


class MaskKind(StrEnum):
    LAST4 = "last4"
    PHONE = "phone"
    EMAIL = "email"
    FULL = "full"


def _tail(significant: str) -> str:
    shown = min(_TAIL, len(significant) // 2)
    return significant[len(significant) - shown :]


def _email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain:
        return FULL_MASK
    first = local[0] if len(local) >= 2 else "*"
    return f"{first}***@{domain}"


def mask(kind: MaskKind | str, plaintext: str) -> str:
    """The masked form of ``plaintext`` in the shape ``kind``."""
    match MaskKind(kind):
        case MaskKind.LAST4:
            return "****" + _tail("".join(c for c in plaintext if c.isalnum()))
        case MaskKind.PHONE:
            return "*******" + _tail("".join(c for c in plaintext if "0" <= c <= "9"))
        case MaskKind.EMAIL:
            return _email(plaintext)
        case MaskKind.FULL:
            return FULL_MASK
