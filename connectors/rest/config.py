"""Declarative configuration of a ``rest`` connector, in Airbyte's vocabulary.

A connection (base URL, authenticator, timeouts, rate limit, retries), streams to read
(requester, record selector, paginator, incremental sync, mapping) and operations to write.
Every model forbids unknown keys, so a typo fails validation with the path that holds it;
secrets are ``SecretStr`` and never printed. Validation only: no I/O happens here.
"""

from __future__ import annotations

from typing import Annotated, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from connectors.live_config import RestLive, duplicate_live_fields
from connectors.mapping_config import EntityMapping
from connectors.outbound import Trigger

Scalar = str | int | float | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _jmespath(expression: str) -> str:
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        raise ValueError(f"not a valid JMESPath expression: {expression!r} ({exc})") from None
    return expression


JmesPath = Annotated[str, Field(min_length=1), AfterValidator(_jmespath)]


# --- authenticators -----------------------------------------------------------------------


class NoAuthenticator(Strict):
    type: Literal["none"] = Field(description="Send requests without credentials.")


class BasicAuthenticator(Strict):
    type: Literal["basic"] = Field(description="HTTP Basic authentication.")
    username: str = Field(description="User name sent in the Authorization header.")
    password: SecretStr = Field(description="Password (secret).")


class BearerAuthenticator(Strict):
    type: Literal["bearer"] = Field(description="A static bearer token.")
    token: SecretStr = Field(description="Token sent as 'Authorization: Bearer <token>' (secret).")


class ApiKeyAuthenticator(Strict):
    type: Literal["api_key"] = Field(description="An API key in a header or the query string.")
    in_: Literal["header", "query"] = Field(
        alias="in", description="Where the key goes: a request header or a query parameter."
    )
    name: str = Field(min_length=1, description="Header or query parameter name, e.g. X-Api-Key.")
    key: SecretStr = Field(description="The API key (secret).")
    prefix: str = Field(default="", description="Text before the key, e.g. 'Token '.")


class OAuth2ClientCredentials(Strict):
    type: Literal["oauth2_client_credentials"] = Field(
        description="OAuth2 client-credentials grant; the access token is cached until expiry."
    )
    token_url: str = Field(description="Token endpoint (absolute URL).")
    client_id: str = Field(description="OAuth2 client id.")
    client_secret: SecretStr = Field(description="OAuth2 client secret (secret).")
    scope: str | None = Field(default=None, description="Space-separated scopes to request.")
    client_auth: Literal["basic", "body"] = Field(
        default="basic",
        description="Send client id and secret as HTTP Basic ('basic') or in the form ('body').",
    )
    expiry_margin_seconds: float = Field(
        default=30.0, ge=0, description="Refresh the token this many seconds before it expires."
    )


Authenticator = Annotated[
    NoAuthenticator
    | BasicAuthenticator
    | BearerAuthenticator
    | ApiKeyAuthenticator
    | OAuth2ClientCredentials,
    Field(discriminator="type"),
]


# --- connection ---------------------------------------------------------------------------


class Timeouts(Strict):
    connect: float = Field(default=5.0, gt=0, description="Seconds to establish a connection.")
    read: float = Field(default=30.0, gt=0, description="Seconds to wait for response data.")


class RateLimit(Strict):
    requests_per_second: float = Field(
        default=10.0, gt=0, description="Sustained requests per second for this connector."
    )
    burst: int = Field(default=10, ge=1, description="Requests allowed at once before waiting.")


class Retries(Strict):
    max_attempts: int = Field(
        default=5, ge=1, description="Attempts per request, the first included."
    )
    max_elapsed_seconds: float = Field(
        default=60.0, gt=0, description="Stop retrying once this much time has passed."
    )
    base_delay: float = Field(
        default=0.5, gt=0, description="First backoff delay in seconds; doubles per attempt."
    )
    max_delay: float = Field(
        default=30.0, gt=0, description="Largest backoff delay in seconds (before jitter)."
    )


