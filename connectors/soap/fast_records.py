"""Fast SOAP replies: a document/literal reply read from its XML straight into plain dicts.

zeep builds an object for every complex element of a reply and ``serialize_object`` copies
them into dicts; on record pages (a NAV customer has ~58 elements) that is most of a read.
``call`` asks zeep for the raw HTTP reply and hands it to zeep's binding as always (content
type, XML parsing with zeep's settings, WS-Security, plugins, faults); only the last step,
turning the envelope into values, uses a reader compiled once per operation from the XSD types
zeep loaded. Each element's value comes from its zeep type's own ``pythonvalue``; keys follow
the declaration order, an absent element is None (``[]`` when it may repeat), and the reply is
unwrapped the way zeep unwraps it. The result equals ``serialize_object`` of zeep's objects,
value for value and type for type.

What the reader does not model sends the reply through zeep's own parser instead, so a result
never differs: per operation, output headers, several body parts, choice/all/group/any content,
declared attributes, SOAP-encoded arrays, element defaults, simple types with their own parser;
per reply, an ``xsi:type``, an element out of order, repeated, missing while required or
unknown (or matching by local name only), a comment among elements, a value zeep would log and
drop as None, multipart replies and non-strict settings. Never touches the store.
"""

from __future__ import annotations

import copy
import re
import threading
import weakref
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from zeep.helpers import serialize_object
from zeep.utils import get_media_type
from zeep.wsdl.messages.soap import DocumentMessage
from zeep.xsd import ComplexType, Element, Sequence
from zeep.xsd.types import builtins
from zeep.xsd.types.simple import AnySimpleType

__all__ = ["NeedsZeep", "call", "plain", "reply_reader", "simple_converter"]

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_HAS_XSI_TYPE = etree.XPath("boolean(.//@xsi:type)", namespaces={"xsi": _XSI})


class _Unsupported(Exception):
    """The operation's reply has a shape the reader does not model: zeep reads it."""


class NeedsZeep(Exception):
    """This reply has something the reader does not model: zeep reads it."""


def plain(value: Any) -> Any:
    """zeep objects (and mappings, tuples) as plain dicts and lists."""
    return _plain(serialize_object(value, target_cls=dict))  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# -- readers compiled from the XSD -------------------------------------------------------------


_TEXT, _SIMPLE, _COMPLEX = 0, 1, 2  # how an element's value is read


def _no_conversion(value: Any) -> Any:
    return value


class _Complex:
    """Reads elements of one complex type (a plain sequence of elements) into dicts."""

    __slots__ = ("fields", "names", "positions", "repeated", "required_before")

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self.positions: dict[str, int] = {}  # element tag → position in the sequence
        self.repeated: tuple[int, ...] = ()  # positions that take a list
        self.required_before: tuple[int, ...] = ()  # required positions before each position
        # per position: name, repeats?, max occurrences (None: unbounded), how, reader
        self.fields: tuple[tuple[str, bool, int | None, int, Callable[[Any], Any]], ...] = ()

    def read(self, node: Any, allow_none: bool = True) -> dict[str, Any] | None:
        if allow_none and len(node) == 0 and not node.attrib:
            return None
        values: dict[str, Any] = dict.fromkeys(self.names)
        for repeated in self.repeated:
            values[self.names[repeated]] = []
        positions, fields, before = self.positions, self.fields, self.required_before
        current, count = -1, 0
        for child in node:
            position = positions.get(child.tag)
            if position is None:
                raise NeedsZeep  # unknown element, comment, or a namespace zeep matches loosely
            name, repeats, most, how, convert = fields[position]
            if position == current:
                if not repeats or (most is not None and count >= most):
                    raise NeedsZeep
                count += 1
            elif position > current:
                if before[position] != before[current + 1]:
                    raise NeedsZeep  # a required element is missing before this one
                current, count = position, 1
            else:
                raise NeedsZeep  # out of order
            if how == _TEXT:
                value = child.text
            elif how == _SIMPLE:
                value = child.text
                if value is not None:
                    try:
                        value = convert(value)
                    except Exception:  # zeep logs it and keeps None: let zeep do that
                        raise NeedsZeep from None
            else:
                value = convert(child)
            if repeats:
                values[name].append(value)
            else:
                values[name] = value
        return values


