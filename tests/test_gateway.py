"""The JSON/HTTP gateway: routes from the descriptors, requests decoded as GRPCJSONChannel encodes them,
the same wrapper as gRPC, Clarifai statuses as HTTP codes."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import grpc
import pytest
from clarifai_grpc.channel.custom_converters.custom_dict_to_message import dict_to_protobuf
from clarifai_grpc.channel.custom_converters.custom_message_to_dict import protobuf_to_dict
from clarifai_grpc.channel.http_client import HttpClient
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf import descriptor
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai import gateway
from fake_clarifai.auth import MALFORMED_HEADER
from fake_clarifai.errors import Code
from fake_clarifai.gateway import (
    BadRequest,
    Router,
    decode_request,
    http_bindings,
    http_status,
    json_stub,
    response_document,
)
from fake_clarifai.ids import Clock
from fake_clarifai.seed import DEFAULT_SEED
from fake_clarifai.server import FakeClarifai

requests = pytest.importorskip("requests", reason="ClarifaiChannel.get_json_channel needs requests (dev extra)")

# the HTTP bindings of the V2 RPCs as clarifai-grpc's descriptors declared them when the gateway was written
BINDINGS_REFERENCE = Path(__file__).parent / "data/v2-task-rpcs-http-bindings.txt"
APP = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
OWNER = FakeClarifai.metadata("owner-pat")
TASK_PATH = "/v2/users/owner/apps/main/tasks"


def key(token: str) -> dict[str, str]:
    return {"Authorization": f"Key {token}"}


OWNER_KEY = key("owner-pat")


def dynamic_task(name: str, concept_id: str, worker: str) -> resources_pb2.Task:
    """A task the JSON client can send: `concept_ids`, since a `Concept` message trips its converter on
    protobuf 7 (see test_concepts_through_the_json_client)."""
    return resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name=name,
        concept_ids=[concept_id],
        worker=resources_pb2.TaskWorker(
            strategy=resources_pb2.TaskWorker.DYNAMIC,
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=worker))],
        ),
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
    )


# -- routes -------------------------------------------------------------------------------------------
def test_routes_are_the_http_bindings_of_the_descriptors() -> None:
    expected: dict[str, list[tuple[str, str]]] = {}
    method = ""
    for line in BINDINGS_REFERENCE.read_text().splitlines():
        if match := re.match(r"^(\w+): ", line):
            method = match.group(1)
            expected[method] = []
        elif match := re.match(r"^\s+(GET|POST|PATCH|PUT|DELETE)\s+(\S+)", line):
            expected[method].append((match.group(1), match.group(2)))
    derived: dict[str, list[tuple[str, str]]] = {}
    for binding in http_bindings():
        derived.setdefault(binding.method, []).append((binding.verb, binding.template))
    assert len(expected) > 30
    assert {name: derived[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("verb", "path", "method", "variables"),
    [
        ("GET", "/v2/users/owner/apps/main/inputs/status", "GetInputCount", {}),
        ("GET", "/v2/users/owner/apps/main/inputs/in-1", "GetInput", {"input_id": "in-1"}),
        ("DELETE", "/v2/users/owner/apps/main/inputs/annotations", "DeleteAnnotations", {}),
        ("GET", "/v2/users/owner/apps/main/tasks/t%201", "GetTask", {"task_id": "t 1"}),
        ("PUT", "/v2/users/owner/apps/main/tasks/t1/assignments", "PutTaskAssignments", {"task_id": "t1"}),
        ("GET", "/v2/tasks/t1/assignments", "ListNextTaskAssignments", {"task_id": "t1"}),
    ],
)
def test_a_path_routes_to_its_most_specific_template(
    verb: str, path: str, method: str, variables: dict[str, str]
) -> None:
    binding, found = Router(http_bindings()).route(verb, path) or (None, None)
    assert binding is not None and binding.method == method
    app_ids = {"user_app_id.user_id": "owner", "user_app_id.app_id": "main"} if "/users/" in path else {}
    assert found == {**app_ids, **variables}


@pytest.mark.parametrize(
    ("verb", "path"), [("GET", "/v2/users/owner/apps/main/tasks//assignments"), ("POST", "/v3/tasks")]
)
def test_paths_outside_the_bindings_route_nowhere(verb: str, path: str) -> None:
    assert Router(http_bindings()).route(verb, path) is None


# -- requests -----------------------------------------------------------------------------------------
def client_query(request: Message) -> str:
    """The query string GRPCJSONChannel sends for a GET of `request` (its own encoder, then requests')."""
    params = protobuf_to_dict(request, use_integers_for_enums=False, ignore_show_empty=True)
    return urlencode(HttpClient(None, "")._encode_get_params(params), doseq=True)


ids = st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8), max_size=3)


