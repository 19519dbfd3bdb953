"""The journal (BEHAVIOUR.md §8): every call, with its request, outcome, caller and time; filters and assertions."""

from __future__ import annotations

import re

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import Clock, FakeClarifai
from fake_clarifai.journal import Journal, Kept
from fake_clarifai.services import ROUTES, Route

SUCCESS = status_code_pb2.SUCCESS


def post_app(stub, metadata, app_id="journaled", description=""):
    request = service_pb2.PostAppsRequest(apps=[resources_pb2.App(id=app_id, description=description)])
    return stub.PostApps(request, metadata=metadata)


def test_a_call_is_recorded_with_request_response_caller_and_time():
    with FakeClarifai(clock=Clock(start=1_700_000_000.0)) as fake:
        pat = fake.add_user("alice")
        request = service_pb2.PostAppsRequest(apps=[resources_pb2.App(id="first", description="d")])
        response = fake.stub().PostApps(request, metadata=fake.metadata(pat))
        call = fake.journal.last()
    assert (call.method, call.user_id, call.time) == ("PostApps", "alice", 1_700_000_000.0)
    assert call.request == request
    assert (call.status_code, call.grpc_code, call.fault) == (SUCCESS, grpc.StatusCode.OK, None)
    assert call.response == response
    assert call.succeeded


def test_the_request_is_copied_before_the_handler_runs(
    clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake, monkeypatch
):
    def scribbling(ctx, request):
        request.user_app_id.app_id = "scribbled"
        return service_pb2.SingleAppResponse(app=ctx.app.app)

    monkeypatch.setitem(ROUTES, "GetApp", Route(name="GetApp", handler=scribbling))
    clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert clarifai_fake.journal.last("GetApp").request.user_app_id.app_id == "main"


def test_an_application_error_is_recorded_with_its_status_and_caller(clarifai_stub, clarifai_app, clarifai_fake):
    request = service_pb2.GetAppRequest(user_app_id=clarifai_app)
    clarifai_stub.GetApp(request, metadata=FakeClarifai.metadata("outsider-pat"))
    call = clarifai_fake.journal.last("GetApp")
    assert (call.user_id, call.status_code, call.grpc_code) == (
        "outsider",
        status_code_pb2.CONN_KEY_INVALID,
        grpc.StatusCode.OK,
    )
    assert call.response.status.details == "user 'outsider' has no access to app 'owner/main'"
    assert not call.succeeded
    assert str(call) == "GetApp by outsider -> CONN_KEY_INVALID"


def test_a_call_without_a_known_key_has_no_user(clarifai_stub, clarifai_fake):
    post_app(clarifai_stub, ())
    post_app(clarifai_stub, FakeClarifai.metadata("no-such-key"))
    calls = clarifai_fake.journal.calls("PostApps")
    assert [(c.user_id, c.status_code) for c in calls] == [
        (None, status_code_pb2.CONN_INVALID_REQUEST),
        (None, status_code_pb2.CONN_KEY_INVALID),
    ]


def test_unimplemented_and_unknown_methods_are_recorded(clarifai_stub, clarifai_metadata, clarifai_fake):
    post_secrets = service_pb2.PostSecretsRequest(secrets=[resources_pb2.Secret(id="s")])
    with pytest.raises(grpc.RpcError):
        clarifai_stub.PostSecrets(post_secrets, metadata=clarifai_metadata)
    channel = clarifai_fake.channel()
    for path, message in [
        ("/clarifai.api.V2/NoSuchMethod", "fake_clarifai does not know the method clarifai.api.V2/NoSuchMethod"),
        ("/other.Service/Do", "fake_clarifai does not know the method other.Service/Do"),
    ]:
        with pytest.raises(grpc.RpcError) as raised:
            channel.unary_unary(path)(b"", metadata=clarifai_metadata)
        assert (raised.value.code(), raised.value.details()) == (grpc.StatusCode.UNIMPLEMENTED, message)
    calls = clarifai_fake.journal.calls()
    assert [(c.method, c.grpc_code, c.status_code, c.user_id) for c in calls] == [
        ("PostSecrets", grpc.StatusCode.UNIMPLEMENTED, None, "owner"),
        ("NoSuchMethod", grpc.StatusCode.UNIMPLEMENTED, None, "owner"),
        ("other.Service/Do", grpc.StatusCode.UNIMPLEMENTED, None, "owner"),
    ]
    assert calls[0].request == post_secrets
    assert (calls[1].request, calls[1].response) == (None, None)
    assert str(calls[2]) == "other.Service/Do by owner -> UNIMPLEMENTED"


