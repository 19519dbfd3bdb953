"""Fault injection (BEHAVIOUR.md §8): injected gRPC errors, Clarifai statuses and delays act before the handler."""

from __future__ import annotations

import re
import time

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import human_task

from fake_clarifai import FakeClarifai
from fake_clarifai.faults import (
    ANY_METHOD,
    DEADLINE_EXCEEDED,
    PROCEED,
    UNAVAILABLE,
    Delay,
    GrpcFault,
    StatusFault,
)

SUCCESS = status_code_pb2.SUCCESS
OK = grpc.StatusCode.OK


def post_app(stub, metadata, app_id="faulty", **kwargs):
    return stub.PostApps(service_pb2.PostAppsRequest(apps=[resources_pb2.App(id=app_id)]), metadata=metadata, **kwargs)


def app_ids(fake: FakeClarifai) -> list[str]:
    return [app_id for (user_id, app_id) in fake.store.apps if user_id == "owner"]


def get_app(stub, metadata, app, **kwargs):
    return stub.GetApp(service_pb2.GetAppRequest(user_app_id=app), metadata=metadata, **kwargs)


def test_the_clarifai_channels_retry_policy_recovers_from_two_unavailable(
    clarifai_stub, clarifai_metadata, clarifai_fake
):
    clarifai_fake.faults.fail_next("PostApps", grpc.StatusCode.UNAVAILABLE, times=2)
    response = post_app(clarifai_stub, clarifai_metadata)
    assert response.status.code == SUCCESS
    assert app_ids(clarifai_fake).count("faulty") == 1
    calls = clarifai_fake.journal.calls("PostApps")
    assert [c.grpc_code for c in calls] == [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE, OK]
    assert [c.fault for c in calls] == [UNAVAILABLE, UNAVAILABLE, None]
    assert clarifai_fake.faults.pending("PostApps") == []


def test_unavailable_beyond_the_retry_budget_reaches_the_client_and_changes_nothing(
    clarifai_stub, clarifai_metadata, clarifai_fake
):
    before = clarifai_fake.dump_state()
    clarifai_fake.faults.fail_next("PostApps", times=5)  # the channel's retryPolicy makes 5 attempts
    with pytest.raises(grpc.RpcError) as raised:
        post_app(clarifai_stub, clarifai_metadata)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.details() == "fake_clarifai injected UNAVAILABLE for PostApps"
    assert clarifai_fake.dump_state() == before
    clarifai_fake.journal.assert_called("PostApps", times=5)


