"""Responses assembled from stored records' cached encodings, for the Get and List RPCs.

Building a response the usual way copies every stored message into it, and gRPC then serializes the
copies. A handler can instead return `assemble(service_pb2.MultiTaskResponse(), tasks=stored_tasks)`:
the response's head (its other fields; the wire sets its `status`) plus, per message field, the stored
records to send in it. The protobuf wire format of a message is the concatenation of its fields'
encodings (a message field: tag, varint length, the record's bytes), so the head's bytes followed by
the records' encodings parse as the response built field by field, and serialize to the same bytes when
the records' fields come after the head's (as they do after `status`, field 1).

A response that holds nothing but one field's records is made by an `assembler`, once per response type
and field (`TASK_PAGE = assembler(service_pb2.MultiTaskResponse, "tasks")`, then `TASK_PAGE(tasks)` per
call): its head is None, and the wire sends its SUCCESS status from precomputed bytes. A page of records
whose encodings are cached is then a few C-level passes (look each up, join them), with no Python per record.

Each record's encoding is cached by the record object's identity, per record type. Stored protos are
never mutated in place (fake_clarifai.store): a changed record is a new object, so a cached encoding
never goes stale. The cache holds the records it encoded (so no other object can take one of their ids
while it does) and is emptied when it reaches `CACHE_LIMIT` records of a type. Filling and emptying it
take a lock of its own (several fakes, each with its own store lock, may serve in one process); a lookup
takes none: a dict lookup is atomic, an entry goes before its record is let go, and the record a caller
looks up is alive in the caller's hands. Give it only messages nobody changes afterwards (stored ones,
or fresh copies).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from operator import is_
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

CACHE_LIMIT = 8192  # records per record type
PAGES_LIMIT = 64  # pages remembered per assembler
PAGES_BYTES = 8 * 1024 * 1024  # and their bytes


@dataclass(slots=True)
class Assembled:
    """A response as its `head` message (every field but the assembled ones) and `tail`, the assembled
    fields' encodings: the wire sets the head's status, then sends the head's bytes followed by the tail.
    A head of None is the method's response with nothing but the status (see `assembler`).
    (Not frozen: made on every Get and List call, and a frozen dataclass's `__init__` costs ~0.5 us more.)"""

    head: Message | None
    tail: bytes


@dataclass(frozen=True, slots=True)
class _Cache:
    """The encodings (varint length, then bytes) of one record type's messages, by id. `records` holds
    those messages, so no other object can take one of their ids while its encoding is here: an id found
    in `encodings` is that very message, of this type. Emptied whole at `CACHE_LIMIT` records."""

    encodings: dict[int, bytes] = field(default_factory=dict)
    records: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Pages:
    """The pages one assembler sent lately, each by (id of its first record, its length): the records, and
    the page's tail. A page is answered from here only when its records are those very objects, every one
    (a C-level pass), and an entry holds its records, so none of their ids is reused while it is here.
    Emptied whole at `PAGES_LIMIT` pages or `PAGES_BYTES` bytes; lookups take no lock (as `_Cache`)."""

    __slots__ = ("bytes", "lock", "sent")

    def __init__(self) -> None:
        self.sent: dict[tuple[int, int], tuple[tuple[Message, ...], bytes]] = {}
        self.bytes = 0
        self.lock = threading.Lock()

    def tail(self, items: list[Message]) -> bytes | None:
        sent = self.sent.get((id(items[0]), len(items)))
        return sent[1] if sent is not None and all(map(is_, items, sent[0])) else None

    def keep(self, items: list[Message], tail: bytes) -> None:
        if len(tail) > PAGES_BYTES:
            return
        with self.lock:
            if len(self.sent) >= PAGES_LIMIT or self.bytes + len(tail) > PAGES_BYTES:
                self.sent.clear()
                self.bytes = 0
            key = (id(items[0]), len(items))
            replaced = self.sent.get(key)
            self.bytes += len(tail) - (len(replaced[1]) if replaced is not None else 0)
            self.sent[key] = (tuple(items), tail)


@dataclass(frozen=True, slots=True)
class _Field:
    tag: bytes
    record_type: type[Message]
    repeated: bool
    cache: _Cache


def assemble(head: Message, **records: Message | Iterable[Message]) -> Assembled:
    """`head` with each named message field holding `records[name]`: a message for a singular field, an
    iterable of them for a repeated one. The fields must be unset in `head`."""
    tail = []
    for name, given in records.items():
        spec = _field(type(head), name)
        if len(getattr(head, name)) if spec.repeated else head.HasField(name):
            raise ValueError(f"{type(head).__name__}.{name} is set in the head and assembled too")
        items = list(given) if spec.repeated else [given]  # type: ignore[arg-type]
        if items:
            tail.append(spec.tag + spec.tag.join(_encodings(items, spec, type(head), name)))
    return Assembled(head, b"".join(tail))


def assembler(response_type: type[Message], name: str) -> Callable[[Any], Assembled]:
    """A maker of `response_type` responses holding only the records given in message field `name` (a
    list or iterable of messages for a repeated field, one message for a singular one), with a None head."""
    spec = _field(response_type, name)
    tag, cached = spec.tag, spec.cache.encodings
    if spec.repeated:
        pages = _Pages()

        def page(records: Iterable[Message]) -> Assembled:
            items = records if type(records) is list else list(records)
            if not items:
                return Assembled(None, b"")
            tail = pages.tail(items)
            if tail is None:
                tail = tag + tag.join(_encodings(items, spec, response_type, name))
                pages.keep(items, tail)
            return Assembled(None, tail)

        return page

    def single(record: Message) -> Assembled:
        encoding = cached.get(id(record))
        if encoding is None:
            encoding = _encodings([record], spec, response_type, name)[0]
        return Assembled(None, tag + encoding)

    return single


@cache
def _field(response_type: type[Message], name: str) -> _Field:
    descriptor = response_type.DESCRIPTOR.fields_by_name.get(name)
    if descriptor is None or descriptor.type != FieldDescriptor.TYPE_MESSAGE:
        raise ValueError(f"{response_type.__name__} has no message field {name!r}")
    record_type = message_factory.GetMessageClass(descriptor.message_type)
    tag = _varint(descriptor.number << 3 | 2)  # wire type 2: length-delimited
    return _Field(tag, record_type, descriptor.is_repeated, _cache_of(record_type))


@cache
def _cache_of(record_type: type[Message]) -> _Cache:
    return _Cache()


def _encodings(items: list[Any], spec: _Field, response_type: type[Message], name: str) -> list[bytes]:
    """Each item's encoding, from the cache when it holds the item. (The lookups are C-level maps: ListApps
    pays them for each of up to 1000 small records, where a Python loop cost as much as serializing.)"""
    cached = spec.cache
    encodings = list(map(cached.encodings.get, map(id, items)))
    if all(encodings):  # no encoding is empty: each starts with its length
        return encodings  # type: ignore[return-value]
    with cached.lock:
        for i, item in enumerate(items):
            if encodings[i] is None:  # or encoded by another thread since the lookup above
                encodings[i] = cached.encodings.get(id(item)) or _cached(item, spec, response_type, name)
    return encodings  # type: ignore[return-value]


def _cached(item: Any, spec: _Field, response_type: type[Message], name: str) -> bytes:
    """`item`'s encoding, put in the cache (hold its lock)."""
    if type(item) is not spec.record_type:
        wanted = spec.record_type.DESCRIPTOR.full_name
        raise TypeError(f"{response_type.__name__}.{name} holds {wanted} messages, got {type(item).__name__}")
    data = item.SerializeToString()
    encoding = _varint(len(data)) + data
    cached = spec.cache
    if len(cached.records) >= CACHE_LIMIT:
        cached.encodings.clear()
        cached.records.clear()
    cached.encodings[id(item)] = encoding
    cached.records.append(item)
    return encoding


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