@given(
    user_id=st.sampled_from(["", "me", "owner"]),
    page=st.integers(0, 2**32 - 1),
    worker_user_ids=ids,
    review_user_ids=ids,
    including_label_order_tasks=st.booleans(),
    input_source_type=st.sampled_from(resources_pb2.TaskInputSource.TaskInputSourceType.values()),
)
def test_a_query_string_decodes_to_the_request_the_client_encoded(
    user_id: str,
    page: int,
    worker_user_ids: list[str],
    review_user_ids: list[str],
    including_label_order_tasks: bool,
    input_source_type: int,
) -> None:
    request = service_pb2.ListTasksRequest(
        user_app_id=resources_pb2.UserAppIDSet(user_id=user_id, app_id="main"),
        page=page,
        worker_user_ids=worker_user_ids,
        review_user_ids=review_user_ids,
        including_label_order_tasks=including_label_order_tasks,
        input_source_type=input_source_type,
    )
    assert decode_request("ListTasks", {}, client_query(request), b"") == request


def test_path_variables_override_the_body() -> None:
    body = b'{"user_app_id": {"user_id": "owner", "app_id": "other"}, "ids": ["a", "b"]}'
    decoded = decode_request("DeleteTasks", {"user_app_id.app_id": "main"}, "", body)
    assert decoded == service_pb2.DeleteTasksRequest(user_app_id=APP, ids=["a", "b"])


@pytest.mark.parametrize(
    ("query", "body", "problem"),
    [
        ("colour=red", b"", "ListTasksRequest has no field 'colour'"),
        ("user_app_id.colour=red", b"", "ListTasksRequest has no field 'user_app_id.colour'"),
        ("including_label_order_tasks=maybe", b"", "including_label_order_tasks='maybe' is not a boolean"),
        ("page=two", b"", "Failed to parse page field"),
        ("", b"[1, 2]", "the body must be a JSON object, got list"),
        ("", b"{not json", "the body is not JSON"),
    ],
)
def test_an_undecodable_request_is_refused_naming_the_problem(query: str, body: bytes, problem: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(problem)):
        decode_request("ListTasks", {}, query, body)


# -- HTTP codes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "details", "http"),
    [
        (Code.SUCCESS, "", 200),
        (Code.CONN_KEY_INVALID, "", 401),
        (Code.CONN_INVALID_REQUEST, MALFORMED_HEADER, 401),
        (Code.CONN_INVALID_REQUEST, "user_app_id.app_id is required when calling with a PAT", 400),
        (Code.CONN_DOES_NOT_EXIST, "", 404),
        (Code.TASK_MISSING, "", 404),
        (Code.INPUT_DOES_NOT_EXIST, "", 404),
        (Code.TASK_PERMISSION_DENIED, "", 403),
        (Code.TASK_CONFLICT, "", 409),
        (Code.FAILURE, "", 500),
        (Code.INPUT_INVALID_REQUEST, "", 400),
        (Code.CONN_THROTTLED, "", 400),
    ],
)
def test_http_code_of_a_clarifai_status(code: int, details: str, http: int) -> None:
    assert http_status(status_pb2.Status(code=code, details=details)) == http