def test_deadline_exceeded_is_not_retried_and_the_next_call_proceeds(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.fail_next("PostApps", grpc.StatusCode.DEADLINE_EXCEEDED, details="the backend is slow")
    with pytest.raises(grpc.RpcError) as raised:
        post_app(clarifai_stub, clarifai_metadata)
    assert (raised.value.code(), raised.value.details()) == (grpc.StatusCode.DEADLINE_EXCEEDED, "the backend is slow")
    assert "faulty" not in app_ids(clarifai_fake)
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS
    assert "faulty" in app_ids(clarifai_fake)


def test_an_injected_clarifai_status_is_grpc_ok_and_changes_nothing(clarifai_stub, clarifai_metadata, clarifai_fake):
    before = clarifai_fake.dump_state()
    clarifai_fake.faults.clarifai_status("PostApps", status_code_pb2.CONN_THROTTLED, "slow down", times=2)
    for _ in range(2):
        response = post_app(clarifai_stub, clarifai_metadata)
        assert response.status.code == status_code_pb2.CONN_THROTTLED
        assert response.status.description == "Conn throttled"
        assert response.status.details == "slow down"
        assert re.fullmatch(r"[0-9a-f]{32}", response.status.req_id)
        assert list(response.apps) == []
    assert clarifai_fake.dump_state() == before
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS


def test_an_injected_status_without_details_names_the_fault(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.clarifai_status("PostApps", status_code_pb2.INTERNAL_SERVER_ISSUE)
    response = post_app(clarifai_stub, clarifai_metadata)
    assert response.status.code == status_code_pb2.INTERNAL_SERVER_ISSUE
    assert response.status.details == "fake_clarifai injected INTERNAL_SERVER_ISSUE for PostApps"


def test_a_delay_then_proceeds(clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake):
    clarifai_fake.faults.delay("GetApp", 0.3)
    started = time.monotonic()
    response = get_app(clarifai_stub, clarifai_metadata, clarifai_app)
    assert time.monotonic() - started >= 0.3
    assert response.status.code == SUCCESS
    assert clarifai_fake.journal.last("GetApp").fault == Delay(0.3)


def test_a_delay_longer_than_the_client_deadline_is_deadline_exceeded(
    clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake
):
    clarifai_fake.faults.delay("GetApp", 1.0)
    with pytest.raises(grpc.RpcError) as raised:
        get_app(clarifai_stub, clarifai_metadata, clarifai_app, timeout=0.1)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(lambda: clarifai_fake.journal.calls("GetApp"))  # the server finishes the call on its own
    assert clarifai_fake.journal.last("GetApp").status_code == SUCCESS


def test_a_script_plays_its_outcomes_in_order(clarifai_stub, clarifai_metadata, clarifai_fake):
    throttled = StatusFault(status_code_pb2.CONN_THROTTLED, "busy")
    clarifai_fake.faults.script("PostApps", [UNAVAILABLE, throttled, PROCEED, DEADLINE_EXCEEDED])
    assert post_app(clarifai_stub, clarifai_metadata).status.code == status_code_pb2.CONN_THROTTLED  # after 1 retry
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS
    with pytest.raises(grpc.RpcError) as raised:
        post_app(clarifai_stub, clarifai_metadata, app_id="another")
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert post_app(clarifai_stub, clarifai_metadata, app_id="another").status.code == SUCCESS
    faults = [c.fault for c in clarifai_fake.journal.calls("PostApps")]
    assert faults == [UNAVAILABLE, throttled, None, DEADLINE_EXCEEDED, None]


def test_faults_for_any_method_apply_after_the_methods_own(
    clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake
):
    clarifai_fake.faults.fail_next(ANY_METHOD, grpc.StatusCode.DEADLINE_EXCEEDED)
    clarifai_fake.faults.clarifai_status("GetApp", status_code_pb2.CONN_THROTTLED)
    assert get_app(clarifai_stub, clarifai_metadata, clarifai_app).status.code == status_code_pb2.CONN_THROTTLED
    with pytest.raises(grpc.RpcError) as raised:
        get_app(clarifai_stub, clarifai_metadata, clarifai_app)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert raised.value.details() == "fake_clarifai injected DEADLINE_EXCEEDED for GetApp"
    assert get_app(clarifai_stub, clarifai_metadata, clarifai_app).status.code == SUCCESS


def test_faults_act_before_authentication(clarifai_stub, clarifai_fake):
    clarifai_fake.faults.fail_next("PostApps", grpc.StatusCode.DEADLINE_EXCEEDED)
    with pytest.raises(grpc.RpcError) as raised:
        post_app(clarifai_stub, FakeClarifai.metadata("no-such-key"))
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert post_app(clarifai_stub, FakeClarifai.metadata("no-such-key")).status.code == status_code_pb2.CONN_KEY_INVALID
    assert [c.user_id for c in clarifai_fake.journal.calls("PostApps")] == [None, None]


def test_an_injected_status_answers_a_caller_without_access(clarifai_stub, clarifai_app, clarifai_fake):
    clarifai_fake.faults.clarifai_status("GetApp", status_code_pb2.CONN_THROTTLED, "busy")
    outsider = FakeClarifai.metadata("outsider-pat")
    assert get_app(clarifai_stub, outsider, clarifai_app).status.code == status_code_pb2.CONN_THROTTLED
    assert get_app(clarifai_stub, outsider, clarifai_app).status.code == status_code_pb2.CONN_KEY_INVALID
    assert [c.user_id for c in clarifai_fake.journal.calls("GetApp")] == ["outsider", "outsider"]


def test_faults_apply_to_rpcs_the_fake_does_not_emulate(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.fail_next("PostSecrets", grpc.StatusCode.DEADLINE_EXCEEDED)
    codes = []
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as raised:
            clarifai_stub.PostSecrets(service_pb2.PostSecretsRequest(), metadata=clarifai_metadata)
        codes.append(raised.value.code())
    assert codes == [grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED]


def test_a_status_injected_on_a_server_streaming_rpc_is_one_message(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.clarifai_status("StreamAnnotations", status_code_pb2.CONN_THROTTLED)
    responses = list(
        clarifai_stub.StreamAnnotations(service_pb2.StreamAnnotationsRequest(), metadata=clarifai_metadata)
    )
    assert [r.status.code for r in responses] == [status_code_pb2.CONN_THROTTLED]


@pytest.mark.parametrize(
    ("inject", "error", "message"),
    [
        (lambda f: f.fail_next("PostTask"), ValueError, "'PostTask' is not a clarifai.api.V2 method"),
        (lambda f: f.fail_next("PostApps", times=0), ValueError, "times must be at least 1, got 0"),
        (lambda f: f.fail_next("PostApps", grpc.StatusCode.OK), ValueError, "other than OK"),
        (lambda f: f.clarifai_status("PostApps", status_code_pb2.SUCCESS), ValueError, "non-SUCCESS"),
        (lambda f: f.clarifai_status("PostApps", 7), ValueError, "non-SUCCESS clarifai StatusCode, got 7"),
        (lambda f: f.delay("PostApps", -1), ValueError, "seconds >= 0"),
        (lambda f: f.script("PostApps", [PROCEED, grpc.StatusCode.UNAVAILABLE]), TypeError, "outcomes[1]"),
        (lambda f: f.script("PostApps", [GrpcFault(grpc.StatusCode.UNAVAILABLE)] * 2 + ["x"]), TypeError, "[2]"),
    ],
    ids=["unknown method", "times 0", "grpc OK", "SUCCESS", "not a status", "negative delay", "raw code", "str"],
)
def test_a_bad_fault_is_refused_and_queues_nothing(clarifai_fake, inject, error, message):
    with pytest.raises(error, match=re.escape(message)):
        inject(clarifai_fake.faults)
    assert clarifai_fake.faults.pending("PostApps") == []


def test_clear_and_reset_drop_pending_faults(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.fail_next("PostApps", grpc.StatusCode.DEADLINE_EXCEEDED)
    clarifai_fake.faults.clear()
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS
    clarifai_fake.faults.fail_next("PostApps", grpc.StatusCode.DEADLINE_EXCEEDED)
    clarifai_fake.faults.delay(ANY_METHOD, 5)
    clarifai_fake.reset()
    assert (clarifai_fake.faults.pending("PostApps"), clarifai_fake.faults.pending(ANY_METHOD)) == ([], [])
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS


def test_a_script_played_out_leaves_the_next_calls_untouched(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.script("PostApps", [])
    clarifai_fake.faults.script("PostApps", [StatusFault(status_code_pb2.CONN_THROTTLED), PROCEED])
    codes = [post_app(clarifai_stub, clarifai_metadata, app_id=f"app-{n}").status.code for n in range(3)]
    assert codes == [status_code_pb2.CONN_THROTTLED, SUCCESS, SUCCESS]
    assert [c.fault for c in clarifai_fake.journal.calls("PostApps")] == [
        StatusFault(status_code_pb2.CONN_THROTTLED),
        None,  # a scripted PROCEED runs the call untouched
        None,
    ]
    assert clarifai_fake.faults.pending("PostApps") == []


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s")
        time.sleep(0.01)


def test_the_retry_policy_recovers_post_tasks_from_two_unavailable_with_exactly_one_task(
    clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake
):
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/1.jpg")
    clarifai_fake.faults.fail_next("PostTasks", grpc.StatusCode.UNAVAILABLE, times=2)
    request = service_pb2.PostTasksRequest(user_app_id=clarifai_app, tasks=[human_task(["labeler-1"])])
    response = clarifai_stub.PostTasks(request, metadata=clarifai_metadata)
    assert response.status.code == SUCCESS, response.status
    listed = clarifai_stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert [task.id for task in listed.tasks] == [response.tasks[0].id]
    assert [c.grpc_code for c in clarifai_fake.journal.calls("PostTasks")] == [
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.UNAVAILABLE,
        OK,
    ]
