"""What a handler gets for one call: the store, the authenticated caller, and the app in play."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.errors import ApiError, Code
from fake_clarifai.ids import to_timestamp
from fake_clarifai.store import AppState, Store


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's user, and the app an app-specific key is bound to."""

    user_id: str
    token: str
    key_app_id: str | None = None


@dataclass(slots=True)
class CallContext:
    store: Store
    caller: Caller
    method: str
    app_state: AppState | None = None

    @property
    def app(self) -> AppState:
        if self.app_state is None:
            raise ApiError(Code.CONN_INVALID_REQUEST, f"{self.method} needs an app: set user_app_id.app_id")
        return self.app_state

    def new_id(self) -> str:
        return self.store.ids.new_id()

    def now(self) -> float:
        return self.store.clock.now()

    def timestamp(self) -> Timestamp:
        return to_timestamp(self.store.clock.now())
