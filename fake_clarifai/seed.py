"""Seeding what the public API cannot create, from Python or from a JSON seed file.

The JSON format (every key but ids optional):

    {"users": [{"id": "alice", "pats": ["alice-pat"]}],
     "apps": [{"user_id": "alice", "id": "main", "collaborators": ["bob"], "api_keys": ["main-key"],
               "concepts": [{"id": "water", "name": "Water"}],
               "inputs": [{"id": "in1", "url": "https://…", "metadata": {...}}],
               "datasets": [{"id": "ds1", "input_ids": ["in1"]}],
               "models": [{"id": "m1", "version_id": "v1", "predictions": {"in1": {"water": 0.93}}}],
               "workflows": [{"id": "wf1", "model_id": "m1"}],
               "public": false}]}

`public: true` makes an app readable (Get…/List… calls) by every valid key, like Clarifai's `clarifai/main`.

A bad seed raises `SeedError` naming the JSON path (`apps[0].inputs[2].id`) and the problem, and changes
nothing. This module checks the document's shape (keys, types, required fields); what it means (unknown
users, ids or tokens already taken) the `FakeClarifai.add_*` calls check, once, for both ways of seeding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from fake_clarifai.store import Store

SeedSource = str | PathLike[str] | Mapping[str, Any]

DEFAULT_SEED: dict[str, Any] = {
    "users": [
        {"id": "owner", "pats": ["owner-pat"]},
        {"id": "labeler-1", "pats": ["labeler-1-pat"]},
        {"id": "labeler-2", "pats": ["labeler-2-pat"]},
        {"id": "labeler-3", "pats": ["labeler-3-pat"]},
        {"id": "reviewer", "pats": ["reviewer-pat"]},
        {"id": "outsider", "pats": ["outsider-pat"]},
        {"id": "clarifai", "pats": ["clarifai-pat"]},
    ],
    "apps": [
        {
            "user_id": "owner",
            "id": "main",
            "collaborators": ["labeler-1", "labeler-2", "labeler-3", "reviewer"],
            "api_keys": ["main-app-key"],
            "concepts": [{"id": "water"}, {"id": "sky"}],
        },
        {"user_id": "outsider", "id": "elsewhere", "api_keys": ["elsewhere-app-key"]},
        # Clarifai's community app, public: every valid key may read its models (clarifai-python-grpc's
        # tests list the models of clarifai/main and read general-image-recognition).
        {
            "user_id": "clarifai",
            "id": "main",
            "public": True,
            "models": [
                {"id": "general-image-recognition", "version_id": "aa7f35c01e0642fda5cf400f543e7c40"},
                {"id": "general-image-embedding", "version_id": "bb186755eda04f9cbb6fe32e816be104"},
                {"id": "moderation-recognition", "version_id": "aa8be956dbaa4b7a858826a84253cab9"},
            ],
            "workflows": [{"id": "General", "model_id": "general-image-recognition"}],
        },
    ],
}


class SeedError(ValueError):
    """A seed that cannot be applied: `path` is where (in the document, or the seeding call), `problem` what.

    A refused `FakeClarifai.add_*` call also names the `argument` at fault (`input_ids[1]`), and, when a seed
    document should say it otherwise, the problem in the document's words (`in_document`): `apply_seed`
    turns the call's error into one at the document path.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        source: str = "seed",
        *,
        argument: str | None = None,
        in_document: str | None = None,
    ) -> None:
        super().__init__(f"{source}: {path}: {problem}")
        self.path = path
        self.problem = problem
        self.argument = argument
        self.in_document = in_document


def read_seed(source: SeedSource) -> tuple[dict[str, Any], str]:
    """The seed document and a name for it (the file path, or "seed")."""
    if isinstance(source, Mapping):
        return dict(source), "seed"
    path = Path(source)
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except OSError as error:
        raise SeedError("$", f"cannot read the file: {error.strerror or error}", str(path)) from error
    except UnicodeDecodeError as error:
        raise SeedError(
            "$", f"not UTF-8: byte {error.object[error.start]:#04x} at offset {error.start}", str(path)
        ) from error
    except _NotJson as error:
        raise SeedError("$", f"not JSON: {error}", str(path)) from error
    except json.JSONDecodeError as error:
        raise SeedError("$", f"not JSON: {error.msg} at line {error.lineno} column {error.colno}", str(path)) from error
    if not isinstance(document, dict):
        raise SeedError("$", f"expected an object, got {type(document).__name__}", str(path))
    return document, str(path)