_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _decimal(zeep_value: Callable[[str], Any], text: str) -> Any:
    """zeep's ``xsd:decimal`` value: ``Decimal(text)`` for plain digits, else zeep's own."""
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else zeep_value(text)


def _date(zeep_value: Callable[[str], Any], text: str) -> Any:
    """zeep's ``xsd:date`` value: the date of a plain YYYY-MM-DD, else zeep's own."""
    if _PLAIN_DATE.fullmatch(text):
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    return zeep_value(text)


def _boolean(zeep_value: Callable[[str], Any], text: str) -> Any:
    """zeep's ``xsd:boolean`` value: true/1 and false/0 as they are, else zeep's own."""
    if text == "true" or text == "1":
        return True
    if text == "false" or text == "0":
        return False
    return zeep_value(text)


_FASTER: dict[Any, Callable[[Callable[[str], Any], str], Any]] = {
    builtins.Decimal.pythonvalue: _decimal,
    builtins.Date.pythonvalue: _date,
    builtins.Boolean.pythonvalue: _boolean,
}


def simple_converter(xsd_type: Any) -> Callable[[str], Any] | None:
    """What turns an element's text into zeep's value for a simple type: its
    ``pythonvalue``, a faster equal one for decimals, dates and booleans, or None when the
    text is the value; ``_Unsupported`` when the type parses elements its own way."""
    kind = type(xsd_type)
    if not isinstance(xsd_type, AnySimpleType) or (
        kind.parse_xmlelement is not AnySimpleType.parse_xmlelement
    ):
        raise _Unsupported
    if kind.pythonvalue is builtins.String.pythonvalue:
        return None
    faster = _FASTER.get(kind.pythonvalue)
    zeep_value: Callable[[str], Any] = xsd_type.pythonvalue
    return zeep_value if faster is None else partial(faster, zeep_value)


def _value_reader(xsd_type: Any, memo: dict[int, _Complex]) -> tuple[int, Callable[[Any], Any]]:
    """How an element of ``xsd_type`` is read, and the function that reads it."""
    if isinstance(xsd_type, ComplexType):
        return _COMPLEX, _complex(xsd_type, memo).read
    convert = simple_converter(xsd_type)
    return (_TEXT, _no_conversion) if convert is None else (_SIMPLE, convert)


def _complex(xsd_type: Any, memo: dict[int, _Complex]) -> _Complex:
    found = memo.get(id(xsd_type))
    if found is not None:
        return found
    sequence = xsd_type._element
    if (
        type(xsd_type).parse_xmlelement is not ComplexType.parse_xmlelement
        or xsd_type._array_type is not None
        or xsd_type.attributes
        or type(sequence) is not Sequence
        or sequence.accepts_multiple
        or [element for _, element in xsd_type.elements_nested] != [sequence]
    ):
        raise _Unsupported
    reader = _Complex()
    memo[id(xsd_type)] = reader  # before the children: a type may contain itself
    items = sequence.elements
    if not items or [element for _, element in sequence.elements_nested] != [
        element for _, element in items
    ]:
        raise _Unsupported
    fields, required, local_names = [], [0], set()
    for name, element in items:
        if (
            not isinstance(element, Element)
            or type(element).parse is not Element.parse
            or type(element).parse_xmlelements is not Element.parse_xmlelements
            or element.default is not None
            or element.qname.localname in local_names
        ):
            raise _Unsupported
        local_names.add(element.qname.localname)
        most = None if element.max_occurs == "unbounded" else int(element.max_occurs)
        how, convert = _value_reader(element.type, memo)
        fields.append((name, element.accepts_multiple, most, how, convert))
        required.append(required[-1] + (0 if element.is_optional else 1))
    reader.names = tuple(name for name, _ in items)
    reader.positions = {element.qname.text: n for n, (_, element) in enumerate(items)}
    reader.repeated = tuple(n for n, field in enumerate(fields) if field[1])
    reader.required_before = tuple(required)
    reader.fields = tuple(fields)
    return reader


