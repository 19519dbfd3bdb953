"""BEHAVIOUR.md §2: who is calling, and which app the call may touch."""

from __future__ import annotations

from collections.abc import Sequence

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.context import CallContext, Caller
from fake_clarifai.errors import ApiError, Code
from fake_clarifai.services import Route
from fake_clarifai.store import Store

MALFORMED_HEADER = "Empty or malformed authorization header: send metadata ('authorization', 'Key <PAT or API key>')"


def authenticate(store: Store, metadata: Sequence[tuple[str, str | bytes]]) -> Caller:
    """The caller named by the `authorization: Key <token>` header."""
    header = next((value for key, value in metadata if key.lower() == "authorization"), None)
    if isinstance(header, bytes):
        header = header.decode("utf-8", "replace")
    if not header or not header.startswith("Key ") or not header[4:].strip():
        raise ApiError(Code.CONN_INVALID_REQUEST, MALFORMED_HEADER)
    value = header[4:].strip()
    token = store.tokens.get(value)
    if token is None:
        raise ApiError(Code.CONN_KEY_INVALID, f"the key '{_shown(value)}' is not a known PAT or API key")
    return Caller(user_id=token.user_id, token=value, key_app_id=token.app_id)


def enter(store: Store, caller: Caller, route: Route, request: object, method: str) -> CallContext:
    """Resolve `request.user_app_id` for `caller` and check access; returns the handler's context."""
    ids: resources_pb2.UserAppIDSet | None = getattr(request, "user_app_id", None)
    user_id = ids.user_id if ids is not None else ""
    app_id = ids.app_id if ids is not None else ""
    if user_id in ("", "me"):
        user_id = caller.user_id
    ctx = CallContext(store=store, caller=caller, method=method)
    if route.scope == "user":
        if caller.key_app_id is not None:
            raise ApiError(Code.CONN_KEY_INVALID, f"{method} is a user-level call: use a PAT, not an app key")
        if user_id != caller.user_id:
            raise ApiError(Code.CONN_KEY_INVALID, f"the key cannot act for user '{user_id}'")
        return ctx
    if caller.key_app_id is not None:
        if (ids is None or not ids.app_id) and user_id == caller.user_id:
            app_id = caller.key_app_id
        if (user_id, app_id) != (caller.user_id, caller.key_app_id):
            raise ApiError(Code.CONN_KEY_INVALID, f"the app key is bound to app '{caller.key_app_id}', not '{app_id}'")
    if not app_id:
        raise ApiError(Code.CONN_INVALID_REQUEST, "user_app_id.app_id is required when calling with a PAT")
    app = store.app(user_id, app_id)
    if app is None:
        if user_id == caller.user_id:
            raise ApiError(Code.CONN_DOES_NOT_EXIST, f"app '{app_id}' of user '{user_id}' does not exist")
        raise ApiError(Code.CONN_KEY_INVALID, f"user '{caller.user_id}' has no access to app '{user_id}/{app_id}'")
    ctx.app_state = app
    granted = (
        app.is_member(caller.user_id)
        or (app.public and is_read(route.name))
        or (route.grant is not None and route.grant(app, caller.user_id, request))
    )
    if not granted:
        raise ApiError(Code.CONN_KEY_INVALID, f"user '{caller.user_id}' has no access to app '{user_id}/{app_id}'")
    return ctx


def is_read(method: str) -> bool:
    """What any valid key may call on a public app such as clarifai/main: reads (Get…, List…) only [policy]."""
    return method.startswith(("Get", "List"))


def _shown(token: str) -> str:
    return token if len(token) <= 8 else f"{token[:4]}…{token[-2:]}"