def test_raw_http_answers_carry_the_clarifai_response(clarifai_fake: FakeClarifai) -> None:
    url = clarifai_fake.start_http()
    created = requests.post(
        f"{url}{TASK_PATH}",
        json={
            "tasks": [
                {
                    "name": "raw",
                    "type": "CONCEPTS_CLASSIFICATION",
                    "input_source": {"type": "ALL_INPUTS"},
                    "concept_ids": ["water"],
                    "worker": {"strategy": "DYNAMIC", "users": [{"id": "labeler-1"}]},
                }
            ]
        },
        headers=OWNER_KEY,
    )
    assert created.status_code == 200, created.text
    assert created.json()["status"]["code"] == Code.SUCCESS
    task_id = created.json()["tasks"][0]["id"]
    got = requests.get(f"{url}{TASK_PATH}/{task_id}", headers=OWNER_KEY)
    assert (got.status_code, got.json()["task"]["name"]) == (200, "raw")

    answers = {
        "no header": requests.get(f"{url}{TASK_PATH}/{task_id}"),
        "unknown key": requests.get(f"{url}{TASK_PATH}/{task_id}", headers=key("nobody")),
        "outsider": requests.get(f"{url}{TASK_PATH}/{task_id}", headers=key("outsider-pat")),
        "missing task": requests.get(f"{url}{TASK_PATH}/ghost", headers=OWNER_KEY),
        "invalid task": requests.post(f"{url}{TASK_PATH}", json={"tasks": [{"name": "x"}]}, headers=OWNER_KEY),
    }
    statuses = {name: r.json()["status"] for name, r in answers.items()}
    assert {name: (r.status_code, statuses[name]["code"]) for name, r in answers.items() if name != "invalid task"} == {
        "no header": (401, Code.CONN_INVALID_REQUEST),
        "unknown key": (401, Code.CONN_KEY_INVALID),
        "outsider": (401, Code.CONN_KEY_INVALID),
        "missing task": (404, Code.TASK_MISSING),
    }
    assert statuses["no header"]["details"] == MALFORMED_HEADER
    assert answers["invalid task"].status_code == 400
    assert statuses["invalid task"]["code"] != Code.SUCCESS and statuses["invalid task"]["details"]
    assert list(clarifai_fake.store.app("owner", "main").tasks) == [task_id]


def test_what_grpc_reports_as_a_grpc_status_comes_as_a_grpc_gateway_error(clarifai_fake: FakeClarifai) -> None:
    url = clarifai_fake.start_http()
    clarifai_fake.faults.fail_next("ListTasks", grpc.StatusCode.UNAVAILABLE)
    answers = {
        "unrouted": requests.get(f"{url}/v2/nowhere", headers=OWNER_KEY),
        "unparsable": requests.get(f"{url}{TASK_PATH}?colour=red", headers=OWNER_KEY),
        "unemulated": requests.get(f"{url}/v2/users/owner/apps/main/concepts/knowledge_graphs", headers=OWNER_KEY),
        "fault": requests.get(f"{url}{TASK_PATH}", headers=OWNER_KEY),
    }
    assert {name: (r.status_code, r.json()["code"]) for name, r in answers.items()} == {
        "unrouted": (404, grpc.StatusCode.NOT_FOUND.value[0]),
        "unparsable": (400, grpc.StatusCode.INVALID_ARGUMENT.value[0]),
        "unemulated": (501, grpc.StatusCode.UNIMPLEMENTED.value[0]),
        "fault": (503, grpc.StatusCode.UNAVAILABLE.value[0]),
    }
    assert answers["unrouted"].json()["message"] == "no clarifai.api.V2 route for GET /v2/nowhere"
    assert answers["unparsable"].json()["message"] == "ListTasks: ListTasksRequest has no field 'colour'"
    unemulated = "fake_clarifai does not emulate clarifai.api.V2/ListKnowledgeGraphs"
    assert answers["unemulated"].json()["message"] == unemulated
    assert [(c.method, c.grpc_code) for c in clarifai_fake.journal] == [
        ("ListKnowledgeGraphs", grpc.StatusCode.UNIMPLEMENTED),
        ("ListTasks", grpc.StatusCode.UNAVAILABLE),
    ]


