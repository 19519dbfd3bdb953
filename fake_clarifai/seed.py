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

A malformed seed raises `SeedError` naming the JSON path (`apps[0].inputs[2].id`) and the problem;
nothing is applied unless the whole seed is valid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
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
    """A seed that cannot be applied: `path` is where in the document, `problem` what is wrong."""

    def __init__(self, path: str, problem: str, source: str = "seed") -> None:
        super().__init__(f"{source}: {path}: {problem}")
        self.path = path
        self.problem = problem


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

    def unique(self, values: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for i, value in enumerate(values):
            if value in seen:
                raise self.fail(f"{path}[{i}]", f"duplicate {what} {value!r}")
            seen.add(value)


def apply_seed(store: Store, source: SeedSource, seeders: Mapping[str, Callable[..., Any]]) -> None:
    """Validate the whole seed, then apply it through `seeders` (the FakeClarifai seeding methods)."""
    document, name = read_seed(source)
    check = _Checker(name)
    check.object(document, "$", {"users", "apps"})
    users = check.list(document.get("users"), "users")
    apps = check.list(document.get("apps"), "apps")
    known_users = set(store.users)
    tokens = set(store.tokens)
    plan: list[Callable[[], Any]] = []

    def token(value: Any, path: str) -> str:
        value = check.id(value, path)
        if value in tokens:
            raise check.fail(path, f"the token {value!r} is already in use")
        tokens.add(value)
        return value

    for i, user in enumerate(users):
        path = f"users[{i}]"
        check.object(user, path, {"id", "pats"}, {"id"})
        user_id = check.id(user["id"], f"{path}.id")
        if user_id in known_users:
            raise check.fail(f"{path}.id", f"user {user_id!r} already exists")
        known_users.add(user_id)
        pats = [token(p, f"{path}.pats[{j}]") for j, p in enumerate(check.list(user.get("pats"), f"{path}.pats"))]

        def seed_user(u: str = user_id, p: list[str] = pats) -> None:
            for pat in p or [None]:
                seeders["add_user"](u, pat)

        plan.append(seed_user)

    app_keys: set[tuple[str, str]] = set(store.apps)
    app_fields = {
        "user_id",
        "id",
        "name",
        "collaborators",
        "api_keys",
        "concepts",
        "inputs",
        "datasets",
        "models",
        "workflows",
        "public",
    }
    for i, app in enumerate(apps):
        path = f"apps[{i}]"
        check.object(app, path, app_fields, {"user_id", "id"})
        owner = check.id(app["user_id"], f"{path}.user_id")
        app_id = check.id(app["id"], f"{path}.id")
        if owner not in known_users:
            raise check.fail(f"{path}.user_id", f"no user {owner!r} (add it under users)")
        if (owner, app_id) in app_keys:
            raise check.fail(f"{path}.id", f"app {owner}/{app_id} already exists")
        app_keys.add((owner, app_id))
        collaborators = check.ids(app.get("collaborators"), f"{path}.collaborators")
        for j, collaborator in enumerate(collaborators):
            if collaborator not in known_users or collaborator == owner:
                raise check.fail(f"{path}.collaborators[{j}]", f"{collaborator!r} is not another seeded user")
        api_keys = check.list(app.get("api_keys"), f"{path}.api_keys")
        keys = [token(k, f"{path}.api_keys[{j}]") for j, k in enumerate(api_keys)]
        contents = _check_contents(check, app, path)
        name = app.get("name", app_id)
        if not isinstance(name, str):
            raise check.fail(f"{path}.name", f"expected a string, got {name!r}")
        public = app.get("public", False)
        if not isinstance(public, bool):
            raise check.fail(f"{path}.public", f"expected true or false, got {public!r}")

        def seed_app(
            o: str = owner,
            a: str = app_id,
            n: str = name,
            c: list[str] = collaborators,
            k: list[str] = keys,
            body: dict[str, list[dict[str, Any]]] = contents,
            p: bool = public,
        ) -> None:
            seeders["add_app"](o, a, name=n, public=p)
            for collaborator in c:
                seeders["add_collaborator"](o, a, collaborator)
            for key in k:
                seeders["add_api_key"](o, a, key)
            for concept in body["concepts"]:
                seeders["add_concept"](o, a, **concept)
            for item in body["inputs"]:
                seeders["add_input"](o, a, **item)
            for dataset in body["datasets"]:
                seeders["add_dataset"](o, a, **dataset)
            for model in body["models"]:
                seeders["add_model"](o, a, **model)
            for workflow in body["workflows"]:
                seeders["add_workflow"](o, a, **workflow)

        plan.append(seed_app)
    with store.lock:
        for step in plan:
            step()


def _check_contents(check: _Checker, app: dict[str, Any], path: str) -> dict[str, list[dict[str, Any]]]:
    def items(key: str, allowed: set[str], required: set[str]) -> list[dict[str, Any]]:
        found = [
            check.object(item, f"{path}.{key}[{j}]", allowed, required)
            for j, item in enumerate(check.list(app.get(key), f"{path}.{key}"))
        ]
        ids = [check.id(item["id"], f"{path}.{key}[{j}].id") for j, item in enumerate(found)]
        check.unique(ids, f"{path}.{key}", f"{key[:-1]} id")
        return found

    concepts = items("concepts", {"id", "name"}, {"id"})
    inputs = items("inputs", {"id", "url", "text", "metadata"}, {"id"})
    input_ids = {item["id"] for item in inputs}
    for j, item in enumerate(inputs):
        for key in ("url", "text"):
            if key in item and not isinstance(item[key], str):
                raise check.fail(f"{path}.inputs[{j}].{key}", f"expected a string, got {item[key]!r}")
        if "metadata" in item and not isinstance(item["metadata"], dict):
            raise check.fail(f"{path}.inputs[{j}].metadata", "expected an object")
    datasets = items("datasets", {"id", "input_ids"}, {"id"})
    for j, dataset in enumerate(datasets):
        for k, input_id in enumerate(check.ids(dataset.get("input_ids"), f"{path}.datasets[{j}].input_ids")):
            if input_id not in input_ids:
                raise check.fail(f"{path}.datasets[{j}].input_ids[{k}]", f"no input {input_id!r} in this app")
    models = items("models", {"id", "version_id", "name", "predictions"}, {"id"})
    for j, model in enumerate(models):
        if "version_id" in model:
            check.id(model["version_id"], f"{path}.models[{j}].version_id")
        predictions = model.get("predictions", {})
        if not isinstance(predictions, dict):
            raise check.fail(f"{path}.models[{j}].predictions", "expected an object {input_id: {concept_id: score}}")
        for input_id, scores in predictions.items():
            where = f"{path}.models[{j}].predictions.{input_id}"
            if not isinstance(scores, dict):
                raise check.fail(where, "expected an object {concept_id: score}")
            for concept_id, score in scores.items():
                if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
                    raise check.fail(f"{where}.{concept_id}", f"expected a score in [0, 1], got {score!r}")
    model_ids = {model["id"] for model in models}
    workflows = items("workflows", {"id", "model_id", "version_id"}, {"id", "model_id"})
    for j, workflow in enumerate(workflows):
        if workflow["model_id"] not in model_ids:
            raise check.fail(f"{path}.workflows[{j}].model_id", f"no model {workflow['model_id']!r} in this app")
    return {"concepts": concepts, "inputs": inputs, "datasets": datasets, "models": models, "workflows": workflows}