class RestConnection(Strict):
    base_url: str = Field(description="Root URL of the API; stream and operation paths join it.")
    authenticator: Authenticator = Field(
        default_factory=lambda: NoAuthenticator(type="none"),
        description="How requests are authenticated (discriminated on `type`).",
    )
    timeouts: Timeouts = Field(default_factory=Timeouts, description="Per-request timeouts.")
    rate_limit: RateLimit = Field(
        default_factory=RateLimit, description="Client-side rate limit (token bucket)."
    )
    retries: Retries = Field(
        default_factory=Retries, description="Backoff for 429, 5xx, timeouts, connection errors."
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value


# --- streams ------------------------------------------------------------------------------


class Requester(Strict):
    path: str = Field(description="Path under base_url (or an absolute URL).")
    method: Literal["GET", "POST"] = Field(default="GET", description="HTTP method.")
    params: dict[str, Scalar] = Field(
        default_factory=dict, description="Fixed query parameters sent with every page."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")


class NoPaginator(Strict):
    type: Literal["none"] = Field(description="One request, one page.")


class OffsetPaginator(Strict):
    type: Literal["offset"] = Field(description="Offset/limit query parameters.")
    limit_param: str = Field(default="limit", description="Query parameter for the page size.")
    offset_param: str = Field(default="offset", description="Query parameter for the offset.")
    page_size: int = Field(gt=0, description="Records per page; a shorter page is the last.")


class PageNumberPaginator(Strict):
    type: Literal["page_number"] = Field(description="Page number and page size parameters.")
    page_param: str = Field(default="page", description="Query parameter for the page number.")
    size_param: str | None = Field(
        default="page_size", description="Query parameter for the page size (None: not sent)."
    )
    page_size: int = Field(gt=0, description="Records per page; a shorter page is the last.")
    start: int = Field(default=1, ge=0, description="Number of the first page.")


class CursorPaginator(Strict):
    type: Literal["cursor"] = Field(description="A next-page cursor taken from the body.")
    cursor_path: JmesPath = Field(description="JMESPath to the next cursor in the response.")
    cursor_param: str = Field(description="Query parameter the cursor is sent in.")


class LinkHeaderPaginator(Strict):
    type: Literal["link_header"] = Field(description='Follow the `Link: <…>; rel="next"` header.')


Paginator = Annotated[
    NoPaginator | OffsetPaginator | PageNumberPaginator | CursorPaginator | LinkHeaderPaginator,
    Field(discriminator="type"),
]


class IncrementalSync(Strict):
    cursor_field: JmesPath = Field(
        description="JMESPath to the record field that orders changes, e.g. updated_at."
    )
    request_param: str = Field(description="Query parameter that sends the saved cursor.")
    lookback_seconds: float = Field(
        default=0.0, ge=0, description="Re-read this much before the saved cursor each run."
    )
    format: str | None = Field(
        default=None,
        description="strftime format for date-time cursors sent in the request (default ISO).",
    )


class RestStream(Strict):
    name: str = Field(min_length=1, description="Stream name used by sync jobs and the graph.")
    request: Requester = Field(description="Requester: what to call for each page.")
    record_selector: JmesPath = Field(
        default="@", description="JMESPath from the response body to the list of records."
    )
    paginator: Paginator = Field(
        default_factory=lambda: NoPaginator(type="none"),
        description="How to get the next page (discriminated on `type`).",
    )
    incremental: IncrementalSync | None = Field(
        default=None, description="Incremental sync: read only records changed since last run."
    )
    mapping: EntityMapping | None = Field(
        default=None, description="How records become hub entities (see connectors.mapper)."
    )
    schedule: str | None = Field(
        default=None, description="Cron expression for sync jobs (5 fields); None: manual only."
    )
    live: RestLive = Field(
        default=None,
        description="Expose this stream as a field on a hub type, read at query time (live).",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) not in (5, 6):
            raise ValueError("schedule must be a cron expression of 5 (or 6) fields")
        return value

    @model_validator(mode="after")
    def _live_keys(self) -> RestStream:
        live = self.live
        if live is not None and live.key_param is None and "{key}" not in self.request.path:
            raise ValueError("live: give key_param, or put {key} in request.path")
        return self


class RestLookup(Strict):
    """A GET that finds the record a write with our idempotency key created."""

    path: str = Field(
        description="Path under base_url; '{idempotency_key}' and '{field}' are filled from the "
        "record."
    )
    params: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Query parameters; '{idempotency_key}' and '{field}' in strings are filled.",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    reference_path: JmesPath = Field(
        description="JMESPath to the remote id in the response; null, an empty result or "
        "HTTP 404 means no such record (then the write is sent)."
    )


class RestOperation(Strict):
    name: str = Field(min_length=1, description="Operation name used by the outbox relay.")
    method: Literal["POST", "PUT", "PATCH", "DELETE"] = Field(
        default="POST", description="HTTP method."
    )
    path: str = Field(description="Path under base_url; '{field}' is filled from the record.")
    body: object | None = Field(
        default=None,
        description=(
            "JSON body template: a string '{field}' takes the record's value (type kept), other "
            "strings are formatted from the record. None: the record itself is the body."
        ),
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    idempotency_header: str = Field(
        default="Idempotency-Key", description="Header that carries the idempotency key."
    )
    reference_path: JmesPath = Field(
        default="id", description="JMESPath to the remote id in the response body."
    )
    trigger: Trigger | None = Field(
        default=None,
        description=(
            "Hub event that sends records through this operation via the outbox, e.g. "
            "'order.approved'. None: the operation is only called explicitly."
        ),
    )
    lookup: RestLookup | None = Field(
        default=None,
        description=(
            "How to find a record an earlier attempt created, by our idempotency key, before "
            "re-sending it. Needed only when the API ignores the idempotency header."
        ),
    )


class RestConnectorConfig(Strict):
    """A ``rest`` connector: one connection, its streams and its write operations."""

    name: str = Field(min_length=1, description="Connector name, unique in the registry.")
    kind: Literal["rest"] = Field(description="Connector kind.")
    connection: RestConnection = Field(description="Where and how to connect.")
    streams: list[RestStream] = Field(default_factory=list, description="Streams to read.")
    operations: list[RestOperation] = Field(
        default_factory=list, description="Operations that write records back."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> RestConnectorConfig:
        for label, names in (
            ("stream", [s.name for s in self.streams]),
            ("operation", [o.name for o in self.operations]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {label} names: {', '.join(duplicates)}")
        live = duplicate_live_fields(self.streams)
        if live:
            raise ValueError(f"live fields declared by more than one stream: {', '.join(live)}")
        return self

    def stream(self, name: str) -> RestStream | None:
        return next((s for s in self.streams if s.name == name), None)

    def operation(self, name: str) -> RestOperation | None:
        return next((o for o in self.operations if o.name == name), None)
