"""Declarative configuration of a SOAP connector: WSDL, service/port, authenticator, streams
(read operations with paginators) and write operations.

Only validation lives here: no zeep import, no I/O. Argument templates are plain JSON-like
values; a string that is exactly ``"{name}"`` is replaced by the value (keeping its type), a
string with placeholders inside is formatted (see ``connectors.soap.templates``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.live_config import SoapLive, duplicate_live_fields, template_mentions
from connectors.mapping_config import EntityMapping
from connectors.outbound import Trigger
from connectors.soap import templates


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoAuth(_Strict):
    """No authentication."""

    type: Literal["none"] = Field(default="none", description="No credentials are sent.")


class BasicAuth(_Strict):
    """HTTP basic authentication on every request (WSDL downloads and calls)."""

    type: Literal["basic"] = Field(description="HTTP basic authentication.")
    username: str = Field(description="User name.")
    password: SecretStr = Field(description="Password; never logged or put in an error.")


class WsseUsernameToken(_Strict):
    """WS-Security UsernameToken in the SOAP header (password text or digest)."""

    type: Literal["wsse_username_token"] = Field(description="WS-Security UsernameToken.")
    username: str = Field(description="User name.")
    password: SecretStr = Field(description="Password; never logged or put in an error.")
    digest: bool = Field(
        default=False, description="Send PasswordDigest (nonce + created) instead of the text."
    )


Authenticator = Annotated[NoAuth | BasicAuth | WsseUsernameToken, Field(discriminator="type")]


class SoapTimeouts(_Strict):
    """Timeouts in seconds."""

    load: float = Field(default=30.0, gt=0, description="Downloading the WSDL and its XSDs.")
    operation: float = Field(default=30.0, gt=0, description="One SOAP call.")


class SoapConnection(_Strict):
    """Where the service is described and reached, and how we authenticate."""

    wsdl: str = Field(description="WSDL location: an http(s) URL or a local file path.")
    service: str | None = Field(
        default=None, description="Service name in the WSDL; default: the first one."
    )
    port: str | None = Field(
        default=None, description="Port name in the service; default: the first one."
    )
    address: str | None = Field(
        default=None,
        description="Endpoint URL replacing the WSDL's soap:address when the client is built"
        " (the WSDL itself is never edited).",
    )
    authenticator: Authenticator = Field(
        default_factory=NoAuth, description="none, basic or wsse_username_token."
    )
    timeouts: SoapTimeouts = Field(default_factory=SoapTimeouts, description="Timeouts.")


class NoPaginator(_Strict):
    """One call returns the whole stream."""

    type: Literal["none"] = Field(default="none", description="No paging.")


class BookmarkPaginator(_Strict):
    """The next call's argument is a field of the last record (NAV ``ReadMultiple``)."""

    type: Literal["bookmark"] = Field(description="Bookmark paging.")
    bookmark_arg: str = Field(
        default="bookmarkKey", description="Placeholder/argument name filled with the bookmark."
    )
    record_field: str = Field(default="Key", description="Field of the last record to use.")
    size_arg: str = Field(default="setSize", description="Argument carrying the page size.")
    page_size: int = Field(default=100, gt=0, description="Records asked per call.")


class PageNumberPaginator(_Strict):
    """Pages numbered from ``start``; a short or empty page ends the read."""

    type: Literal["page_number"] = Field(description="Page number paging.")
    page_arg: str = Field(default="page", description="Argument carrying the page number.")
    start: int = Field(default=1, description="Number of the first page.")
    size_arg: str = Field(default="size", description="Argument carrying the page size.")
    page_size: int = Field(default=100, gt=0, description="Records asked per call.")


class NetSuiteSearchPaginator(_Strict):
    """NetSuite: the stream's operation (``search``) first, then ``searchMoreWithId``."""

    type: Literal["netsuite_search"] = Field(description="search → searchMoreWithId.")
    more_operation: str = Field(
        default="searchMoreWithId", description="Operation fetching the following pages."
    )
    result_path: str = Field(
        default="", description="Dotted path from the response to the searchResult object."
    )
    search_id_field: str = Field(default="searchId", description="Search id in the result.")
    page_index_field: str = Field(default="pageIndex", description="Page index in the result.")
    total_pages_field: str = Field(default="totalPages", description="Page count in the result.")


Paginator = Annotated[
    NoPaginator | BookmarkPaginator | PageNumberPaginator | NetSuiteSearchPaginator,
    Field(discriminator="type"),
]


