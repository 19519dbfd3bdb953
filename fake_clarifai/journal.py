"""The journal: every call the fake received, in arrival order, with helpers to filter and assert.

>>> fake.journal.assert_called("PostTasks", times=1)
>>> fake.journal.last("PostTasks").response.tasks[0].id
>>> [c.user_id for c in fake.journal.calls("PutTaskAssignments")]
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message

from fake_clarifai.errors import Code
from fake_clarifai.faults import Outcome


@dataclass(frozen=True, slots=True)
class Call:
    """One call as the fake saw it.

    `method`: the V2 method name (the full path for a method of another service). `request`: a copy taken
    before the handler ran (None when the method is unknown). `response`: what was answered (None when
    the call ended with a gRPC error). `status_code`: the response's Clarifai status code, or None.
    `grpc_code`: OK, or the gRPC error the call ended with (injected, or UNIMPLEMENTED). `user_id`: the
    caller named by the authorization header, None when it names nobody. `time`: the fake clock's reading
    when the call arrived. `fault`: the injected outcome the call took, None when it ran untouched.
    """

    method: str
    request: Message | None
    response: Message | None
    status_code: int | None
    grpc_code: grpc.StatusCode
    user_id: str | None
    time: float
    fault: Outcome | None = None

    @property
    def succeeded(self) -> bool:
        """gRPC OK and Clarifai SUCCESS."""
        return self.status_code == Code.SUCCESS

    def __str__(self) -> str:
        if self.status_code is None:
            outcome = self.grpc_code.name
        else:
            outcome = Code.Name(self.status_code) if self.status_code in Code.values() else str(self.status_code)
        return f"{self.method} by {self.user_id or '<nobody>'} -> {outcome}"


class Journal:
    """The calls received since the last `clear()` (the fake clears it on `reset()`).

    Keeps the newest `limit` calls, so a long-running server does not grow without bound.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._calls: deque[Call] = deque(maxlen=limit)

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def calls(
        self, method: str | None = None, *, user_id: str | None = None, status_code: int | None = None
    ) -> list[Call]:
        """The calls, oldest first, optionally only those of `method`, by `user_id`, answered `status_code`."""
        with self._lock:
            calls = list(self._calls)
        return [
            call
            for call in calls
            if (method is None or call.method == method)
            and (user_id is None or call.user_id == user_id)
            and (status_code is None or call.status_code == status_code)
        ]

    def last(self, method: str | None = None) -> Call:
        """The newest call (of `method`); AssertionError when there is none."""
        calls = self.calls(method)
        if not calls:
            raise AssertionError(f"no call of {method or 'any method'} in the journal{self._listing()}")
        return calls[-1]

    def assert_called(self, method: str, *, times: int | None = None, user_id: str | None = None) -> list[Call]:
        """Assert `method` was called (exactly `times` times, when given; by `user_id`, when given)."""
        calls = self.calls(method, user_id=user_id)
        who = f" by {user_id}" if user_id is not None else ""
        if times is None and not calls:
            raise AssertionError(f"{method} was not called{who}{self._listing()}")
        if times is not None and len(calls) != times:
            raise AssertionError(f"{method} was called {len(calls)} times{who}, expected {times}{self._listing()}")
        return calls

    def assert_not_called(self, method: str) -> None:
        self.assert_called(method, times=0)

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls())

    def _listing(self) -> str:
        calls = self.calls()
        if not calls:
            return " (the journal is empty)"
        shown = "\n  ".join(str(call) for call in calls[-20:])
        return f"; the journal holds {len(calls)} calls, the newest:\n  {shown}"
