"""Classify zeep, requests and lxml failures into ``connectors.errors``, and keep secrets out.

    SOAP fault, code Client/Sender           → PermanentError
    SOAP fault, code Server/Receiver, other  → RetriableError
    fault or HTTP 401/403 about credentials  → ConfigError
    HTTP 429 → RateLimitedError, 5xx → RetriableError, other HTTP errors → PermanentError
    connection errors and timeouts           → RetriableError
    a WSDL that cannot be read or parsed     → ConfigError

Every message is scrubbed; ``RedactingPlugin`` logs envelopes only after scrubbing them (it
never changes what is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import requests
import zeep.exceptions
from lxml import etree  # type: ignore[import-untyped]
from zeep import Plugin

from connectors.errors import (
    ConfigError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    RetriableError,
    scrub,
)

logger = logging.getLogger("connectors.soap.envelopes")

_AUTH_WORDS = ("authenticat", "unauthori", "credential", "password", "login", "access denied")


def classify_call(
    exc: BaseException, *, connector: str, what: str, secrets: Sequence[str]
) -> ConnectorError:
    """The connector error for ``exc`` raised while calling ``what``."""
    if isinstance(exc, ConnectorError):
        return exc

    def say(text: str) -> str:
        return scrub(f"{connector}: {what}: {text}", secrets)

    if isinstance(exc, zeep.exceptions.Fault):
        code = str(exc.code or "").rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()
        text = f"SOAP fault {exc.code}: {exc.message}"
        if any(word in str(exc.message).lower() for word in _AUTH_WORDS):
            return ConfigError(say(text), connector=connector)
        if code in ("client", "sender"):
            return PermanentError(say(text), connector=connector)
        return RetriableError(say(text), connector=connector)
    if isinstance(exc, zeep.exceptions.TransportError):
        status = exc.status_code
        text = f"HTTP {status}"
        if status in (401, 403):
            return ConfigError(say(f"{text}: credentials refused"), connector=connector)
        if status == 429:
            return RateLimitedError(say(text), connector=connector)
        if status >= 500:
            return RetriableError(say(text), connector=connector)
        return PermanentError(say(text), connector=connector)
    if isinstance(exc, requests.Timeout | requests.ConnectionError | OSError):
        return RetriableError(say(f"{type(exc).__name__}: {exc}"), connector=connector)
    if isinstance(exc, TypeError | zeep.exceptions.LookupError | AttributeError):
        return ConfigError(say(f"arguments do not fit the WSDL: {exc}"), connector=connector)
    return PermanentError(say(f"{type(exc).__name__}: {exc}"), connector=connector)


def classify_load(
    exc: BaseException, *, connector: str, wsdl: str, secrets: Sequence[str]
) -> ConnectorError:
    """The connector error for ``exc`` raised while loading the WSDL."""
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return classify_call(exc, connector=connector, what=f"WSDL {wsdl}", secrets=secrets)
    if isinstance(exc, zeep.exceptions.TransportError) and exc.status_code >= 500:
        return classify_call(exc, connector=connector, what=f"WSDL {wsdl}", secrets=secrets)
    text = f"{connector}: WSDL {wsdl} cannot be loaded: {type(exc).__name__}: {exc}"
    return ConfigError(scrub(text, secrets), connector=connector)


class RedactingPlugin(Plugin):
    """Logs each envelope at DEBUG with the connector's secrets replaced by ***."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._secrets = list(secrets)

    def redact(self, envelope: Any) -> str:
        return scrub(etree.tostring(envelope, encoding="unicode"), self._secrets)

    def egress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any, binding_options: Any
    ) -> tuple[Any, dict[str, str]]:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("SOAP request %s: %s", operation.name, self.redact(envelope))
        return envelope, http_headers

    def ingress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any
    ) -> tuple[Any, dict[str, str]]:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("SOAP response %s: %s", operation.name, self.redact(envelope))
        return envelope, http_headers
