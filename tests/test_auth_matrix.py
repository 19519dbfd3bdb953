"""The auth matrix (BEHAVIOUR.md §2): every emulated RPC × every kind of caller, with a valid request for owner/main.

Rejected callers get the §2 status and change nothing; the owner and a collaborator get SUCCESS on
app-level RPCs (except the owner-only ones below); user-level RPCs (PostApps, ListApps) act only for the
token's own user, so naming user "owner" with anyone else's token is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2
from rpc_world import MAIN, Populated, labeling_task, owner_call, populate, tags, valid_request

from fake_clarifai.auth import MALFORMED_HEADER
from fake_clarifai.server import FakeClarifai, Metadata
from fake_clarifai.services import load_all

ROUTES = load_all()
OWNER_ONLY = {  # [policy] apps.py
    "PostCollaborators": "only the app owner 'owner' can add collaborators",
    "DeleteCollaborators": "only the app owner 'owner' can delete collaborators",
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


# -- a task-only worker: a worker of one task who is not an app member ---------------------------------
TASK_ONLY = FakeClarifai.metadata("outsider-pat")
OUTSIDE_THE_TASK = "in-2"  # exists in owner/main, not in the task's dataset
MISSING = "no-such-thing"


@pytest.fixture
def task_only_world(clarifai_fake: FakeClarifai) -> str:
    """In owner/main: in-1 (in the task's dataset ds-1, LABEL_STARTed by the outsider), in-2 (not in it,
    with the owner's annotation ann-2) and a DYNAMIC task whose only worker is "outsider"; returns the task id."""
    for input_id in ("in-1", "in-2"):
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds-1", ["in-1"])
    owner_call(
        clarifai_fake,
        "PostAnnotations",
        service_pb2.PostAnnotationsRequest(
            annotations=[resources_pb2.Annotation(id="ann-2", input_id="in-2", data=tags("water"))]
        ),
    )
    task = labeling_task()
    task.input_source.CopyFrom(resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.DATASET, id="ds-1"))
    del task.worker.workers[:]
    task.worker.workers.add(user=resources_pb2.User(id="outsider"))
    task_id = owner_call(clarifai_fake, "PostTasks", service_pb2.PostTasksRequest(tasks=[task])).tasks[0].id
    start = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id=task_id, action=service_pb2.LABEL_START)
    assert clarifai_fake.servicer.call("PutTaskAssignments", start, TASK_ONLY).status.code == status_code_pb2.SUCCESS
    return task_id


def task_annotation(task_id: str, input_id: str, annotation_id: str = "") -> service_pb2.PostAnnotationsRequest:
    annotation = resources_pb2.Annotation(id=annotation_id, input_id=input_id, task_id=task_id, data=tags("water"))
    return service_pb2.PostAnnotationsRequest(user_app_id=MAIN, annotations=[annotation])


PROBES = {
    "PostAnnotations input": lambda task_id, probe: ("PostAnnotations", task_annotation(task_id, probe)),
    "PostAnnotations id on an unassigned input": lambda task_id, probe: (
        "PostAnnotations",
        task_annotation(task_id, OUTSIDE_THE_TASK, probe),
    ),
    "PostAnnotations id on its own input": lambda task_id, probe: (
        "PostAnnotations",
        task_annotation(task_id, "in-1", probe),
    ),
    "GetInput": lambda task_id, probe: ("GetInput", service_pb2.GetInputRequest(user_app_id=MAIN, input_id=probe)),
    "PutTaskAssignments input_id": lambda task_id, probe: (
        "PutTaskAssignments",
        service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id=task_id, input_id=probe),
    ),
    "ListAnnotations input_ids": lambda task_id, probe: (
        "ListAnnotations",
        service_pb2.ListAnnotationsRequest(user_app_id=MAIN, task_id=task_id, input_ids=[probe]),
    ),
}
CHOSEN_ID = (
    "TASK_PERMISSION_DENIED",
    "annotations[0].id: user 'outsider' is not an app member and cannot choose annotation ids: leave it empty",
)
# probe -> (an id that exists outside the task, the one answer for it and for a missing id)
UNIFORM = {
    "PostAnnotations input": (
        OUTSIDE_THE_TASK,
        (
            "TASK_PERMISSION_DENIED",
            "annotations[0].input_id '<id>' is not assigned to user 'outsider' in task '<task>'",
        ),
    ),
    "PostAnnotations id on an unassigned input": ("ann-2", CHOSEN_ID),
    "PostAnnotations id on its own input": ("ann-2", CHOSEN_ID),
    "GetInput": (OUTSIDE_THE_TASK, ("CONN_KEY_INVALID", "user 'outsider' has no access to app 'owner/main'")),
    "PutTaskAssignments input_id": (
        OUTSIDE_THE_TASK,
        ("TASK_PERMISSION_DENIED", "input_id '<id>' is not assigned to user 'outsider' in task '<task>'"),
    ),
    "ListAnnotations input_ids": (OUTSIDE_THE_TASK, ("SUCCESS", "")),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_a_task_only_worker_gets_one_answer_for_not_yours_and_does_not_exist(
    probe: str, task_only_world: str, clarifai_fake: FakeClarifai
) -> None:
    existing, answer = UNIFORM[probe]
    before = clarifai_fake.dump_state()
    for probed in (existing, MISSING):
        method, request = PROBES[probe](task_only_world, probed)
        response = clarifai_fake.servicer.call(method, request, TASK_ONLY)
        details = response.status.details.replace(probed, "<id>").replace(task_only_world, "<task>")
        assert (status_code_pb2.StatusCode.Name(response.status.code), details) == answer, probed
        assert list(getattr(response, "annotations", [])) == [], probed
    assert clarifai_fake.dump_state() == before
