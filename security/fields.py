"""What an encrypted column is, and how a stored row presents one without decrypting it.

An ``EncryptedColumn`` names a sensitive field (table, column, name in the graph), the mask
shape computed at write time, the blind-index normalizer when equality lookups are allowed,
the permission a reveal needs, and whose data key seals it (``partner:<row id>`` for a
partner's personal fields). Each one is stored as three columns of its row::

    <column>_ct     the sealed value (``security.cipher`` format), NULL when empty
    <column>_mask   the masked form, kept so a read never needs a key
    <column>_bidx   the truncated blind index (only when the column is indexed)

``EncryptedAttribute`` is a read-only descriptor on the model: ``row.tax_id`` is an
``EncryptedValue`` (ciphertext and mask, never plaintext). Pure: no I/O, no keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, overload

from security.blind_index import Normalizer
from security.cipher import FieldContext
from security.masking import MaskKind
from security.viewer import Permission

__all__ = [
    "EncryptedAttribute",
    "EncryptedColumn",
    "EncryptedValue",
    "FieldState",
    "SealedValue",
]


class FieldState(StrEnum):
    """What a stored encrypted field holds, as far as can be told without decrypting it."""

    PRESENT = "PRESENT"
    EMPTY = "EMPTY"
    SHREDDED = "SHREDDED"
    UNREADABLE = "UNREADABLE"


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: str
    column: str
    graph_name: str
    mask: MaskKind
    permission: Permission
    key_scope: str
    """Prefix of the data key purpose: values of row 42 use the key ``<key_scope>:42``."""
    normalizer: Normalizer | None = None
    """Set for blind-indexed columns: what equality means (``digits_only``...)."""
    shared_key: bool = False
    """One data key (purpose ``key_scope``) for every row, instead of one per row."""

    @property
    def ct_attr(self) -> str:
        return f"{self.column}_ct"

    @property
    def mask_attr(self) -> str:
        return f"{self.column}_mask"

    @property
    def bidx_attr(self) -> str:
        return f"{self.column}_bidx"

    @property
    def indexed(self) -> bool:
        return self.normalizer is not None

    def purpose(self, row_id: int) -> str:
        return self.key_scope if self.shared_key else f"{self.key_scope}:{row_id}"

    def context(self, row_id: int) -> FieldContext:
        return FieldContext(self.table, self.column, str(row_id))

    def same_value(self, stored: str, wanted: str) -> bool:
        """Equality as the blind index means it (after normalization)."""
        normalize = self.normalizer or str.strip
        return normalize(stored) == normalize(wanted)


@dataclass(frozen=True, slots=True)
class SealedValue:
    """What a write stores for one value: ciphertext, mask and (maybe) blind index."""

    ciphertext: bytes
    masked: str
    index: bytes | None


class EncryptedValue(NamedTuple):
    """One stored encrypted field of one row, as read: no plaintext, no key needed.

    A named tuple: one is built per field per row read, so it must be cheap to make.
    """

    column: EncryptedColumn
    row_id: int
    ciphertext: bytes | None
    masked: str | None


class EncryptedAttribute:
    """``row.<column>``: the row's ``EncryptedValue`` for ``column`` (read-only).

    Read for every encrypted field of every row a query returns, so it is lean: the stored
    attribute names are computed once, and an ORM row's loaded values are read from its
    ``__dict__`` (falling back to the ORM for a value that is not loaded).
    """

    __slots__ = ("_ct", "_mask", "column")

    def __init__(self, column: EncryptedColumn) -> None:
        self.column = column
        self._ct = column.ct_attr
        self._mask = column.mask_attr

    @overload
    def __get__(self, row: None, owner: type[Any]) -> EncryptedAttribute: ...

    @overload
    def __get__(self, row: object, owner: type[Any]) -> EncryptedValue: ...

    def __get__(self, row: object | None, owner: type[Any]) -> EncryptedAttribute | EncryptedValue:
        if row is None:
            return self
        loaded = row.__dict__
        try:
            values = (self.column, loaded["id"], loaded[self._ct], loaded[self._mask])
        except KeyError:  # not loaded (expired or deferred): ask the ORM
            values = (self.column, row.id, getattr(row, self._ct), getattr(row, self._mask))  # type: ignore[attr-defined]
        return _new_value(EncryptedValue, values)

    def __set__(self, row: object, value: object) -> None:
        raise AttributeError(
            f"{self.column.table}.{self.column.column} is encrypted: write it through the "
            f"field encryption service, never as an attribute"
        )


_new_value = tuple.__new__  # builds the named tuple without its Python-level __new__
