"""Parse each WSDL once per process, and keep a pickled copy on disk for the next process.

``load_document`` is synchronous and slow on a cold cache (NetSuite 2017.1: about half a
second): call it from async code through ``asyncio.to_thread``. The in-process cache is keyed
by the WSDL location and, for files, their mtime.

The disk cache (``cache_dir``) holds one file per entry, named by sha256(format, zeep and
Python versions, location, WSDL bytes): a JSON header line listing the local files the
document was built from (every imported WSDL and XSD, with mtime and size), then the pickled
``Document``. An entry whose listed files changed is re-parsed and replaced, so editing an
imported XSD on disk invalidates it. Imports fetched over HTTP are not re-checked (that would
cost the requests the cache exists to avoid): when a remote XSD changes but the top WSDL does
not, clear ``cache_dir``. A disk entry that fails to load is ignored and replaced. Loading a
pickle runs code named in it: ``cache_dir`` must be writable by the service alone.

zeep's parsed ``Document`` is not picklable as is, and a plain pickle of it loads slowly, so
``_DocumentPickler`` writes it in a format made for loading fast:

- zeep's dynamically created classes are rebuilt by name; the transport and settings are left
  out (the loader's own are put back); zeep's value classes are dropped (rebuilt lazily);
- an ordinary object (its whole state in ``__dict__``, no pickling hooks, no ``__setattr__``)
  is stored as its class plus a tuple of attribute values, and set by a small function
  generated once per attribute layout (one call per object instead of a state dict per
  object);
- equal strings and equal ``QName`` objects among those values are stored once: zeep compares
  qualified names by equality, never by identity.

This module raises zeep/lxml/requests errors as they are; the connector classifies them.
"""

from __future__ import annotations

import copyreg
import gc
import hashlib
import io
import json
import keyword
import os
import pickle
import sys
import threading
import types
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import zeep
from lxml import etree  # type: ignore[import-untyped]
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.xsd.valueobjects import ArrayValue

_FORMAT = b"wsdl-cache-2"
_RUNTIME = f"zeep {zeep.__version__} python {sys.version_info[0]}.{sys.version_info[1]}".encode()
_DYNAMIC = "zeep.xsd.dynamic_types"
_OBJECTS = "zeep.objects"
_VIEWS = frozenset(
    {"odict_values", "odict_keys", "odict_items", "dict_values", "dict_keys", "dict_items"}
)
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python
_QName = etree.QName
_UNSEEN: Any = object()

stats: Counter[str] = Counter()
"""How documents were obtained in this process: ``parsed``, ``memory``, ``disk``."""

_documents: dict[tuple[str, float | None], Document] = {}
_lock = threading.Lock()

StateSetter = Callable[[Any, tuple[Any, ...]], None]
_setters: dict[tuple[str, ...], StateSetter] = {}
_setter_names: dict[StateSetter, tuple[str, ...]] = {}
_loader_objects: ContextVar[dict[str, Any]] = ContextVar("wsdl_cache_loader_objects")


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
    digest = hashlib.sha256(b"\0".join([_FORMAT, _RUNTIME, location.encode(), content])).hexdigest()
    path = cache_dir / f"wsdl-{digest}.pickle"
    if path.exists():
        try:
            document = _read_entry(path.read_bytes(), transport, settings)
        except Exception:  # a corrupt entry is re-parsed
            document = None
        if document is not None:
            stats["disk"] += 1
            return document
        path.unlink(missing_ok=True)
    stats["parsed"] += 1
    document = Document(location, transport, settings=settings)  # type: ignore[arg-type]
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(_entry(document))
    temporary.replace(path)
    return document


def _mtime(location: str) -> float | None:
    local = _local_path(location)
    if local is None:
        return None
    try:
        return local.stat().st_mtime
    except OSError:
        return None


def _local_path(location: str) -> Path | None:
    if location.startswith("file://"):
        return Path(url2pathname(urlsplit(location).path))
    return None if "://" in location else Path(location)


def _entry(document: Document) -> bytes:
    """The cache file: a JSON header line (the local source files), then the pickle."""
    header = json.dumps({"sources": _sources(document)}).encode()
    return header + b"\n" + _pickle(document)


