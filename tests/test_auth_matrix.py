"""The auth matrix (SPEC §2): every emulated RPC × every kind of caller, with a valid request for owner/main.

Rejected callers get the §2 status and change nothing; the owner and a collaborator get SUCCESS on
app-level RPCs (except the owner-only ones below); user-level RPCs (PostApps, ListApps) act only for the
token's own user, so naming user "owner" with anyone else's token is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from clarifai_grpc.grpc.api import service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2
from rpc_world import Populated, populate, valid_request

from fake_clarifai.auth import MALFORMED_HEADER
from fake_clarifai.server import FakeClarifai, Metadata
from fake_clarifai.services import load_all

ROUTES = load_all()
OWNER_ONLY = {  # [policy] apps.py
    "PostCollaborators": "only the app owner 'owner' can add collaborators",
    "PatchApp": "only the app owner 'owner' can patch the app",
    "DeleteApp": "only the app owner 'owner' can delete the app",
}
KEY_INVALID = status_code_pb2.CONN_KEY_INVALID
INVALID_REQUEST = status_code_pb2.CONN_INVALID_REQUEST


@dataclass(frozen=True)
class Caller:
    name: str
    metadata: Metadata
    allowed: bool  # may act on owner/main (app-level RPCs)
    is_owner: bool = False


CALLERS = [
    Caller("no header", (), allowed=False),
    Caller("malformed: no Key prefix", (("authorization", "owner-pat"),), allowed=False),
    Caller("malformed: Bearer", (("authorization", "Bearer owner-pat"),), allowed=False),
    Caller("unknown key", FakeClarifai.metadata("no-such-key"), allowed=False),
    Caller("other user's PAT", FakeClarifai.metadata("outsider-pat"), allowed=False),
    Caller("app key of another app", FakeClarifai.metadata("elsewhere-app-key"), allowed=False),
    Caller("collaborator", FakeClarifai.metadata("labeler-1-pat"), allowed=True),
    Caller("owner", FakeClarifai.metadata("owner-pat"), allowed=True, is_owner=True),
]


@dataclass(frozen=True)
class Expected:
    code: int
    details_start: str = ""


def expected(method: str, caller: Caller) -> Expected:
    if not caller.metadata or caller.name.startswith("malformed"):
        return Expected(INVALID_REQUEST, MALFORMED_HEADER)
    if caller.is_owner:
        return Expected(status_code_pb2.SUCCESS)
    if not caller.allowed or ROUTES[method].scope == "user":
        return Expected(KEY_INVALID)
    if method in OWNER_ONLY:
        return Expected(KEY_INVALID, OWNER_ONLY[method])
    return Expected(status_code_pb2.SUCCESS)


@pytest.fixture(scope="module")
def world(clarifai_server: FakeClarifai) -> Iterator[Populated]:
    yield populate(clarifai_server)
    clarifai_server.reset()


@pytest.fixture(scope="module")
def stub(clarifai_server: FakeClarifai) -> service_pb2_grpc.V2Stub:
    return clarifai_server.stub()


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
@pytest.mark.parametrize("method", sorted(ROUTES))
def test_every_rpc_answers_every_caller_as_spec_section_2_says(method, caller, world, stub, clarifai_server):
    clarifai_server.restore(world.snapshot)
    before = clarifai_server.dump_state()
    response = getattr(stub, method)(valid_request(method, world.world), metadata=caller.metadata)
    want = expected(method, caller)
    assert response.status.code == want.code, response.status
    assert response.status.details.startswith(want.details_start), response.status
    if want.code == KEY_INVALID:
        assert response.status.description == "Invalid API key or Invalid API key/application pair"
    if want.code != status_code_pb2.SUCCESS:
        assert clarifai_server.dump_state() == before
