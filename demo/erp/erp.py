"""``DemoErp``: one running demo ERP — its dataset, credentials, tokens and outage switch.

The SOAP sales service and the REST finance service both serve one ``DemoErp``. Tests and
``channelhub demo`` drive it at runtime: ``touch(customer_code)`` marks a customer modified
now (an incremental sync picks it up), ``set_unavailable(True)`` makes every endpoint answer
503 until switched back, ``expire_tokens()`` expires every OAuth2 access token handed out.
``utcnow`` (the ERP's business clock: when a change or a new order happens) and ``clock``
(monotonic seconds, for token lifetimes) are injectable.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from demo.data import DEFAULT_SEED
from demo.erp.data import ErpScale, build_dataset
from demo.erp.dataset import ErpDataset
from demo.erp.records import Customer

TokenState = Literal["valid", "expired", "unknown"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _secret() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class DemoErp:
    """A demo ERP: build one with ``DemoErp.build(...)`` and serve it with ``erp_routes``."""

    dataset: ErpDataset
    soap_username: str = "channelhub"
    soap_password: str = field(default_factory=_secret, repr=False)
    client_id: str = "channelhub-demo"
    client_secret: str = field(default_factory=_secret, repr=False)
    token_ttl_seconds: int = 3600
    protect_wsdl: bool = False
    """Whether ``GET ?wsdl`` needs the basic credentials too (by default it is public)."""
    soap_auth: bool = True
    """Whether SOAP calls need HTTP basic auth at all."""
    utcnow: Callable[[], datetime] = _utcnow
    clock: Callable[[], float] = time.monotonic
    unavailable: bool = False
    _tokens: dict[str, float] = field(default_factory=dict, repr=False)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """Credit notes finance accepted (``POST /finance/credit-notes``), by idempotency key."""

    @classmethod
    def build(
        cls,
        scale: ErpScale | str = "small",
        *,
        now: datetime | None = None,
        seed: int = DEFAULT_SEED,
        **options: Any,
    ) -> DemoErp:
        """A demo ERP whose books line up with the hub's demo seed of the same seed/scale.

        Pass the seed's ``now`` (``SeedReport.now``) to match its regions and tiers exactly;
        codes and SKUs match for any ``now``. ``options`` are this class's other fields.
        """
        dataset = build_dataset(scale, now=now or _utcnow(), seed=seed)
        return cls(dataset, **options)

    # -- runtime switches ---------------------------------------------------------------------

    def set_unavailable(self, unavailable: bool) -> None:
        """While True, every SOAP and finance endpoint answers 503 (Retry-After: 5)."""
        self.unavailable = unavailable

    def touch(self, customer_code: str) -> Customer:
        """Mark a customer modified now: a new ``Key`` and ``Last_Modified``."""
        return self.dataset.touch_customer(customer_code, at=self.utcnow())

    # -- credentials --------------------------------------------------------------------------

    def soap_credentials_ok(self, username: str, password: str) -> bool:
        user_ok = hmac.compare_digest(username.encode(), self.soap_username.encode())
        password_ok = hmac.compare_digest(password.encode(), self.soap_password.encode())
        return user_ok and password_ok

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue_token(self) -> str:
        """A new bearer token valid for ``token_ttl_seconds``."""
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self.clock() + self.token_ttl_seconds
        return token

    def token_state(self, token: str) -> TokenState:
        expires_at = self._tokens.get(token)
        if expires_at is None:
            return "unknown"
        return "valid" if self.clock() < expires_at else "expired"

    def expire_tokens(self) -> None:
        """Expire every token handed out so far (the next call with one gets 401)."""
        expired = self.clock() - 1
        self._tokens = dict.fromkeys(self._tokens, expired)
