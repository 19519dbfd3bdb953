"""The registry of emulated RPCs. Each module in this package registers its handlers with `@rpc`.

A handler is `handler(ctx: CallContext, request) -> response`: it reads like the docs/BEHAVIOUR.md rule it
implements, raises `ApiError` for any invalid request before it changes anything, and returns the
response message without a status (the wire fills in SUCCESS, `req_id` and error mapping).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from google.protobuf.message import Message

from fake_clarifai.context import CallContext
from fake_clarifai.store import AppState

if TYPE_CHECKING:
    from fake_clarifai.services.assembled import Assembled

Handler = Callable[[CallContext, Any], "Message | Assembled"]
Grant = Callable[[AppState, str, Any], bool]
Scope = Literal["app", "user"]


@dataclass(frozen=True)
class Route:
    """How the wire calls one RPC.

    `scope`: "app" RPCs act inside `user_app_id`'s app; "user" RPCs (PostApps, ListApps) act for a user.
    `grant`: for app RPCs, `grant(app, user_id, request)` says whether a caller who is neither owner nor
    collaborator may still make this call (a task's workers and reviewers, BEHAVIOUR.md §2).
    """

    name: str
    handler: Handler
    scope: Scope = "app"
    grant: Grant | None = None


ROUTES: dict[str, Route] = {}


def rpc(name: str, *, scope: Scope = "app", grant: Grant | None = None) -> Callable[[Handler], Handler]:
    """Register `handler` as the fake's implementation of `clarifai.api.V2/<name>`."""

    def register(handler: Handler) -> Handler:
        if name in ROUTES:
            raise RuntimeError(f"{name} is registered twice: {ROUTES[name].handler} and {handler}")
        ROUTES[name] = Route(name=name, handler=handler, scope=scope, grant=grant)
        return handler

    return register


def load_all() -> dict[str, Route]:
    """Import every module of this package (which registers their RPCs) and return the routes."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return ROUTES
