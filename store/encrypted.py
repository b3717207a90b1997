"""The registry of encrypted columns: every sensitive field, in one place.

Writes (mutations, demo seed), reads (masks, reveal), lookups (blind indexes), re-encryption,
shredding and ``channelhub keys status`` all iterate over these, so adding a sensitive field
means adding it here and to its model and migration.

Partner fields are personal: each partner's values are sealed under a data key of its own
(``partner:<id>``), so destroying that key shreds that partner alone. Reveal needs
``reveal:financial`` for tax id and bank account, ``reveal:contact`` for phone and e-mail.

Connector secrets (``connectors.secrets``: one sealed JSON object of a connector's secrets)
are sealed under a data key per connector (``connector:<id>``), so rotation, re-encryption
and ``keys status`` cover them like any other column. They have no reveal path in the graph:
they are opened only to build a connector (``store.repositories.connectors``).

Quarantined payloads (``quarantined_records.payload``: the raw record an ERP sent) share one
data key, purpose ``quarantine`` (a key per rejected record would cost a key wrap each); they
are listed here so rotation, re-encryption and ``keys status`` cover them too. They are
opened only by ``store.repositories.quarantine`` (a retry after a mapping fix), never shown.
"""

from __future__ import annotations

from security.blind_index import alnum_casefold, strip_casefold
from security.fields import EncryptedColumn
from security.masking import MaskKind
from security.viewer import Permission

__all__ = [
    "BANK_ACCOUNT",
    "CONNECTOR_SECRETS",
    "CONTACT_EMAIL",
    "CONTACT_PHONE",
    "ENCRYPTED_COLUMNS",
    "PARTNER_FIELDS",
    "QUARANTINE_PAYLOAD",
    "TAX_ID",
    "by_graph_name",
]

PARTNER_KEY_SCOPE = "partner"
CONNECTOR_KEY_SCOPE = "connector"

TAX_ID = EncryptedColumn(
    "partners",
    "tax_id",
    "taxId",
    MaskKind.LAST4,
    Permission.REVEAL_FINANCIAL,
    PARTNER_KEY_SCOPE,
    normalizer=alnum_casefold,
)
BANK_ACCOUNT = EncryptedColumn(
    "partners",
    "bank_account",
    "bankAccount",
    MaskKind.LAST4,
    Permission.REVEAL_FINANCIAL,
    PARTNER_KEY_SCOPE,
)
CONTACT_PHONE = EncryptedColumn(
    "partners",
    "contact_phone",
    "contactPhone",
    MaskKind.PHONE,
    Permission.REVEAL_CONTACT,
    PARTNER_KEY_SCOPE,
)
CONTACT_EMAIL = EncryptedColumn(
    "partners",
    "contact_email",
    "contactEmail",
    MaskKind.EMAIL,
    Permission.REVEAL_CONTACT,
    PARTNER_KEY_SCOPE,
    normalizer=strip_casefold,
)

PARTNER_FIELDS: tuple[EncryptedColumn, ...] = (TAX_ID, BANK_ACCOUNT, CONTACT_PHONE, CONTACT_EMAIL)
CONNECTOR_SECRETS = EncryptedColumn(
    "connectors",
    "secrets",
    "connectorSecrets",
    MaskKind.FULL,
    Permission.CONNECTORS_MANAGE,
    CONNECTOR_KEY_SCOPE,
)

QUARANTINE_PAYLOAD = EncryptedColumn(
    "quarantined_records",
    "payload",
    "quarantinedPayload",
    MaskKind.FULL,
    Permission.CONNECTORS_MANAGE,
    "quarantine",
    shared_key=True,
)

ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    *PARTNER_FIELDS,
    CONNECTOR_SECRETS,
    QUARANTINE_PAYLOAD,
)


def by_graph_name(name: str) -> EncryptedColumn:
    for column in ENCRYPTED_COLUMNS:
        if column.graph_name == name:
            return column
    raise KeyError(name)
