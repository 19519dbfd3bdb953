"""The whole store as plain data (dicts, lists, str, numbers): for inspection, diffs and golden files.

Protobuf messages render as `MessageToDict` with proto field names; bytes as base64 text; sequences (lists,
tuples, arrays, a plan's frozen `KeySequence` source) as lists; records (dataclasses, and objects such as a
task's `runtime`) as dicts of their attributes; sets sorted; tuple keys such as `(user_id, app_id)` as
"user_id/app_id"; callables (a fake model's `predict`) by their qualified name.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import immutables
from google.protobuf import json_format
from google.protobuf.message import Message

from fake_clarifai.store import Store


def dump_state(store: Store) -> dict[str, Any]:
    """Users, tokens, apps (every field of every `AppState`, tasks with their assignments, indexes and plans)
    and who is a member of which app, in creation order."""
    with store.lock:
        return {
            "users": plain(store.users),
            "tokens": plain(store.tokens),
            "apps": plain(store.apps),
            "app_keys_by_member": plain(store.app_keys_by_member),
        }


def plain(value: Any) -> Any:
    """`value` as plain data (see the module docstring)."""
    if isinstance(value, Message):
        return json_format.MessageToDict(value, preserving_proto_field_name=True)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, immutables.Map):  # a persistent map: no order of its own
        return {_key(k): plain(v) for k, v in sorted(value.items(), key=lambda item: repr(item[0]))}
    if isinstance(value, Mapping):
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):  # lists, tuples, arrays, a plan's frozen source (str and bytes are above)
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if callable(value):
        return f"<{getattr(value, '__qualname__', type(value).__qualname__)}>"
    attributes = _attributes(value)
    if attributes:
        return {name: plain(getattr(value, name)) for name in attributes}
    raise TypeError(f"dump_state cannot render {type(value).__qualname__}: {value!r}")


def _attributes(value: Any) -> list[str]:
    """The instance attributes of a plain object: its `__slots__` (across its classes) and `__dict__`."""
    declared = [getattr(cls, "__slots__", ()) for cls in type(value).__mro__]
    slots = [name for names in declared for name in ((names,) if isinstance(names, str) else names)]
    slots = [name for name in slots if name not in ("__dict__", "__weakref__") and hasattr(value, name)]
    return slots + list(getattr(value, "__dict__", ()))


def _key(key: Any) -> str:
    return "/".join(str(part) for part in key) if isinstance(key, tuple) else str(key)