# -- the same wrapper as gRPC -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def deterministic_fake() -> Iterator[FakeClarifai]:
    """A fake with seeded ids and a manual clock, so two runs of one flow leave byte-equal state."""
    fake = FakeClarifai(seed=11, clock=Clock(start=1_700_000_000), http_port=0)
    fake.start()
    fake.load_seed(DEFAULT_SEED)
    for i in range(12):
        fake.add_input("owner", "main", f"in-{i}", url=f"https://example.com/{i}.jpg")
    fake.save_baseline()
    yield fake
    fake.stop()


def task_flow(stub: service_pb2_grpc.V2Stub) -> list[Message]:
    """Create, get, list, start work on, patch and delete a task, then ask for it again."""
    created = stub.PostTasks(
        service_pb2.PostTasksRequest(user_app_id=APP, tasks=[dynamic_task("flow", "water", "labeler-1")]),
        metadata=OWNER,
    )
    task_id = created.tasks[0].id
    replacement = dynamic_task("flow, renamed", "sky", "labeler-2")
    replacement.id = task_id
    return [
        created,
        stub.GetTask(service_pb2.GetTaskRequest(user_app_id=APP, task_id=task_id), metadata=OWNER),
        stub.ListTasks(
            service_pb2.ListTasksRequest(
                user_app_id=APP, worker_user_ids=["labeler-1", "labeler-3"], including_label_order_tasks=True
            ),
            metadata=OWNER,
        ),
        stub.PutTaskAssignments(
            service_pb2.PutTaskAssignmentsRequest(user_app_id=APP, task_id=task_id, action=service_pb2.LABEL_START),
            metadata=FakeClarifai.metadata("labeler-1-pat"),
        ),
        stub.PatchTasks(
            service_pb2.PatchTasksRequest(user_app_id=APP, action="overwrite", tasks=[replacement]), metadata=OWNER
        ),
        stub.DeleteTasks(service_pb2.DeleteTasksRequest(user_app_id=APP, ids=[task_id]), metadata=OWNER),
        stub.GetTask(service_pb2.GetTaskRequest(user_app_id=APP, task_id=task_id), metadata=OWNER),
    ]


def run_flow(fake: FakeClarifai, stub: service_pb2_grpc.V2Stub) -> tuple[list[Message], dict[str, Any], list[Any]]:
    """The flow's responses (req_id cleared), the state it leaves, and the journal of what the fake received."""
    fake.reset()
    responses = task_flow(stub)
    for response in responses:
        response.status.req_id = ""
    state = fake.dump_state()
    state.pop("sequence", None)
    received = [(c.method, c.request, c.user_id, c.status_code) for c in fake.journal]
    return responses, state, received


def test_a_task_flow_through_the_json_channel_equals_the_same_flow_through_grpc(
    deterministic_fake: FakeClarifai,
) -> None:
    over_grpc = run_flow(deterministic_fake, deterministic_fake.stub())
    over_json = run_flow(deterministic_fake, json_stub(deterministic_fake.http_url))
    responses, state, received = over_json
    assert [r.status.code for r in responses] == [Code.SUCCESS] * 6 + [Code.TASK_MISSING]
    assert len(responses[3].task_assignments) == 10
    assert over_json[2] == over_grpc[2]  # the fake received the same requests from the same callers
    assert over_json[0] == over_grpc[0]
    assert over_json[1] == over_grpc[1]
    assert received[-1][0] == "GetTask" and state["apps"]["owner/main"]["tasks"] == {}


def error_calls(stub: service_pb2_grpc.V2Stub) -> list[Message]:
    ghost_worker = dynamic_task("ghost", "water", "ghost")
    unknown_concept = dynamic_task("no concept", "fire", "labeler-1")
    return [
        stub.GetTask(service_pb2.GetTaskRequest(user_app_id=APP, task_id="ghost"), metadata=OWNER),
        stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=APP, tasks=[ghost_worker]), metadata=OWNER),
        stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=APP, tasks=[unknown_concept]), metadata=OWNER),
        stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=APP), metadata=FakeClarifai.metadata("outsider-pat")),
        stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=APP), metadata=FakeClarifai.metadata("nobody")),
        stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=resources_pb2.UserAppIDSet()), metadata=OWNER),
        stub.DeleteTasks(service_pb2.DeleteTasksRequest(user_app_id=APP, ids=["ghost"]), metadata=OWNER),
    ]


