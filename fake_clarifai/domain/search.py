"""Which inputs and annotations a search's filters select (pure: no gRPC, no store).

What the fake emulates of `Query.filters` (the filters the clarifai SDK's `Search.query` builds):
- filters are ANDed; `Filter.negate` flips one [proto: Filter.negate];
- `annotation.data.concepts`: the item is labeled with one of them (ORed within one filter), with the
  concept's value (1 positive, 0 negative) [docs: search filter "concepts"];
- `annotation.data.metadata`: the item's metadata contains these keys with these values (nested objects
  contain, other values are equal) [docs: search by custom metadata];
- `input.data` with `image`/`text`/`audio`/`video` present: the input has one of those kinds [SDK:
  `Search._get_input_proto` input_types];
- `input.dataset_ids`: the input belongs to one of them; `input.status.code`: the input is in that status.
The different criteria of one filter are ANDed [policy]. Anything else is not emulated, and `unsupported`
names the first such field so that the caller refuses it rather than answer a search it ignored part of:
ranks (similarity search), the deprecated `query.ands`, geo, time ranges, URLs or text to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf import struct_pb2
from google.protobuf.message import Message

KINDS = ("image", "text", "audio", "video")


@dataclass(frozen=True)
class Candidate:
    """What a filter looks at: the input, its datasets, and the data that labels it (the input's own data
    for an input search, one annotation's for an annotation search)."""

    input: resources_pb2.Input
    dataset_ids: Sequence[str]
    labels: Sequence[resources_pb2.Data]


def unsupported_rank(query: resources_pb2.Query) -> int | None:
    """The index of the first rank that asks for something (the SDK sends `Rank(annotation=Annotation())` by
    default: a set but empty message asks for nothing)."""
    return next((i for i, rank in enumerate(query.ranks) if any(asks(v) for _, v in rank.ListFields())), None)


FILTER_FIELDS = {"negate", "annotation", "input"}
ANNOTATION_FIELDS = {"data"}
LABEL_FIELDS = {"concepts", "metadata"}
INPUT_FIELDS = {"data", "dataset_ids", "status"}


def unsupported(query: resources_pb2.Query) -> str | None:
    """The path (under `query.`) of the first part of `query` the fake cannot honour, else None."""
    rank = unsupported_rank(query)
    if rank is not None:
        return f"ranks[{rank}]"
    if query.ands:
        return "ands"
    for i, search_filter in enumerate(query.filters):
        where = f"filters[{i}]"
        parts = [
            (where, search_filter, FILTER_FIELDS),
            (f"{where}.annotation", search_filter.annotation, ANNOTATION_FIELDS),
            (f"{where}.annotation.data", search_filter.annotation.data, LABEL_FIELDS),
            (f"{where}.input", search_filter.input, INPUT_FIELDS),
            (f"{where}.input.data", search_filter.input.data, set(KINDS)),
        ]
        for path, message, allowed in parts:
            extra = next((d.name for d, _ in message.ListFields() if d.name not in allowed), None)
            if extra is not None:
                return f"{path}.{extra}"
        for kind in KINDS:
            if getattr(search_filter.input.data, kind).ByteSize():
                return f"{where}.input.data.{kind}"  # a kind is asked for by an empty message only
    return None


def asks(value: object) -> bool:
    return value.ByteSize() > 0 if isinstance(value, Message) else bool(value)


def selects(query: resources_pb2.Query, candidate: Candidate) -> bool:
    return all(passes(f, candidate) != f.negate for f in query.filters)


def passes(search_filter: resources_pb2.Filter, candidate: Candidate) -> bool:
    wanted = search_filter.annotation.data
    given = search_filter.input
    checks = [
        not wanted.concepts or any(labeled(candidate.labels, c) for c in wanted.concepts),
        not wanted.metadata.fields or any(contains(d.metadata, wanted.metadata) for d in candidate.labels),
        not given.data.ListFields() or any(given.data.HasField(k) and has_kind(candidate.input, k) for k in KINDS),
        not given.dataset_ids or any(d in candidate.dataset_ids for d in given.dataset_ids),
        not given.status.code or candidate.input.status.code == given.status.code,
    ]
    return all(checks)


def labeled(labels: Iterable[resources_pb2.Data], concept: resources_pb2.Concept) -> bool:
    """Some label names `concept` (by id, else by name) with its value: positive (> 0) or negative (0)."""
    positive = concept.value > 0
    return any(
        (c.id == concept.id if concept.id else c.name == concept.name) and (c.value > 0) == positive
        for data in labels
        for c in data.concepts
    )


def contains(metadata: struct_pb2.Struct, wanted: struct_pb2.Struct) -> bool:
    """Every key of `wanted` is in `metadata` with an equal value (a nested object: contained)."""
    for key, value in wanted.fields.items():
        if key not in metadata.fields:
            return False
        have = metadata.fields[key]
        if value.HasField("struct_value") and have.HasField("struct_value"):
            if not contains(have.struct_value, value.struct_value):
                return False
        elif have != value:
            return False
    return True


def has_kind(item: resources_pb2.Input, kind: str) -> bool:
    return item.data.HasField(kind)
