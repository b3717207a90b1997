"""The typed contract every connector kind implements: check, discover, read, write.

Reads are incremental and resumable: ``read`` takes the stream's saved state (an opaque JSON
object, e.g. a cursor value or a bookmark) and yields pages; each page carries the state to
save once its records are stored, so a crash resumes from the last stored page. A kind never
touches the store: it returns raw records; mapping and upserts happen in the sync job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class CheckResult:
    """Whether the remote is reachable and accepts the credentials; ``failed`` names which."""

    ok: bool
    failed: str | None = None
    message: str = ""


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class EndpointInfo:
    """A stream or operation the remote offers, with its record fields."""

    name: str
    kind: str  # "stream" or "operation"
    fields: tuple[FieldInfo, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Page:
    """Raw records of one page and the stream state to save after storing them."""

    records: list[JsonObject]
    state: JsonObject
    last: bool = False


@dataclass(frozen=True)
class WriteResult:
    """The remote's reference for a record written back (e.g. the ERP document number)."""

    reference: str
    raw: JsonObject = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    name: str

    async def check(self) -> CheckResult: ...

    async def discover(self) -> list[EndpointInfo]: ...

    def read(self, stream: str, state: Mapping[str, Any] | None = None) -> AsyncIterator[Page]: ...

    async def write(
        self, operation: str, record: Mapping[str, Any], *, idempotency_key: str
    ) -> WriteResult: ...

    async def aclose(self) -> None: ...
