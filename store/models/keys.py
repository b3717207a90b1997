"""Data keys (DEKs) as stored: wrapped by a KEK, never in plaintext; and job checkpoints.

``purpose`` names what a key protects: ``partner:42`` (one partner's fields, so it can be
shredded alone), ``default``, or a named secret (``blind-index``, ``audit``). At most one key
per purpose is ACTIVE: a partial unique index enforces it, so concurrent first uses of a
purpose create one key, not two. A DESTROYED key keeps its row (ciphertexts still name its
id) with its wrapped bytes erased. The KEK itself never enters the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from security.keys import KeyState
from store.base import Base
from store.types import UTCDateTime

_ONLY_ACTIVE = text("state = 'active'")


class DataKeyRow(Base):
    __tablename__ = "data_keys"
    __table_args__ = (
        Index(
            "uq_data_keys_active_purpose",
            "purpose",
            unique=True,
            sqlite_where=_ONLY_ACTIVE,
            postgresql_where=_ONLY_ACTIVE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[KeyState] = mapped_column(
        Enum(
            KeyState,
            native_enum=False,
            length=16,
            values_callable=lambda states: [s.value for s in states],
        )
    )
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KeyJobCheckpoint(Base):
    """Where an interrupted key job (re-encryption of one table) resumes: the last row id done."""

    __tablename__ = "key_job_checkpoints"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
