"""Connector configurations stored in the database (``channelhub connectors apply``).

``config_json`` is the validated config with every secret replaced by ``SECRET_PLACEHOLDER``;
the secrets themselves are one JSON object ``{json pointer: value}`` sealed into
``secrets_ct`` (``store.encrypted.CONNECTOR_SECRETS``: AAD bound to (connectors, secrets, row
id), under the data key ``connector:<id>``). ``config_hash`` is an HMAC of the canonical full
config, secrets included, under the named secret ``connector-hash``: ``apply`` tells an
unchanged config without decrypting, and equal secrets in two rows do not show as equal
plain hashes. ``store.repositories.connectors`` writes and reads these rows.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from security.fields import EncryptedAttribute
from store.base import Base, Timestamped
from store.encrypted import CONNECTOR_SECRETS


class ConnectorRow(Timestamped, Base):
    """One named connector: its kind, its config without secrets and its sealed secrets."""

    __tablename__ = "connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    config_json: Mapped[str] = mapped_column(Text)
    secrets_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    secrets_mask: Mapped[str | None] = mapped_column(String(64))
    config_hash: Mapped[str] = mapped_column(String(64))

    secrets = EncryptedAttribute(CONNECTOR_SECRETS)
