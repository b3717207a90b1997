"""The connector layer's exceptions, classified so jobs know whether to retry.

    ConnectorError                 every failure talking to or configuring a connector
    ├── ConfigError                the configuration is wrong (bad URL, unknown stream, a WSDL
    │                              that does not parse, wrong credentials): fix it, do not retry
    ├── RetriableError             try again later (timeouts, connection errors, 429, 5xx)
    │   └── RateLimitedError       the remote asked us to slow down; ``retry_after`` seconds
    ├── PermanentError             the remote refused this request for good (4xx, SOAP client
    │                              fault, a response that is not what the config expects)
    └── MappingError               one record could not be mapped or validated: quarantine it
                                   with ``reason`` and go on with the rest of the page

Every message is scrubbed of the connector's secrets before the exception is built
(``scrub``); an error names the connector, the stream or operation, and what failed.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConnectorError(Exception):
    """Base of every connector failure; ``kind`` is the classification jobs act on."""

    kind = "system_error"

    def __init__(self, message: str, *, connector: str | None = None) -> None:
        super().__init__(message)
        self.connector = connector


class ConfigError(ConnectorError):
    kind = "config_error"


class RetriableError(ConnectorError):
    kind = "transient_error"


class RateLimitedError(RetriableError):
    def __init__(
        self, message: str, *, retry_after: float | None = None, connector: str | None = None
    ) -> None:
        super().__init__(message, connector=connector)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    kind = "permanent_error"


class MappingError(ConnectorError):
    """A record that cannot be mapped; ``path`` names the field that failed."""

    kind = "record_error"

    def __init__(self, reason: str, *, path: str | None = None) -> None:
        super().__init__(reason if path is None else f"{path}: {reason}")
        self.reason = reason
        self.path = path


MASK = "***"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-trivial secret (and its common encodings) replaced by ***."""
    import base64
    from urllib.parse import quote, quote_plus

    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        forms = {secret, quote(secret, safe=""), quote_plus(secret)}
        forms.add(base64.b64encode(secret.encode()).decode())
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, MASK)
    return text