def _read_entry(data: bytes, transport: Transport, settings: zeep.Settings) -> Document | None:
    """The cached document, or None when a source file it was built from has changed."""
    end = data.index(b"\n")
    for location, mtime_ns, size in json.loads(data[:end])["sources"]:
        try:
            found = os.stat(location)
        except OSError:
            return None
        if (found.st_mtime_ns, found.st_size) != (mtime_ns, size):
            return None
    return _unpickle(data, end + 1, transport, settings)


def _sources(document: Document) -> list[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every local WSDL and XSD file the document was built from."""
    locations = {document.location, *(loc for _, loc in document._definitions)}
    locations.update(schema._location for schema in document.types.documents)
    found = []
    for location in sorted(loc for loc in locations if loc):
        local = _local_path(location)
        try:
            stat = local.stat() if local is not None else None
        except OSError:  # not a file zeep read: nothing to watch
            stat = None
        if stat is not None:
            found.append((str(local), stat.st_mtime_ns, stat.st_size))
    return found


class _DocumentPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, document: Document) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._transport = document.transport
        self._settings = document.settings
        self._plain: dict[type, bool] = {}
        self._layouts: dict[tuple[type, tuple[str, ...]], StateSetter | None] = {}
        self._strings: dict[str, str] = {}
        self._qnames: dict[str, Any] = {}

    def reducer_override(self, obj: Any) -> Any:
        if obj is self._transport:
            return (_loader_object, ("transport",))
        if obj is self._settings:
            return (_loader_object, ("settings",))
        cls = type(obj)
        plain = self._plain.get(cls)
        if plain is None:
            plain = self._plain[cls] = _is_plain(cls)
        if plain:
            return self._reduce_plain(obj, cls)
        if cls is etree.QName:
            return (etree.QName, (obj.text,))
        if isinstance(obj, type):
            return _reduce_class(obj, self._canonical)
        if cls is types.FunctionType and obj in _setter_names:
            return (_state_setter, (_setter_names[obj],))
        if cls.__name__ in _VIEWS:
            return (list, (list(obj),))
        state = getattr(obj, "__dict__", None)
        if state is not None and (
            cls.__module__ == _DYNAMIC or any(_is_value_class(v) for v in state.values())
        ):
            kept = {k: v for k, v in state.items() if not _is_value_class(v)}
            return (copyreg.__newobj__, (cls,), kept)  # type: ignore[attr-defined]
        return NotImplemented

    def _reduce_plain(self, obj: Any, cls: type) -> Any:
        state = obj.__dict__
        if not state:
            return (copyreg.__newobj__, (cls,))  # type: ignore[attr-defined]
        strings, qnames = self._strings, self._qnames
        values = []
        for value in state.values():  # the hot loop of pickling: kept inline
            kind = type(value)
            if kind is str:
                value = strings.setdefault(value, value)
            elif kind is _QName:
                value = qnames.setdefault(value.text, value)
            elif kind is type and value.__module__ == _OBJECTS:
                return self._reduce_without_value_classes(obj, cls)
            values.append(value)
        names = tuple(state)
        setter = self._layouts.get((cls, names), _UNSEEN)
        if setter is _UNSEEN:
            settable = all(_settable(cls, name) for name in names)
            setter = self._layouts[cls, names] = _state_setter(names) if settable else None
        if setter is None:
            return (copyreg.__newobj__, (cls,), dict(zip(names, values, strict=True)))  # type: ignore[attr-defined]
        return (copyreg.__newobj__, (cls,), tuple(values), None, None, setter)  # type: ignore[attr-defined]

    def _reduce_without_value_classes(self, obj: Any, cls: type) -> Any:
        """A plain object that holds zeep value classes: they are rebuilt lazily on load."""
        kept = [(k, v) for k, v in obj.__dict__.items() if not _is_value_class(v)]
        names = tuple(k for k, _ in kept)
        if not names:
            return (copyreg.__newobj__, (cls,))  # type: ignore[attr-defined]
        if not all(_settable(cls, name) for name in names):
            return (copyreg.__newobj__, (cls,), dict(kept))  # type: ignore[attr-defined]
        values = tuple(self._canonical(v) for _, v in kept)
        return (copyreg.__newobj__, (cls,), values, None, None, _state_setter(names))  # type: ignore[attr-defined]

    def _canonical(self, value: Any) -> Any:
        """One object per equal string or qualified name, so the pickle holds each once."""
        kind = type(value)
        if kind is str:
            return self._strings.setdefault(value, value)
        if kind is _QName:
            return self._qnames.setdefault(value.text, value)
        return value


def _is_plain(cls: type) -> bool:
    """Instances keep their whole state in ``__dict__`` and take attributes the usual way."""
    return (
        type(cls) is type
        and all(base.__flags__ & _HEAPTYPE for base in cls.__mro__[:-1])
        and all("__slots__" not in vars(base) for base in cls.__mro__[:-1])
        and cls.__reduce_ex__ is object.__reduce_ex__  # type: ignore[comparison-overlap]
        and cls.__reduce__ is object.__reduce__  # type: ignore[comparison-overlap]
        and cls.__getstate__ is object.__getstate__  # type: ignore[comparison-overlap]
        and cls.__setattr__ is object.__setattr__  # type: ignore[comparison-overlap]
        and not any(
            hasattr(cls, hook) for hook in ("__setstate__", "__getnewargs__", "__getnewargs_ex__")
        )
    )


def _settable(cls: type, name: str) -> bool:
    """``obj.<name> = value`` stores into ``obj.__dict__`` (no data descriptor in the way)."""
    if not _is_attribute_name(name):
        return False
    for base in cls.__mro__:
        if name in vars(base):
            kind = type(vars(base)[name])
            return not (hasattr(kind, "__set__") or hasattr(kind, "__delete__"))
    return True


def _is_attribute_name(name: Any) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def _state_setter(names: tuple[str, ...]) -> StateSetter:
    """A function ``(obj, values)`` that sets ``obj.<names[i]> = values[i]``, made once per
    layout: a straight run of attribute stores loads much faster than a state dict."""
    setter = _setters.get(names)
    if setter is None:
        if not names or not all(_is_attribute_name(name) for name in names):
            raise ValueError(f"not a layout of attribute names: {names!r}")
        targets = ", ".join(f"obj.{name}" for name in names)
        namespace: dict[str, Any] = {}
        # Only checked identifiers are spliced into the source.
        exec(f"def set_state(obj, values):\n    {targets}, = values\n", namespace)  # noqa: S102
        setter = _setters[names] = namespace["set_state"]
        _setter_names[setter] = names
    return setter


def _reduce_class(cls: type, canonical: Callable[[Any], Any]) -> Any:
    if cls.__module__ == _DYNAMIC:
        attrs = {k: canonical(v) for k, v in vars(cls).items() if k in ("__module__", "_xsd_name")}
        return (type, (cls.__name__, cls.__bases__, attrs))
    if cls.__module__ == _OBJECTS:
        attr = "_array_class" if issubclass(cls, ArrayValue) else "_value_class"
        return (getattr, (cls._xsd_type, attr))  # type: ignore[attr-defined]
    return NotImplemented


def _is_value_class(value: Any) -> bool:
    """zeep's cached value classes (``zeep.objects``): rebuilt lazily after loading."""
    return isinstance(value, type) and value.__module__ == _OBJECTS


def _load(file: io.BytesIO, transport: Transport, settings: zeep.Settings) -> Any:
    """Unpickle from ``file``, with the loader's transport and settings put back."""
    token = _loader_objects.set({"transport": transport, "settings": settings})
    try:
        return pickle.Unpickler(file).load()  # noqa: S301 - the service's own cache directory
    finally:
        _loader_objects.reset(token)


def _loader_object(name: str) -> Any:
    return _loader_objects.get()[name]


def _pickle(document: Document) -> bytes:
    buffer = io.BytesIO()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        _DocumentPickler(buffer, document).dump(document)
    finally:
        sys.setrecursionlimit(limit)
    return buffer.getvalue()


def _unpickle(data: bytes, start: int, transport: Transport, settings: zeep.Settings) -> Document:
    buffer = io.BytesIO(data)
    buffer.seek(start)
    enabled = gc.isenabled()
    gc.disable()  # tens of thousands of new objects: the collector would double the load time
    try:
        document = _load(buffer, transport, settings)
    finally:
        if gc.get_freeze_count() == 0:
            # The loaded objects live as long as the process: move them (and whatever else is
            # tracked) straight to the oldest generation instead of having the young
            # collections walk them. freeze() + unfreeze() does that in constant time; skipped
            # when the process has frozen objects of its own.
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
    if not isinstance(document, Document):
        raise TypeError("cached entry is not a zeep Document")
    return document