def test_filters_pick_calls_by_method_caller_and_status(clarifai_stub, clarifai_metadata, clarifai_app, clarifai_fake):
    outsider = FakeClarifai.metadata("outsider-pat")
    post_app(clarifai_stub, clarifai_metadata, "a")
    clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=outsider)
    post_app(clarifai_stub, outsider, "b")
    post_app(clarifai_stub, clarifai_metadata, "a")  # already exists
    journal = clarifai_fake.journal
    assert [c.request.apps[0].id for c in journal.calls("PostApps")] == ["a", "b", "a"]
    assert [c.method for c in journal.calls(user_id="outsider")] == ["GetApp", "PostApps"]
    assert [c.method for c in journal.calls(status_code=SUCCESS)] == ["PostApps", "PostApps"]
    assert [c.user_id for c in journal.calls("PostApps", status_code=SUCCESS)] == ["owner", "outsider"]
    assert journal.last("PostApps").status_code == status_code_pb2.CONN_INVALID_REQUEST
    assert journal.last().method == "PostApps"
    assert len(journal) == 4
    assert [c.method for c in journal] == ["PostApps", "GetApp", "PostApps", "PostApps"]


def test_assertion_helpers_explain_what_was_called(clarifai_stub, clarifai_metadata, clarifai_fake):
    journal = clarifai_fake.journal
    with pytest.raises(AssertionError, match=re.escape("no call of PostApps in the journal (the journal is empty)")):
        journal.last("PostApps")
    post_app(clarifai_stub, clarifai_metadata)
    assert [c.method for c in journal.assert_called("PostApps", times=1, user_id="owner")] == ["PostApps"]
    journal.assert_not_called("GetApp")
    with pytest.raises(AssertionError) as raised:
        journal.assert_called("PostApps", times=2)
    assert str(raised.value) == (
        "PostApps was called 1 times, expected 2; the journal holds 1 calls, the newest:\n"
        "  PostApps by owner -> SUCCESS"
    )
    with pytest.raises(AssertionError, match=re.escape("GetApp was not called by owner; the journal holds 1 calls")):
        journal.assert_called("GetApp", user_id="owner")
    with pytest.raises(AssertionError, match=re.escape("PostApps was called 1 times, expected 0")):
        journal.assert_not_called("PostApps")


def test_reset_clears_the_journal(clarifai_stub, clarifai_metadata, clarifai_fake):
    post_app(clarifai_stub, clarifai_metadata)
    clarifai_fake.reset()
    assert clarifai_fake.journal.calls() == []


def test_the_journal_keeps_the_newest_calls_and_refuses_to_count_after_dropping():
    with FakeClarifai(journal_limit=2) as fake:
        pat = fake.add_user("alice")
        for app_id in ("a", "b", "c"):
            post_app(fake.stub(), fake.metadata(pat), app_id)
        journal = fake.journal
        assert [c.request.apps[0].id for c in journal] == ["b", "c"]
        assert journal.dropped == 1
        journal.assert_called("PostApps")
        with pytest.raises(AssertionError) as raised:
            journal.assert_called("PostApps", times=3)
        assert str(raised.value) == (
            "cannot count calls of PostApps: the journal dropped its 1 oldest calls "
            "(it keeps the newest 2 calls within 67108864 bytes; raise "
            "FakeClarifai(journal_limit=..., journal_byte_limit=...))"
        )
        fake.reset()
        assert (len(journal), journal.dropped, journal.bytes) == (0, 0, 0)


def test_the_journal_is_bounded_in_bytes_dropping_the_oldest_calls_first():
    with FakeClarifai(journal_byte_limit=3_000) as fake:
        pat = fake.add_user("alice")
        for app_id in ("a", "b", "c"):
            post_app(fake.stub(), fake.metadata(pat), app_id, description="d" * 1_000)
        journal = fake.journal
        assert [c.request.apps[0].id for c in journal] == ["c"]
        assert journal.dropped == 2
        assert 2_000 < journal.bytes <= 3_000
        with pytest.raises(AssertionError, match="the journal dropped its 2 oldest calls"):
            journal.assert_called("PostApps", times=1)


def test_the_newest_call_is_kept_even_over_the_byte_limit():
    journal = Journal(byte_limit=0)
    kept = Kept(service_pb2.PostAppsRequest, b"\x0a\x00")
    journal.record("PostApps", kept, None, None, grpc.StatusCode.OK, "alice", 0.0, None)
    journal.record("PostApps", kept, None, None, grpc.StatusCode.OK, "bob", 1.0, None)
    assert ([c.user_id for c in journal], journal.dropped) == (["bob"], 1)


def test_a_journal_keeps_at_least_one_call():
    with pytest.raises(ValueError, match="the journal limit must be at least 1, got 0"):
        Journal(limit=0)
