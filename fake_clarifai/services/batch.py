"""Request checks shared by the create/patch/delete RPCs: run them all before anything is changed.

Each resource family reports request errors with its own status code (`INPUT_INVALID_REQUEST`,
`CONCEPTS_INVALID_REQUEST`, `ANNOTATION_INVALID_ARGUMENT`, else `CONN_INVALID_REQUEST`).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Container, Mapping, Sequence
from typing import TypeVar

from google.protobuf.message import Message

from fake_clarifai.errors import ApiError, Code, invalid, not_found
from fake_clarifai.store import AppState, TaskState

M = TypeVar("M", bound=Message)
V = TypeVar("V")


def require_new_ids(
    ids: Sequence[str],
    existing: Container[str],
    field: str,
    code: int,
    *,
    generated: bool = False,
    owner: str = "in the app",
    empty_hint: str = "",
) -> None:
    """Every id in `ids` is unused (in `existing`), unique in the request, and non-empty unless `generated`.

    `field` names the i-th id in the request, e.g. "concepts[{i}].id"; `owner` says where an id is taken
    ("in the app"); `empty_hint` follows "is empty: " when given.
    """
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if not item_id and generated:
            continue
        if not item_id:
            raise ApiError(code, f"{field.format(i=i)} is empty" + (f": {empty_hint}" if empty_hint else ""))
        if item_id in existing:
            raise ApiError(code, f"{field.format(i=i)} '{item_id}' already exists {owner}")
        if item_id in seen:
            raise ApiError(code, f"{field.format(i=i)} '{item_id}' appears twice in the request")
        seen.add(item_id)


def require_existing_ids(
    ids: Sequence[str], existing: Container[str], field: str, kind: str, code: int, *, repeats_ok: bool = False
) -> None:
    """Every id in `ids` is non-empty and names an existing `kind`; unique in the request unless `repeats_ok`.

    `field` names the i-th id in the request, e.g. "ids[{i}]".
    """
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if not item_id:
            raise ApiError(code, f"{field.format(i=i)} is empty")
        if item_id not in existing:
            raise not_found(kind, item_id)
        if item_id in seen and not repeats_ok:
            raise ApiError(code, f"{field.format(i=i)} '{item_id}' appears twice in the request")
        seen.add(item_id)


def require_found(found: Mapping[str, V], resource_id: str, field: str, kind: str, code: int) -> V:
    """`found[resource_id]`: `code` when the id is empty, CONN_DOES_NOT_EXIST naming `kind` when it is unknown."""
    item = found.get(require_id(resource_id, field, code))
    if item is None:
        raise not_found(kind, resource_id)
    return item


def existing_task(
    app: AppState, task_id: str, field: str, *, hint: str = "name a task of the app", field_in_details: bool = True
) -> TaskState:
    """The one task lookup (docs/BEHAVIOUR.md §4): an empty id is `CONN_INVALID_REQUEST` "<field> is empty:
    <hint>"; an unknown one `TASK_MISSING` "<field>: task '<id>' does not exist" (GetTask, whose request has
    the one id, leaves out the field: `field_in_details` False)."""
    if not task_id:
        raise invalid(f"{field} is empty: {hint}")
    task = app.task(task_id)
    if task is None:
        where = f"{field}: " if field_in_details else ""
        raise ApiError(Code.TASK_MISSING, f"{where}task '{task_id}' does not exist")
    return task


def require_id(value: str, field: str, code: int) -> str:
    if not value:
        raise ApiError(code, f"{field} is empty")
    return value


def require_action(action: str, allowed: Collection[str], code: int) -> str:
    if action not in allowed:
        raise ApiError(code, f"action '{action}' is not supported: use one of {', '.join(sorted(allowed))}")
    return action


def patched(stored: M, patch: M, fields: Collection[str], action: str) -> M:
    """A copy of `stored` whose `fields` come from `patch`.

    "overwrite" replaces each of `fields` (one the patch leaves unset is cleared); "merge" changes only
    the fields the patch sets, merging messages (a Struct merges by key) and replacing scalars and lists.
    """
    result = copy.deepcopy(stored)
    given = {descriptor.name for descriptor, _ in patch.ListFields()}
    for name in fields:
        if action == "overwrite":
            result.ClearField(name)
        if name not in given:
            continue
        value = getattr(patch, name)
        if isinstance(value, Message):
            getattr(result, name).MergeFrom(value)
        elif patch.DESCRIPTOR.fields_by_name[name].is_repeated:
            del getattr(result, name)[:]
            getattr(result, name).extend(value)
        else:
            setattr(result, name, value)
    return result