class _NotJson(ValueError):
    """A constant Python's JSON parser accepts and JSON does not have (NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


class _Checker:
    """Walks a seed document, raising SeedError at the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> SeedError:
        return SeedError(path, problem, self.source)

    def object(self, value: Any, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in value:
                raise self.fail(f"{path}.{key}", "required")
        return value

    def list(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type(value).__name__}")
        return value

    def id(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected a non-empty string, got {value!r}")
        return value

    def ids(self, value: Any, path: str) -> list[str]:
        return [self.id(item, f"{path}[{i}]") for i, item in enumerate(self.list(value, path))]


@dataclass(frozen=True)
class _Step:
    """One seeding call made for the document object at `path`; `renames` maps a call argument to the
    document path holding it (an argument not named there is the key of that name under `path`)."""

    path: str
    call: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)

    def where(self, argument: str | None) -> str:
        if argument is None:
            return self.path
        root = re.split(r"[.\[]", argument, maxsplit=1)[0]
        return self.renames.get(root, f"{self.path}.{root}") + argument[len(root) :]


def apply_seed(store: Store, source: SeedSource, seeders: Mapping[str, Callable[..., Any]]) -> None:
    """Check the document's shape, then apply it through `seeders` (the FakeClarifai seeding methods), which
    check what the document means (unknown users, taken ids and tokens, ...): a refused call is reported at
    the document path, and the store is put back as it was, so a bad seed changes nothing."""
    document, name = read_seed(source)
    steps = _steps(_Checker(name), document)
    with store.lock:
        before = store.snapshot()
        try:
            for step in steps:
                try:
                    seeders[step.call](*step.args, **step.kwargs)
                except SeedError as error:
                    where = step.where(error.argument)
                    raise SeedError(where, error.in_document or error.problem, name) from error
        except BaseException:
            store.restore(before)
            raise


def _steps(check: _Checker, document: Any) -> list[_Step]:
    """The seeding calls a well-shaped document asks for, in order (every user first, then each app)."""
    check.object(document, "$", {"users", "apps"})
    steps: list[_Step] = []
    for i, user in enumerate(check.list(document.get("users"), "users")):
        path = f"users[{i}]"
        check.object(user, path, {"id", "pats"}, {"id"})
        user_id = check.id(user["id"], f"{path}.id")
        pats = check.ids(user.get("pats"), f"{path}.pats") or [None]
        for j, pat in enumerate(pats):
            renames = {"user_id": f"{path}.id", "pat": f"{path}.pats[{j}]"}
            steps.append(_Step(path, "add_user", (user_id, pat), {"exist_ok": j > 0}, renames))
    for i, app in enumerate(check.list(document.get("apps"), "apps")):
        path = f"apps[{i}]"
        check.object(app, path, _APP_KEYS, {"user_id", "id"})
        owner = check.id(app["user_id"], f"{path}.user_id")
        app_id = check.id(app["id"], f"{path}.id")
        name = app.get("name", app_id)
        if not isinstance(name, str):
            raise check.fail(f"{path}.name", f"expected a string, got {name!r}")
        public = app.get("public", False)
        if not isinstance(public, bool):
            raise check.fail(f"{path}.public", f"expected true or false, got {public!r}")
        renames = {"app_id": f"{path}.id"}
        steps.append(_Step(path, "add_app", (owner, app_id), {"name": name, "public": public}, renames))
        for key, call in (("collaborators", "add_collaborator"), ("api_keys", "add_api_key")):
            for j, value in enumerate(check.ids(app.get(key), f"{path}.{key}")):
                item = f"{path}.{key}[{j}]"
                steps.append(_Step(item, call, (owner, app_id, value), {}, {"collaborator_id": item, "key": item}))
        for key, (call, kwargs) in _RECORDS.items():
            for j, record in enumerate(check.list(app.get(key), f"{path}.{key}")):
                item = f"{path}.{key}[{j}]"
                _check_record(check, key, record, item)
                steps.append(_Step(item, call, (owner, app_id), {**record, **kwargs}))
    return steps


_APP_KEYS = {"user_id", "id", "name", "collaborators", "api_keys", "public", "concepts", "inputs", "datasets"}
_APP_KEYS |= {"models", "workflows"}

# an app's records: the seeding call that makes one, and what it is told (a seed makes every record new)
_RECORDS: dict[str, tuple[str, dict[str, Any]]] = {
    "concepts": ("add_concept", {"replace": False}),
    "inputs": ("add_input", {}),
    "datasets": ("add_dataset", {}),
    "models": ("add_model", {"replace": False}),
    "workflows": ("add_workflow", {"replace": False}),
}

# each record's keys (required ones first: every record names its id) and which of them hold strings
_RECORD_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "concepts": ({"id", "name"}, {"id"}),
    "inputs": ({"id", "url", "text", "metadata"}, {"id"}),
    "datasets": ({"id", "input_ids"}, {"id"}),
    "models": ({"id", "version_id", "name", "predictions"}, {"id"}),
    "workflows": ({"id", "model_id", "version_id"}, {"id", "model_id"}),
}
_STRINGS = {"name", "url", "text"}
_IDS = {"id", "version_id", "model_id"}


def _check_record(check: _Checker, key: str, record: Any, path: str) -> None:
    """The shape of one record of an app: its keys and their types (what they mean, the seeding call checks)."""
    allowed, required = _RECORD_KEYS[key]
    check.object(record, path, allowed, required)
    for name, value in record.items():
        where = f"{path}.{name}"
        if name in _IDS:
            check.id(value, where)
        elif name in _STRINGS and not isinstance(value, str):
            raise check.fail(where, f"expected a string, got {value!r}")
    if "metadata" in record and not isinstance(record["metadata"], dict):
        raise check.fail(f"{path}.metadata", "expected an object")
    if "input_ids" in record:
        check.ids(record["input_ids"], f"{path}.input_ids")
    predictions = record.get("predictions", {})
    if not isinstance(predictions, dict):
        raise check.fail(f"{path}.predictions", "expected an object {input_id: {concept_id: score}}")
    for input_id, scores in predictions.items():
        if not isinstance(scores, dict):
            raise check.fail(f"{path}.predictions.{input_id}", "expected an object {concept_id: score}")