class SoapIncremental(_Strict):
    """Incremental reads: the largest ``cursor_field`` seen goes into the arguments as
    ``{cursor}`` (e.g. a NAV filter ``Criteria: ">={cursor}"``) on the next read."""

    cursor_field: str = Field(
        description="Dotted path to the record field that orders changes, e.g. Last_Modified."
    )
    lookback_seconds: float = Field(
        default=0.0, ge=0, description="Re-read this much before the saved cursor each run."
    )
    format: str | None = Field(
        default=None,
        description="strftime format of date-time cursors in the arguments (default ISO 8601).",
    )
    start: str = Field(
        default="1970-01-01T00:00:00+00:00",
        description="The `{cursor}` of the very first read, before any cursor is saved.",
    )


class SoapStream(_Strict):
    """A read operation whose records feed one hub entity."""

    name: str = Field(description="Stream name, unique in the connector.")
    operation: str = Field(description="WSDL operation to call, e.g. ReadMultiple.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Argument template; '{bookmark}' and '{page}' are filled by the paginator, "
            "'{cursor}' by incremental reads."
        ),
    )
    record_path: str = Field(
        default="", description="Dotted path to the records in the result; empty: the result."
    )
    paginator: Paginator = Field(default_factory=NoPaginator, description="How to page.")
    incremental: SoapIncremental | None = Field(
        default=None,
        description="Read only records changed since the last read ('{cursor}' in args).",
    )
    mapping: EntityMapping | None = Field(default=None, description="Remote record → entity.")
    schedule: str | None = Field(default=None, description="Cron expression for syncs.")
    live: SoapLive = Field(
        default=None,
        description="Expose this stream as a field on a hub type, read at query time (live).",
    )

    @model_validator(mode="after")
    def _live_keys(self) -> SoapStream:
        if self.live is not None and not (
            template_mentions(self.args, "keys") or template_mentions(self.args, "key")
        ):
            raise ValueError("live: the stream's args must hold {keys} or {key}")
        return self


class SoapLookup(_Strict):
    """A read operation that finds the record a write with our idempotency key created."""

    operation: str = Field(description="WSDL operation to call, e.g. ReadByExternalNo.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument template; '{idempotency_key}' and the record's fields are filled.",
    )
    reference_path: str = Field(
        description="Dotted path to the remote reference in the result; absent or empty means "
        "no such record (then the write is sent)."
    )
    not_found_faults: list[str] = Field(
        default_factory=list,
        description="Texts of SOAP faults that mean 'no such record' (case-insensitive "
        "substrings), for services that fault instead of answering empty.",
    )

    _args = field_validator("args")(templates.check)


class SoapOperation(_Strict):
    """A write operation (create/update) for write-back."""

    name: str = Field(description="Operation name, unique in the connector.")
    operation: str = Field(description="WSDL operation to call, e.g. Create.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument template filled from the record's fields; a dict "
        "{'_each': '{lines}', '_item': {...}} fills '_item' once per element of the list.",
    )
    reference_path: str = Field(
        default="", description="Dotted path to the remote reference in the result."
    )
    trigger: Trigger | None = Field(
        default=None,
        description="Hub event that sends records through this operation via the outbox, e.g. "
        "'order.approved'. None: the operation is only called explicitly.",
    )
    lookup: SoapLookup | None = Field(
        default=None,
        description="How to find a record an earlier attempt created, by our idempotency key, "
        "before re-sending it (for services without idempotent writes).",
    )

    _args = field_validator("args")(templates.check)


class SoapConnectorConfig(_Strict):
    """A whole SOAP connector."""

    name: str = Field(description="Connector name, unique in the hub.")
    kind: Literal["soap"] = Field(description="Connector kind.")
    connection: SoapConnection = Field(description="WSDL, endpoint and credentials.")
    streams: list[SoapStream] = Field(default_factory=list, description="Read operations.")
    operations: list[SoapOperation] = Field(default_factory=list, description="Write operations.")

    @model_validator(mode="after")
    def _unique_live_fields(self) -> SoapConnectorConfig:
        live = duplicate_live_fields(self.streams)
        if live:
            raise ValueError(f"live fields declared by more than one stream: {', '.join(live)}")
        return self

    def secrets(self) -> list[str]:
        """Every secret of this connector, for scrubbing messages."""
        auth = self.connection.authenticator
        if isinstance(auth, BasicAuth | WsseUsernameToken):
            return [auth.password.get_secret_value()]
        return []
