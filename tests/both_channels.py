"""Run a test module over both channels and hold them to the same answers: import `clarifai_fake` and
`clarifai_stub` from here into the module.

Every test then runs twice, `[loopback]` and `[inprocess]`, on a seeded fake with a manual clock (so ids
and timestamps repeat after each reset). After the loopback run its transcript is kept — every call's
method, gRPC code and response (less `req_id`, drawn from a generator that is never rewound) — and the
whole state; the in-process run must end with the same transcript and state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2_grpc

from fake_clarifai import Clock, FakeClarifai
from fake_clarifai.plugin import _seeded_server
from fake_clarifai.seed import DEFAULT_SEED

__all__ = ["clarifai_fake", "clarifai_stub", "seeded_fake_server", "seeded_fake_stubs"]

CHANNELS = ["loopback", "inprocess"]
_LOOPBACK_RECORDS: dict[tuple[str, str], Any] = {}


@pytest.fixture(scope="session")
def seeded_fake_server() -> Iterator[FakeClarifai]:
    yield from _seeded_server(FakeClarifai(seed=17, clock=Clock(start=1_700_000_000)), DEFAULT_SEED)


@pytest.fixture
def clarifai_fake(seeded_fake_server: FakeClarifai) -> FakeClarifai:
    seeded_fake_server.reset()
    return seeded_fake_server


@pytest.fixture(scope="session")
def seeded_fake_stubs(seeded_fake_server: FakeClarifai) -> dict[str, service_pb2_grpc.V2Stub]:
    return {"loopback": seeded_fake_server.stub(), "inprocess": seeded_fake_server.inprocess_stub()}


@pytest.fixture(params=CHANNELS)
def clarifai_stub(
    request: pytest.FixtureRequest, clarifai_fake: FakeClarifai, seeded_fake_stubs: dict[str, service_pb2_grpc.V2Stub]
) -> Iterator[service_pb2_grpc.V2Stub]:
    yield seeded_fake_stubs[request.param]
    others = {name: repr(value) for name, value in request.node.callspec.params.items() if name != "clarifai_stub"}
    key = (request.node.nodeid.split("[")[0], repr(sorted(others.items())))
    record = (transcript(clarifai_fake), clarifai_fake.dump_state())
    if request.param == "loopback":
        _LOOPBACK_RECORDS[key] = record
    elif key in _LOOPBACK_RECORDS:
        loopback = _LOOPBACK_RECORDS.pop(key)
        assert record[0] == loopback[0], "the in-process channel answered differently"
        assert record[1] == loopback[1], "the in-process channel left a different state"


def transcript(fake: FakeClarifai) -> list[tuple[str, str, bytes | None]]:
    calls = []
    for call in fake.journal:
        response = call.response
        if response is not None:
            response.status.ClearField("req_id")
        answer = None if response is None else response.SerializeToString(deterministic=True)
        calls.append((call.method, call.grpc_code.name, answer))
    return calls
