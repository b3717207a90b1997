"""Reveal: the one path from an encrypted field to its plaintext, and the field's state.

A reveal is allowed only to a viewer whose role holds the column's permission
(``reveal:financial`` for tax id and bank account, ``reveal:contact`` for phone and e-mail)
and only with a reason of at least ``MIN_REASON`` characters. Every attempt leaves one audit
entry (action ``reveal``; outcome ``allowed``, ``denied``, ``unavailable`` or ``failed``;
table, column, row, key id, reason). The value is decrypted in memory first, so the entry
can say how the attempt ended, and is returned only after that entry is committed: if the
audit write fails, the reveal fails and the plaintext is dropped.

A tampered or misplaced ciphertext is ``UNREADABLE`` for that one field (outcome
``failed``); a shredded one is ``SHREDDED``. Neither message carries the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from security.audit import AuditEvent, AuditLog
from security.cipher import header
from security.errors import CryptoError, KeyDestroyedError
from security.field_crypto import FieldCrypto
from security.fields import EncryptedValue, FieldState
from security.keys import KeyState
from security.viewer import Viewer

__all__ = ["MAX_REASON", "MIN_REASON", "RevealKind", "RevealOutcome", "reveal", "state_of"]

MIN_REASON = 3
MAX_REASON = 500


class RevealKind(Enum):
    REVEALED = "revealed"
    DENIED = "denied"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class RevealOutcome:
    kind: RevealKind
    value: str | None = None
    message: str = ""
    state: FieldState | None = None


def key_id_of(value: EncryptedValue) -> int | None:
    """The data key id in the ciphertext's header; None when empty or malformed."""
    if value.ciphertext is None:
        return None
    try:
        return header(value.ciphertext).key_id
    except CryptoError:
        return None


def state_of(value: EncryptedValue, key_state: KeyState | None) -> FieldState:
    """The field's state from its row and its key's state (no decryption)."""
    if value.ciphertext is None:
        return FieldState.EMPTY
    if key_state is None:
        return FieldState.UNREADABLE  # malformed header, or a key id that does not exist
    if key_state is KeyState.DESTROYED:
        return FieldState.SHREDDED
    return FieldState.PRESENT


def _refusal(reason: str, value: EncryptedValue, viewer: Viewer | None) -> str | None:
    column = value.column
    if viewer is None:
        return f"revealing {column.graph_name} needs an authenticated viewer"
    if not viewer.can(column.permission):
        return f"your role may not reveal {column.graph_name} (needs {column.permission})"
    if len(reason) < MIN_REASON:
        return f"a reason of at least {MIN_REASON} characters is required to reveal a value"
    if len(reason) > MAX_REASON:
        return f"the reason must be at most {MAX_REASON} characters"
    return None


async def reveal(
    value: EncryptedValue,
    reason: str,
    *,
    viewer: Viewer | None,
    crypto: FieldCrypto,
    audit: AuditLog,
) -> RevealOutcome:
    """Check policy and reason, decrypt, audit, and only then hand out the plaintext."""
    reason = reason.strip()
    column = value.column

    async def record(outcome: str, **detail: str) -> None:
        await audit.record(
            AuditEvent(
                actor=viewer.subject if viewer is not None else "anonymous",
                role=str(viewer.role) if viewer is not None else "anonymous",
                action="reveal",
                outcome=outcome,
                table=column.table,
                column=column.column,
                row_id=str(value.row_id),
                key_id=key_id_of(value),
                reason=reason[:MAX_REASON] or None,
                detail=detail,
            )
        )

    refusal = _refusal(reason, value, viewer)
    if refusal is not None:
        await record("denied", why=refusal)
        return RevealOutcome(RevealKind.DENIED, message=refusal)
    if value.ciphertext is None:
        await record("unavailable", state=FieldState.EMPTY)
        return RevealOutcome(
            RevealKind.UNAVAILABLE, message="no value is stored", state=FieldState.EMPTY
        )
    try:
        plaintext = await crypto.open(value)
    except KeyDestroyedError:
        await record("unavailable", state=FieldState.SHREDDED)
        return RevealOutcome(
            RevealKind.UNAVAILABLE,
            message=f"{column.graph_name} was shredded: its key is destroyed for good",
            state=FieldState.SHREDDED,
        )
    except CryptoError as error:
        await record("failed", state=FieldState.UNREADABLE, error=type(error).__name__)
        return RevealOutcome(
            RevealKind.UNAVAILABLE,
            message=f"{column.graph_name} cannot be decrypted (altered, misplaced or key lost)",
            state=FieldState.UNREADABLE,
        )
    await record("allowed")
    return RevealOutcome(RevealKind.REVEALED, value=plaintext)
