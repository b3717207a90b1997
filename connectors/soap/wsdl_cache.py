"""Parse each WSDL once per process, and keep a pickled copy on disk for the next process.

``load_document`` is synchronous and slow on a cold cache (NetSuite 2017.1: about a second):
call it from async code through ``asyncio.to_thread``. The in-process cache is keyed by the
WSDL location and, for files, their mtime. The disk cache (``cache_dir``) is keyed by
sha256(location, WSDL bytes, zeep version); zeep's parsed ``Document`` is not picklable as is,
so ``_DocumentPickler`` rebuilds zeep's dynamically created classes by name and leaves the
transport and settings out (the loader's own are put back). Imported XSDs are not part of the
key: clear ``cache_dir`` when only an XSD changes. A disk entry that fails to load is ignored
and replaced. This module raises zeep/lxml/requests errors as they are; the connector
classifies them.
"""

from __future__ import annotations

import copyreg
import gc
import hashlib
import io
import os
import pickle
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import zeep
from lxml import etree  # type: ignore[import-untyped]
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.xsd.valueobjects import ArrayValue

_DYNAMIC = "zeep.xsd.dynamic_types"
_OBJECTS = "zeep.objects"
_VIEWS = frozenset(
    {"odict_values", "odict_keys", "odict_items", "dict_values", "dict_keys", "dict_items"}
)

stats: Counter[str] = Counter()
"""How documents were obtained in this process: ``parsed``, ``memory``, ``disk``."""

_documents: dict[tuple[str, float | None], Document] = {}
_lock = threading.Lock()


def load_document(
    location: str,
    transport: Transport,
    settings: zeep.Settings,
    *,
    cache_dir: Path | None = None,
) -> Document:
    """The parsed WSDL at ``location`` (URL or path), from memory, disk, or a fresh parse."""
    key = (location, _mtime(location))
    with _lock:
        document = _documents.get(key)
        if document is not None:
            stats["memory"] += 1
            return document
        document = _load_uncached(location, transport, settings, cache_dir)
        _documents[key] = document
        return document


def clear_memory_cache() -> None:
    """Forget the parsed documents of this process (tests and benchmarks)."""
    with _lock:
        _documents.clear()


def _load_uncached(
    location: str, transport: Transport, settings: zeep.Settings, cache_dir: Path | None
) -> Document:
    if cache_dir is None:
        stats["parsed"] += 1
        return Document(location, transport, settings=settings)  # type: ignore[arg-type]
    content: bytes = transport.load(location)  # type: ignore[no-untyped-call]
    digest = hashlib.sha256(
        b"\0".join([location.encode(), content, zeep.__version__.encode()])
    ).hexdigest()
    path = cache_dir / f"wsdl-{digest}.pickle"
    if path.exists():
        try:
            document = _unpickle(path.read_bytes(), transport, settings)
        except Exception:  # a stale or corrupt entry is re-parsed
            path.unlink(missing_ok=True)
        else:
            stats["disk"] += 1
            return document
    stats["parsed"] += 1
    document = Document(location, transport, settings=settings)  # type: ignore[arg-type]
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(_pickle(document))
    temporary.replace(path)
    return document


def _mtime(location: str) -> float | None:
    if "://" in location and not location.startswith("file://"):
        return None
    try:
        return Path(location.removeprefix("file://")).stat().st_mtime
    except OSError:
        return None


class _DocumentPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, document: Document) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._transport = document.transport
        self._settings = document.settings

    def persistent_id(self, obj: Any) -> str | None:
        if obj is self._transport:
            return "transport"
        if obj is self._settings:
            return "settings"
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type):
            return _reduce_class(obj)
        if type(obj) is etree.QName:
            return (etree.QName, (obj.text,))
        if type(obj).__name__ in _VIEWS:
            return (list, (list(obj),))
        state = getattr(obj, "__dict__", None)
        if state is not None and (
            type(obj).__module__ == _DYNAMIC or any(_is_value_class(v) for v in state.values())
        ):
            kept = {k: v for k, v in state.items() if not _is_value_class(v)}
            return (copyreg.__newobj__, (type(obj),), kept)  # type: ignore[attr-defined]
        return NotImplemented


def _reduce_class(cls: type) -> Any:
    if cls.__module__ == _DYNAMIC:
        attrs = {k: v for k, v in vars(cls).items() if k in ("__module__", "_xsd_name")}
        return (type, (cls.__name__, cls.__bases__, attrs))
    if cls.__module__ == _OBJECTS:
        attr = "_array_class" if issubclass(cls, ArrayValue) else "_value_class"
        return (getattr, (cls._xsd_type, attr))  # type: ignore[attr-defined]
    return NotImplemented


def _is_value_class(value: Any) -> bool:
    """zeep's cached value classes (``zeep.objects``): rebuilt lazily after loading."""
    return isinstance(value, type) and value.__module__ == _OBJECTS


class _DocumentUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, transport: Transport, settings: zeep.Settings) -> None:
        super().__init__(io.BytesIO(data))
        self._objects = {"transport": transport, "settings": settings}

    def persistent_load(self, pid: Any) -> Any:
        return self._objects[pid]


def _pickle(document: Document) -> bytes:
    buffer = io.BytesIO()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        _DocumentPickler(buffer, document).dump(document)
    finally:
        sys.setrecursionlimit(limit)
    return buffer.getvalue()


def _unpickle(data: bytes, transport: Transport, settings: zeep.Settings) -> Document:
    enabled = gc.isenabled()
    gc.disable()  # millions of small objects: the collector would triple the load time
    try:
        document = _DocumentUnpickler(data, transport, settings).load()
    finally:
        if enabled:
            gc.enable()
    if not isinstance(document, Document):
        raise TypeError("cached entry is not a zeep Document")
    return document
