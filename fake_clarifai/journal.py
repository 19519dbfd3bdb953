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
from typing import Any

import grpc
from google.protobuf.message import Message

from fake_clarifai.errors import Code
from fake_clarifai.faults import Outcome

DEFAULT_LIMIT = 1_000
DEFAULT_BYTE_LIMIT = 64 * 1024 * 1024  # serialized requests and responses kept, all calls together


@dataclass(slots=True, unsafe_hash=True)
class Kept:
    """A message kept as its serialized bytes: compact, and immune to later changes of the original.

    Never changed once made, but not frozen: a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`, and every call makes two of these (its request and its response).
    """

    type: type[Message]
    data: bytes

    @classmethod
    def of(cls, message: Any) -> Kept | None:
        """`message` kept; None for no message (an unknown method's raw bytes, or a request stream)."""
        return cls(type(message), message.SerializeToString()) if isinstance(message, Message) else None

    def message(self) -> Message:
        return self.type.FromString(self.data)


@dataclass(frozen=True, slots=True)
class Call:
    """One call as the fake saw it.

    `method`: the V2 method name (the full path for a method of another service). `request`: the request
    as it arrived, before the handler ran (None when the method is unknown). `response`: what was answered
    (None when the call ended with a gRPC error). Both are parsed afresh on each access. `status_code`: the
    response's Clarifai status code, or None. `grpc_code`: OK, or the gRPC error the call ended with
    (injected, or UNIMPLEMENTED). `user_id`: the caller named by the authorization header, None when it
    names nobody. `time`: the fake clock's reading when the call arrived. `fault`: the injected outcome the
    call took, None when it ran untouched.
    """

    method: str
    kept_request: Kept | None
    kept_response: Kept | None
    status_code: int | None
    grpc_code: grpc.StatusCode
    user_id: str | None
    time: float
    fault: Outcome | None = None

    @property
    def request(self) -> Message | None:
        return self.kept_request.message() if self.kept_request is not None else None

    @property
    def response(self) -> Message | None:
        return self.kept_response.message() if self.kept_response is not None else None

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

    Keeps the newest `limit` calls whose kept requests and responses total at most `byte_limit` bytes
    (the newest call is always kept), so a long-running server does not grow without bound; `dropped`
    counts the older ones it let go, oldest first, and the counting assertions refuse to answer once it has
    dropped any.
    A call is kept as the tuple of its `Call` fields and read as a new `Call` each time (recording is on
    every call's path; making a frozen dataclass there cost more than the rest of the journal).
    """

    def __init__(self, limit: int = DEFAULT_LIMIT, byte_limit: int = DEFAULT_BYTE_LIMIT) -> None:
        if limit < 1:
            raise ValueError(f"the journal limit must be at least 1, got {limit}")
        if byte_limit < 0:
            raise ValueError(f"the journal byte limit must not be negative, got {byte_limit}")
        self._lock = threading.Lock()
        self._calls: deque[tuple[Any, ...]] = deque(maxlen=limit)
        self._sizes: deque[int] = deque(maxlen=limit)
        self.limit: int = limit  # fixed: the deques' maxlen
        self.byte_limit = byte_limit
        self.bytes = 0
        self.dropped = 0

    def record(
        self,
        method: str,
        kept_request: Kept | None,
        kept_response: Kept | None,
        status_code: int | None,
        grpc_code: grpc.StatusCode,
        user_id: str | None,
        time: float,
        fault: Outcome | None,
    ) -> None:
        """Keep one call (the fields of `Call`)."""
        fields = (method, kept_request, kept_response, status_code, grpc_code, user_id, time, fault)
        size = (len(kept_request.data) if kept_request is not None else 0) + (
            len(kept_response.data) if kept_response is not None else 0
        )
        with self._lock:
            calls, sizes = self._calls, self._sizes
            if len(calls) == self.limit:  # appending lets the oldest go (the deques' maxlen)
                self.bytes -= sizes[0]
                self.dropped += 1
            calls.append(fields)
            sizes.append(size)
            self.bytes += size
            while self.bytes > self.byte_limit and len(calls) > 1:
                calls.popleft()
                self.bytes -= sizes.popleft()
                self.dropped += 1

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._sizes.clear()
            self.bytes = 0
            self.dropped = 0

    def calls(
        self, method: str | None = None, *, user_id: str | None = None, status_code: int | None = None
    ) -> list[Call]:
        """The calls, oldest first, optionally only those of `method`, by `user_id`, answered `status_code`."""
        with self._lock:
            calls = [Call(*fields) for fields in self._calls]
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
        if times is not None and self.dropped:
            raise AssertionError(
                f"cannot count calls of {method}: the journal dropped its {self.dropped} oldest calls "
                f"(it keeps the newest {self.limit} calls within {self.byte_limit} bytes; raise "
                "FakeClarifai(journal_limit=..., journal_byte_limit=...))"
            )
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