class _Reply:
    """Reads one operation's reply envelope the way ``DocumentMessage.deserialize`` does."""

    def __init__(self, message: Any) -> None:
        if (
            type(message) is not DocumentMessage
            or message.envelope is None
            or message.header is None
            or message.header.type._element
            or message._is_body_wrapped
            or not isinstance(message.body, Element)
            or not isinstance(message.body.type, ComplexType)
        ):
            raise _Unsupported
        memo: dict[int, _Complex] = {}
        self.nsmap = message.nsmap
        self.envelope_tag = etree.QName(message.nsmap["soap-env"], "Envelope").text
        self.body = _complex(message.body.type, memo)
        self.single: str | None = None  # the body's only element, unwrapped
        self.inner: str | None = None  # ... and that element's only element, unwrapped too
        if len(self.body.names) == 1:
            self.single = self.body.names[0]
            inner_type = message.body.type.elements[0][1].type
            if isinstance(inner_type, ComplexType):
                inner = _complex(inner_type, memo)
                if len(inner.names) == 1:
                    self.inner = inner.names[0]

    def read(self, envelope: Any) -> Any:
        if envelope.tag != self.envelope_tag:
            raise NeedsZeep
        body = envelope.find("soap-env:Body", namespaces=self.nsmap)
        if body is None or len(body) == 0 or not isinstance(body[0].tag, str):
            raise NeedsZeep
        if _HAS_XSI_TYPE(body):
            raise NeedsZeep
        result = self.body.read(body[0], allow_none=False)
        assert result is not None
        if self.single is None:
            return result
        value = result[self.single]
        if self.inner is not None and isinstance(value, dict):
            return value[self.inner]
        return value


class _Read:
    """A reply already read into plain values (passed back through zeep's binding)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _process_reply(reply: _Reply, operation: Any, envelope: Any) -> Any:
    try:
        return _Read(reply.read(envelope))
    except NeedsZeep:
        return operation.process_reply(envelope)


_LOCK = threading.Lock()
_COMPILED: weakref.WeakKeyDictionary[Any, dict[str, tuple[_Reply, Any] | None]] = (
    weakref.WeakKeyDictionary()
)


def _compiled(binding: Any, name: str) -> tuple[_Reply, Any] | None:
    """The reply reader of the binding's operation ``name`` and a copy of the operation whose
    ``process_reply`` uses it; None when its reply is not modelled. Compiled once."""
    with _LOCK:
        known = _COMPILED.setdefault(binding, {})
        if name not in known:
            operation = binding.get(name)
            try:
                reply = _Reply(operation.output)
            except _Unsupported:
                known[name] = None
            else:
                fast = copy.copy(operation)
                fast.process_reply = partial(_process_reply, reply, operation)
                known[name] = (reply, fast)
        return known[name]


def reply_reader(service: Any, operation: str) -> Callable[[Any], Any] | None:
    """The compiled reader of ``operation``'s reply envelopes (an lxml root → plain values;
    raises ``NeedsZeep``), or None when zeep always reads that reply."""
    compiled = _compiled(service._binding, operation)
    return None if compiled is None else compiled[0].read


def call(service: Any, operation: str, method: Any, args: dict[str, Any]) -> Any:
    """``method(**args)`` of ``service`` (a zeep ``ServiceProxy``) as plain dicts and lists."""
    client = service._client
    binding = service._binding
    settings = client.wsdl.types.settings
    compiled = _compiled(binding, operation)
    if compiled is None or not settings.strict or settings.xsd_ignore_sequence_order:
        return plain(method(**args))
    fast = compiled[1]
    with client.settings(raw_response=True):
        response = method(**args)
    content_type = response.headers.get("Content-Type", "text/xml")
    if get_media_type(content_type) == "multipart/related":  # type: ignore[no-untyped-call]
        fast = binding.get(operation)
    result = binding.process_reply(client, fast, response)
    if isinstance(result, _Read):
        return result.value
    return plain(result)