def test_errors_arrive_as_the_same_clarifai_statuses_and_change_nothing(
    clarifai_fake: FakeClarifai, clarifai_stub: service_pb2_grpc.V2Stub, clarifai_json_stub: service_pb2_grpc.V2Stub
) -> None:
    before = clarifai_fake.dump_state()
    statuses = {}
    for name, stub in (("grpc", clarifai_stub), ("json", clarifai_json_stub)):
        statuses[name] = [(r.status.code, r.status.description, r.status.details) for r in error_calls(stub)]
    assert statuses["json"] == statuses["grpc"]
    assert all(code != Code.SUCCESS and details for code, _, details in statuses["json"])
    assert Code.TASK_MISSING in {code for code, _, _ in statuses["json"]}
    assert clarifai_fake.dump_state() == before


@pytest.mark.xfail(
    not hasattr(descriptor.FieldDescriptor, "label"),
    raises=AttributeError,
    strict=True,
    reason="clarifai-grpc's JSON converter reads FieldDescriptor.label, which protobuf 7 removed: the JSON "
    "client cannot serialize a request holding a Concept message (Concept.value has cl_default_float)",
)
def test_concepts_through_the_json_client(
    clarifai_fake: FakeClarifai, clarifai_json_stub: service_pb2_grpc.V2Stub
) -> None:
    task = dynamic_task("with concepts", "water", "labeler-1")
    task.ClearField("concept_ids")
    task.concepts.add(concept=resources_pb2.Concept(id="water"))
    response = clarifai_json_stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=APP, tasks=[task]), metadata=OWNER)
    assert response.status.code == Code.SUCCESS
    assert [c.concept.id for c in response.tasks[0].concepts] == ["water"]


def test_a_response_document_parses_back_with_the_clients_parser_even_a_zero_concept_value() -> None:
    response = service_pb2.MultiConceptResponse(
        status=status_pb2.Status(code=Code.SUCCESS),
        concepts=[resources_pb2.Concept(id="dim", value=0.0), resources_pb2.Concept(id="lit", value=0.25)],
    )
    parsed = dict_to_protobuf(service_pb2.MultiConceptResponse, response_document(response), ignore_unknown_fields=True)
    assert parsed == response


# -- the CLI ------------------------------------------------------------------------------------------
def test_serve_http_port_prints_the_gateway_url_for_get_json_channel() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_clarifai", "serve", "--port", "0", "--http-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or ("JSON/HTTP gateway" not in lines[-1] and lines[-1]):
            lines.append(process.stdout.readline())
        gateway = lines[-1]
        match = re.search(r"get_json_channel\(base_url='(http://127\.0\.0\.1:\d+)'\)", gateway)
        assert match, lines
        response = json_stub(match.group(1)).GetApp(service_pb2.GetAppRequest(user_app_id=APP), metadata=OWNER)
        assert (response.status.code, response.app.id) == (Code.SUCCESS, "main")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_a_gateway_bug_answers_internal_and_the_gateway_keeps_serving(
    clarifai_fake: FakeClarifai, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = clarifai_fake.start_http()

    def broken(response: Message) -> dict[str, Any]:
        raise RuntimeError("printer broke")

    monkeypatch.setattr(gateway, "response_document", broken)
    failed = requests.get(f"{url}{TASK_PATH}", headers=OWNER_KEY)
    assert (failed.status_code, failed.json()) == (
        500,
        {
            "code": grpc.StatusCode.INTERNAL.value[0],
            "message": "internal error in the fake_clarifai gateway: RuntimeError: printer broke",
            "details": [],
        },
    )
    monkeypatch.undo()
    assert requests.get(f"{url}{TASK_PATH}", headers=OWNER_KEY).status_code == 200
