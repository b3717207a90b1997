"""A stream's target in the hub, checked before anything is read: its mapping, its sink,
and the keys its pages will need (loaded now, outside any write transaction).

``StreamNotSyncable`` (an ``UnknownStream``) is a stream without a mapping; a mapping that
does not fit its entity is a ``ConfigError``. Both are config errors:
fix the connector config; retrying cannot help.
"""

from __future__ import annotations

from connectors.mapping_config import EntityMapping
from jobs.connector_configs import StoredConfig
from jobs.errors import JobError, UnknownStream
from jobs.sync.fields import check_mapping
from jobs.sync.links import DIGEST_SECRET, digest_key
from jobs.sync.pages import StreamTarget
from jobs.sync.resources import SyncResources
from jobs.sync.sinks import sink_for
from jobs.sync.sinks.partner import SCOPE_FIELDS, SECRET_FIELDS

__all__ = ["StreamNotSyncable", "stream_mapping", "stream_target"]


class StreamNotSyncable(UnknownStream):
    """The stream exists but has no ``mapping``: there is nothing to store its records as."""

    def __init__(self, connector: str, stream: str) -> None:
        JobError.__init__(
            self,
            f"stream {stream!r} of connector {connector!r} has no mapping: "
            "add a `mapping` to the stream to sync it into the hub",
        )
        self.connector = connector
        self.stream = stream


def stream_mapping(config: StoredConfig, connector: str, stream: str | None) -> EntityMapping:
    """The stream's mapping; ``UnknownStream`` when the config declares no such stream."""
    found = next((s for s in config.streams if s.name == stream), None)
    if stream is None or found is None:
        raise UnknownStream(connector, stream or "")
    if found.mapping is None:
        raise StreamNotSyncable(connector, stream)
    return found.mapping


async def stream_target(
    resources: SyncResources, connector: str, config: StoredConfig, stream: str | None
) -> StreamTarget:
    """The checked target of ``stream``, with the keys it needs already loaded."""
    mapping = stream_mapping(config, connector, stream)
    label = f"connector {connector!r} stream {stream!r}"
    sink = sink_for(mapping.entity, label=label)
    check_mapping(mapping, sink.fields, sink.line_fields, label=label)
    mapped = set(mapping.fields)
    if mapped & SECRET_FIELDS.keys():
        await resources.crypto.prepare()
    audit = None
    if mapping.entity == "partner" and mapped & set(SCOPE_FIELDS):
        audit = resources.audit
        await audit.audit_key()
    key = digest_key(await resources.keys.named_secret(DIGEST_SECRET))
    return StreamTarget(connector, str(stream), mapping, sink, key, resources.crypto, audit)
