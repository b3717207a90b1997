"""API keys for services: a name, a public prefix and the SHA-256 of the secret, never the
secret itself (see ``security.api_keys`` for why a fast hash is right for 256-bit secrets).

``grants`` is a JSON list of ``Permission`` values; ``partner_id`` and ``region_ids`` (a JSON
list of region ids) scope the key like a dealer or a region manager; neither means the whole
channel. A revoked key keeps its row (and its audit trail) with ``revoked_at`` set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.types import UTCDateTime


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    grants: Mapped[str] = mapped_column(Text, default="[]")
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    region_ids: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
