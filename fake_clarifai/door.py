"""Checks of a whole request before any handler sees it: numbers every reader can read, known enum values.

The fake's policy (Clarifai documents neither):
- a non-finite number (NaN, ±Infinity) in any float or double field (weights, thresholds, concept values,
  `Struct` metadata) is refused: JSON cannot carry one, so a stored NaN would break every JSON reader of
  it (the gateway refuses them in a JSON body already);
- an enum field holding a number its enum does not define (`input_id_conflict_resolution = 99`) is
  refused rather than read as some default.
Both answer `CONN_INVALID_REQUEST` naming the field path and the value.
"""

from __future__ import annotations

import math
from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from fake_clarifai.errors import invalid

_FLOATS = (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)
_CHECKED = (*_FLOATS, FieldDescriptor.TYPE_ENUM)
_STRUCT, _VALUE, _LIST = "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"


@cache
def may_hold_checked(message: Descriptor) -> bool:
    """Whether a message of this type can hold a float or an enum anywhere (else it is not walked; the
    wire skips `check_request` for such request types)."""
    pending, seen = [message], {message.full_name}
    while pending:
        for field in pending.pop().fields:
            if field.type in _CHECKED:
                return True
            nested = field.message_type
            if nested is not None and nested.full_name not in seen:
                seen.add(nested.full_name)
                pending.append(nested)
    return False


@cache
def _walked_fields(message: Descriptor) -> frozenset[FieldDescriptor]:
    """The fields of a message type that can hold a float or an enum (the others are not looked at)."""
    return frozenset(
        field
        for field in message.fields
        if field.type in _CHECKED or (field.message_type is not None and may_hold_checked(field.message_type))
    )


def check_request(request: Message) -> None:
    """`CONN_INVALID_REQUEST` naming the first value of `request` the module docstring refuses."""
    problem = first_problem(request)
    if problem is not None:
        raise invalid(problem)


def first_problem(message: Message, path: str = "") -> str | None:
    """What is wrong with the first refused value (`inputs[0].data.metadata.score is NaN: ...`,
    `input_id_conflict_resolution 99 is not a value of ...`), or None."""
    walked = _walked_fields(message.DESCRIPTOR)
    if not walked:
        return None
    kind = message.DESCRIPTOR.full_name
    for field, value in message.ListFields():
        if field not in walked:
            continue
        where = _where(kind, path, field.name)
        if field.type in _CHECKED:
            for i, scalar in enumerate(value if field.is_repeated else [value]):
                problem = _scalar_problem(field, scalar)
                if problem:
                    return f"{where}[{i}]{problem}" if field.is_repeated else f"{where}{problem}"
        elif field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                item_path = f"{where}.{key}" if kind == _STRUCT else f"{where}[{key}]"
                found = first_problem(item, item_path) if isinstance(item, Message) else None
                if found:
                    return found
        elif field.is_repeated:
            for i, item in enumerate(value):
                found = first_problem(item, f"{path}[{i}]" if kind == _LIST else f"{where}[{i}]")
                if found:
                    return found
        else:
            found = first_problem(value, where)
            if found:
                return found
    return None


def _scalar_problem(field: FieldDescriptor, value: float | int) -> str | None:
    if field.type == FieldDescriptor.TYPE_ENUM:
        if value in field.enum_type.values_by_number:
            return None
        names = ", ".join(item.name for item in field.enum_type.values)
        return f" {value} is not a value of {field.enum_type.full_name}: use {names}"
    return None if math.isfinite(value) else f" is {json_name(value)}: numbers must be finite"


def _where(kind: str, path: str, name: str) -> str:
    """A field's path; a Struct's `fields`, a Value's kind and a ListValue's `values` add nothing."""
    if kind in (_STRUCT, _VALUE, _LIST):
        return path
    return f"{path}.{name}" if path else name


def json_name(number: float) -> str:
    """How proto3 JSON spells a non-finite number."""
    return "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"
