"""External anchors for the audit chain: export the head, later prove the chain still has it.

``verify`` alone cannot see a tail cut off cleanly (entries deleted from the end and the head
row set back) or a history rewritten by someone holding the audit key. An anchor — the head
position and hash at export time, sealed with an HMAC under the audit key — kept outside the
database (a ticket, a WORM bucket, a printout) catches both: the chain must still hold an
entry at that position with exactly that hash.

Anchor file (JSON)::

    {"position": 1234, "hash": "<64 hex>", "exported_at": "2026-03-01T09:00:00+00:00",
     "mac": "<64 hex: HMAC-SHA256(audit key, 'anchor|position|hash|exported_at')>"}

The anchor holds no secret and no entry content; nothing here writes to the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from security.audit import AuditLog, ChainProblem
from store.models import AuditEntry


class AnchorFileError(ValueError):
    """The anchor file is not the JSON object ``export`` writes."""


@dataclass(frozen=True)
class Anchor:
    position: int
    hash: str
    exported_at: datetime
    mac: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "position": self.position,
                "hash": self.hash,
                "exported_at": self.exported_at.isoformat(),
                "mac": self.mac,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        try:
            data: Any = json.loads(text)
            anchor = cls(
                position=int(data["position"]),
                hash=str(data["hash"]),
                exported_at=datetime.fromisoformat(str(data["exported_at"])),
                mac=str(data["mac"]),
            )
        except (ValueError, TypeError, KeyError) as error:
            raise AnchorFileError(f"not an audit anchor: {error}") from None
        return anchor


def anchor_mac(key: bytes, position: int, digest: str, exported_at: datetime) -> str:
    message = f"anchor|{position}|{digest}|{exported_at.isoformat()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def export_anchor(audit: AuditLog, now: datetime | None = None) -> Anchor:
    """The chain's current head, sealed under the audit key."""
    position, digest = await audit.head()
    exported_at = (now or datetime.now(UTC)).astimezone(UTC)
    key = await audit.audit_key()
    return Anchor(position, digest, exported_at, anchor_mac(key, position, digest, exported_at))


async def check_anchor(audit: AuditLog, anchor: Anchor) -> list[ChainProblem]:
    """Why the chain no longer holds ``anchor``'s head; empty when it still does."""
    key = await audit.audit_key()
    expected = anchor_mac(key, anchor.position, anchor.hash, anchor.exported_at)
    if not hmac.compare_digest(expected, anchor.mac):
        return [
            ChainProblem(
                anchor.position,
                "the anchor's HMAC does not verify: it was edited, or exported under another "
                "audit key",
            )
        ]
    if anchor.position == 0:
        return []
    async with audit.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.id == anchor.position))
    head, _ = await audit.head()
    if entry is None:
        return [
            ChainProblem(
                anchor.position,
                f"entry {anchor.position}, the anchored head, is missing "
                f"(the chain now ends at {head}: its tail was cut)",
            )
        ]
    if entry.entry_hash != anchor.hash:
        return [
            ChainProblem(
                anchor.position,
                f"entry {anchor.position} no longer has the anchored hash "
                "(the history up to it was rewritten)",
            )
        ]
    return []
