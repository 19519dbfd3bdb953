"""The in-process channel behaves as the loopback one (same wire: auth, faults, journal, errors), and
`FakeClarifai.isolated()` gives each hypothesis example the baseline."""

from __future__ import annotations

import time

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code
from fake_clarifai.faults import PROCEED, GrpcFault

OK, UNAVAILABLE = grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE


@pytest.fixture(params=["loopback", "inprocess"])
def stub(request: pytest.FixtureRequest, clarifai_fake: FakeClarifai):
    return request.getfixturevalue("clarifai_stub" if request.param == "loopback" else "clarifai_inprocess_stub")


def get_app(clarifai_app: resources_pb2.UserAppIDSet) -> service_pb2.GetAppRequest:
    return service_pb2.GetAppRequest(user_app_id=clarifai_app)


def test_a_call_is_answered_and_journaled(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    response, call = stub.GetApp.with_call(get_app(clarifai_app), metadata=clarifai_metadata)
    assert response.status.code == Code.SUCCESS and response.app.id == "main"
    assert (call.code(), call.details()) == (OK, "")
    assert [str(c) for c in clarifai_fake.journal] == ["GetApp by owner -> SUCCESS"]
    assert clarifai_fake.journal.last().request == get_app(clarifai_app)


def test_a_bad_key_is_the_clarifai_status(stub, clarifai_fake, clarifai_app):
    response = stub.GetApp(get_app(clarifai_app), metadata=clarifai_fake.metadata("nobody"))
    assert response.status.code == Code.CONN_KEY_INVALID
    assert clarifai_fake.journal.last().user_id is None


def test_a_method_not_emulated_raises_unimplemented(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    before = clarifai_fake.dump_state()
    with pytest.raises(grpc.RpcError) as raised:
        stub.PostModels(service_pb2.PostModelsRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert raised.value.details() == "fake_clarifai does not emulate clarifai.api.V2/PostModels"
    assert clarifai_fake.dump_state() == before


def test_the_retry_policy_recovers_from_two_unavailable(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    clarifai_fake.faults.fail_next("GetApp", UNAVAILABLE, times=2)
    assert stub.GetApp(get_app(clarifai_app), metadata=clarifai_metadata).app.id == "main"
    assert [c.grpc_code for c in clarifai_fake.journal.calls("GetApp")] == [UNAVAILABLE, UNAVAILABLE, OK]


def test_unavailable_beyond_the_retry_budget_reaches_the_caller(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    clarifai_fake.faults.fail_next("GetApp", UNAVAILABLE, times=5)
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetApp(get_app(clarifai_app), metadata=clarifai_metadata)
    assert raised.value.code() == UNAVAILABLE
    assert raised.value.details() == "fake_clarifai injected UNAVAILABLE for GetApp"
    assert len(clarifai_fake.journal.calls("GetApp")) == 5


def test_a_call_slower_than_its_timeout_is_deadline_exceeded(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    clarifai_fake.faults.delay("GetApp", 0.2)
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetApp(get_app(clarifai_app), metadata=clarifai_metadata, timeout=0.02)
    assert (raised.value.code(), raised.value.details()) == (grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    assert stub.GetApp(get_app(clarifai_app), metadata=clarifai_metadata, timeout=5).app.id == "main"
    # the late call still runs to its end, as on a server: wait for it (bounded) so that it is journaled
    # here and not in the next test's journal
    deadline = time.monotonic() + 5
    while len(clarifai_fake.journal.calls("GetApp")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(clarifai_fake.journal.calls("GetApp")) == 2


def test_future_gives_the_response_or_the_error(stub, clarifai_fake, clarifai_metadata, clarifai_app):
    done = stub.GetApp.future(get_app(clarifai_app), metadata=clarifai_metadata)
    assert done.result(timeout=5).app.id == "main" and done.code() == OK and done.exception() is None
    clarifai_fake.faults.script("GetApp", [GrpcFault(grpc.StatusCode.INTERNAL, "boom"), PROCEED])
    failed = stub.GetApp.future(get_app(clarifai_app), metadata=clarifai_metadata)
    assert failed.exception(timeout=5).code() == grpc.StatusCode.INTERNAL
    with pytest.raises(grpc.RpcError) as raised:
        failed.result()
    assert raised.value.details() == "boom"


def test_the_inprocess_stub_needs_no_started_server() -> None:
    fake = FakeClarifai()
    token = fake.add_user("alice")
    fake.add_app("alice", "main")
    app = resources_pb2.UserAppIDSet(user_id="alice", app_id="main")
    assert fake.inprocess_stub().GetApp(get_app(app), metadata=fake.metadata(token)).app.id == "main"


def test_a_closed_inprocess_channel_refuses_calls(clarifai_fake, clarifai_metadata, clarifai_app):
    channel = clarifai_fake.inprocess_channel()
    channel.close()
    with pytest.raises(ValueError, match="Channel closed"):
        channel.unary_unary("/clarifai.api.V2/GetApp")(get_app(clarifai_app).SerializeToString())


# -- isolated() --------------------------------------------------------------------------------


def test_isolated_starts_from_the_baseline_and_puts_back_what_was_there(clarifai_fake):
    clarifai_fake.add_concept("owner", "main", "outer")
    before = clarifai_fake.dump_state()
    with clarifai_fake.isolated():
        assert "outer" not in clarifai_fake.store.app("owner", "main").concepts
        clarifai_fake.add_concept("owner", "main", "inner")
        with clarifai_fake.isolated():
            assert "inner" not in clarifai_fake.store.app("owner", "main").concepts
            clarifai_fake.add_concept("owner", "main", "innermost")
        assert "inner" in clarifai_fake.store.app("owner", "main").concepts
        assert "innermost" not in clarifai_fake.store.app("owner", "main").concepts
    assert clarifai_fake.dump_state() == before


def test_isolated_puts_the_state_back_when_the_block_raises(clarifai_fake):
    before = clarifai_fake.dump_state()
    with pytest.raises(RuntimeError), clarifai_fake.isolated():
        clarifai_fake.add_concept("owner", "main", "doomed")
        clarifai_fake.faults.fail_next("GetApp")
        raise RuntimeError("the example failed")
    assert clarifai_fake.dump_state() == before
    assert clarifai_fake.faults.pending("GetApp") == []


@given(st.lists(st.sampled_from(["a", "b", "c"]), unique=True))
def test_every_example_starts_from_the_baseline(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_metadata, clarifai_session_app, names
):
    with clarifai_server.isolated():
        listed = clarifai_session_inprocess_stub.ListConcepts(
            service_pb2.ListConceptsRequest(user_app_id=clarifai_session_app), metadata=clarifai_session_metadata
        )
        assert sorted(c.id for c in listed.concepts) == ["sky", "water"]  # nothing from an earlier example
        assert len(clarifai_server.journal) == 1
        for name in names:  # raises on an input id an earlier example left behind
            clarifai_server.add_concept("owner", "main", name)
            clarifai_server.add_input("owner", "main", name, text=name)
