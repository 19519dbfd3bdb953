"""BEHAVIOUR.md §2: who is calling, and which app the call may touch."""

from __future__ import annotations

from collections.abc import Sequence

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.context import CallContext, Caller
from fake_clarifai.errors import ApiError, Code
from fake_clarifai.services import Route
from fake_clarifai.store import Store, Token

MALFORMED_HEADER = "Empty or malformed authorization header: send metadata ('authorization', 'Key <PAT or API key>')"


Metadata = Sequence[tuple[str, str | bytes]]
CALLERS_LIMIT = 4096  # authorization headers remembered per servicer


class Callers:
    """The caller of each authorization header seen, remembered with the store's `Token` it was made from.

    A remembered caller is answered only while `store.tokens` still holds that very `Token` object (one
    lookup), so a token deleted (DeleteApp takes its app's keys), replaced, or not in the state a restore or
    reset went back to stops authenticating at once, with nothing to invalidate. Only tokens that
    authenticated are remembered, and at most `CALLERS_LIMIT` headers (then the memory starts afresh).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[str | bytes, tuple[Token, Caller]] = {}

    def caller(self, metadata: Metadata) -> Caller:
        """`authenticate(store, metadata)`, from memory when its token is unchanged. Hold the store lock."""
        header = authorization(metadata)
        known = self._known.get(header) if header is not None else None
        if known is not None and self.store.tokens.get(known[0].value) is known[0]:
            return known[1]
        caller = authenticate(self.store, metadata)
        if header is not None:
            if len(self._known) >= CALLERS_LIMIT:
                self._known.clear()
            self._known[header] = (self.store.tokens[caller.token], caller)
        return caller


def authorization(metadata: Metadata) -> str | bytes | None:
    """The value of the first `authorization` entry (any case), None without one."""
    for key, value in metadata:
        if key == "authorization" or key.lower() == "authorization":
            return value
    return None


def authenticate(store: Store, metadata: Metadata) -> Caller:
    """The caller named by the `authorization: Key <token>` header."""
    header = authorization(metadata)
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
    user_id, app_id = (ids.user_id, ids.app_id) if ids is not None else ("", "")
    if user_id in ("", "me"):
        user_id = caller.user_id
    if route.scope == "user":
        if caller.key_app_id is not None:
            raise ApiError(Code.CONN_KEY_INVALID, f"{method} is a user-level call: use a PAT, not an app key")
        if user_id != caller.user_id:
            raise ApiError(Code.CONN_KEY_INVALID, f"the key cannot act for user '{user_id}'")
        return CallContext(store, caller, method)
    if caller.key_app_id is not None:
        if not app_id and user_id == caller.user_id:
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
    granted = (
        user_id == caller.user_id  # the owner (apps are stored by their owner's id): no need to read the App
        or app.is_member(caller.user_id)
        or (app.public and is_read(route.name))
        or (route.grant is not None and route.grant(app, caller.user_id, request))
    )
    if not granted:
        raise ApiError(Code.CONN_KEY_INVALID, f"user '{caller.user_id}' has no access to app '{user_id}/{app_id}'")
    return CallContext(store, caller, method, app)


def is_read(method: str) -> bool:
    """What any valid key may call on a public app such as clarifai/main: reads (Get…, List…) only [policy]."""
    return method.startswith(("Get", "List"))


def _shown(token: str) -> str:
    return token if len(token) <= 8 else f"{token[:4]}…{token[-2:]}"

