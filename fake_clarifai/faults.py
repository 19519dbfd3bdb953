"""Fault injection: what the next calls of a method do instead of (or before) running normally.

Each call of a V2 method takes the next queued outcome for that method, else the next one queued for
every method (`ANY_METHOD`), else proceeds. Outcomes act before authentication and before the handler,
so a failed call changes no state:

- `GrpcFault(code)`: the call ends with that gRPC status (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
- `StatusFault(code, details)`: gRPC OK, answered with that Clarifai `status`; the handler does not run.
- `Delay(seconds)`: the call sleeps (holding no lock), then proceeds.
- `PROCEED`: the call runs normally (a placeholder in a script).

>>> fake.faults.fail_next("PostTasks", grpc.StatusCode.UNAVAILABLE, times=2)
>>> fake.faults.script("PostTasks", [UNAVAILABLE, Delay(0.5), PROCEED, StatusFault(Code.CONN_THROTTLED)])
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from clarifai_grpc.grpc.api import service_pb2

from fake_clarifai.errors import Code

ANY_METHOD = "*"
_METHODS = frozenset(m.name for m in service_pb2.DESCRIPTOR.services_by_name["V2"].methods)


@dataclass(frozen=True, slots=True)
class GrpcFault:
    """End the call with gRPC status `code` (never OK); `details` defaults to a message naming the fault."""

    code: grpc.StatusCode
    details: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, grpc.StatusCode) or self.code is grpc.StatusCode.OK:
            raise ValueError(f"GrpcFault needs a grpc.StatusCode other than OK, got {self.code!r}")

    def details_for(self, method: str) -> str:
        return self.details or f"fake_clarifai injected {self.code.name} for {method}"


@dataclass(frozen=True, slots=True)
class StatusFault:
    """Answer gRPC OK with Clarifai status `code` (never SUCCESS) and `details`; nothing changes."""

    code: int
    details: str = ""

    def __post_init__(self) -> None:
        if self.code not in Code.values() or self.code == Code.SUCCESS:
            raise ValueError(f"StatusFault needs a non-SUCCESS clarifai StatusCode, got {self.code!r}")

    def details_for(self, method: str) -> str:
        return self.details or f"fake_clarifai injected {Code.Name(self.code)} for {method}"


@dataclass(frozen=True, slots=True)
class Delay:
    """Sleep `seconds` before running the call normally."""

    seconds: float

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError(f"Delay needs seconds >= 0, got {self.seconds!r}")


@dataclass(frozen=True, slots=True)
class Proceed:
    """Run the call normally."""


Outcome = GrpcFault | StatusFault | Delay | Proceed

PROCEED = Proceed()
UNAVAILABLE = GrpcFault(grpc.StatusCode.UNAVAILABLE)
DEADLINE_EXCEEDED = GrpcFault(grpc.StatusCode.DEADLINE_EXCEEDED)


class Faults:
    """The queued outcomes per method (`fake.faults`). Thread-safe; `clear()` drops everything."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Outcome]] = {}  # only methods with outcomes queued

    def fail_next(
        self, method: str, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, *, times: int = 1, details: str = ""
    ) -> None:
        """The next `times` calls of `method` end with gRPC status `code`."""
        self._queue(method, [GrpcFault(code, details)] * _count(times))

    def clarifai_status(self, method: str, code: int, details: str = "", *, times: int = 1) -> None:
        """The next `times` calls of `method` answer gRPC OK with Clarifai status `code` and change nothing."""
        self._queue(method, [StatusFault(code, details)] * _count(times))

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` wait `seconds`, then run normally."""
        self._queue(method, [Delay(seconds)] * _count(times))

    def script(self, method: str, outcomes: Iterable[Outcome]) -> None:
        """The next calls of `method` take `outcomes` in order (like respx's `side_effect=[...]`)."""
        outcomes = list(outcomes)
        for i, outcome in enumerate(outcomes):
            if not isinstance(outcome, GrpcFault | StatusFault | Delay | Proceed):
                raise TypeError(f"outcomes[{i}] is {outcome!r}: use GrpcFault, StatusFault, Delay or PROCEED")
        self._queue(method, outcomes)

    def pending(self, method: str) -> list[Outcome]:
        """The outcomes still queued for `method` (or for `ANY_METHOD`), next first."""
        with self._lock:
            return list(self._queues.get(method, ()))

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()

    def take(self, method: str) -> Outcome:
        """The outcome for this call of `method` (the wire calls this once per call). With nothing queued
        it is one test of the (then empty) dict of queues, without the lock."""
        if not self._queues:
            return PROCEED
        with self._lock:
            for key in (method, ANY_METHOD):
                queue = self._queues.get(key)
                if queue:
                    outcome = queue.popleft()
                    if not queue:
                        del self._queues[key]
                    return outcome
            return PROCEED

    def _queue(self, method: str, outcomes: list[Outcome]) -> None:
        if method != ANY_METHOD and method not in _METHODS:
            raise ValueError(f"{method!r} is not a clarifai.api.V2 method (use ANY_METHOD, '*', for every method)")
        if outcomes:
            with self._lock:
                self._queues.setdefault(method, deque()).extend(outcomes)


def _count(times: int) -> int:
    if times < 1:
        raise ValueError(f"times must be at least 1, got {times!r}")
    return times
