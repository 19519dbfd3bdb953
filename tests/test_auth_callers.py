"""The wire remembers the caller of each authorization header (auth.Callers): a remembered caller is
answered only while the store holds the very token it was made from, so a deleted, reset or replaced
token stops authenticating on the next call (BEHAVIOUR.md §2)."""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai, auth

SUCCESS = status_code_pb2.SUCCESS
KEY_INVALID = status_code_pb2.CONN_KEY_INVALID


def list_apps(stub, token):
    return stub.ListApps(service_pb2.ListAppsRequest(), metadata=FakeClarifai.metadata(token))


def get_key_app(stub, key):
    return stub.GetApp(service_pb2.GetAppRequest(), metadata=FakeClarifai.metadata(key))


def test_an_app_key_stops_authenticating_once_its_app_is_deleted(clarifai_stub, clarifai_fake):
    assert get_key_app(clarifai_stub, "elsewhere-app-key").app.id == "elsewhere"
    elsewhere = resources_pb2.UserAppIDSet(user_id="outsider", app_id="elsewhere")
    request = service_pb2.DeleteAppRequest(user_app_id=elsewhere)
    assert clarifai_stub.DeleteApp(request, metadata=FakeClarifai.metadata("outsider-pat")).status.code == SUCCESS
    state = clarifai_fake.dump_state()
    refused = get_key_app(clarifai_stub, "elsewhere-app-key")
    assert (refused.status.code, refused.status.details) == (
        KEY_INVALID,
        "the key 'else…ey' is not a known PAT or API key",
    )
    assert clarifai_fake.dump_state() == state
    assert clarifai_fake.journal.last("GetApp").user_id is None


def test_restoring_a_snapshot_that_holds_the_key_lets_it_in_again(clarifai_stub, clarifai_fake):
    assert get_key_app(clarifai_stub, "elsewhere-app-key").status.code == SUCCESS
    before = clarifai_fake.snapshot()
    clarifai_fake.store.remove_app(clarifai_fake.store.app("outsider", "elsewhere"))
    assert get_key_app(clarifai_stub, "elsewhere-app-key").status.code == KEY_INVALID
    clarifai_fake.restore(before)
    assert get_key_app(clarifai_stub, "elsewhere-app-key").app.id == "elsewhere"


def test_a_token_added_by_a_test_is_refused_after_reset(clarifai_stub, clarifai_fake):
    clarifai_fake.add_user("visitor", "visitor-pat")
    assert list_apps(clarifai_stub, "visitor-pat").status.code == SUCCESS
    clarifai_fake.reset()
    state = clarifai_fake.dump_state()
    refused = list_apps(clarifai_stub, "visitor-pat")
    assert (refused.status.code, refused.status.details) == (
        KEY_INVALID,
        "the key 'visi…at' is not a known PAT or API key",
    )
    assert clarifai_fake.dump_state() == state


def test_a_token_given_to_another_user_after_reset_names_that_user(clarifai_stub, clarifai_fake):
    clarifai_fake.add_user("visitor", "shared-pat")
    clarifai_fake.add_app("visitor", "visited")
    assert [app.id for app in list_apps(clarifai_stub, "shared-pat").apps] == ["visited"]
    clarifai_fake.reset()
    clarifai_fake.add_user("guest", "shared-pat")
    answered = list_apps(clarifai_stub, "shared-pat")
    assert (answered.status.code, list(answered.apps)) == (SUCCESS, [])
    assert clarifai_fake.journal.last("ListApps").user_id == "guest"


def test_the_remembered_callers_are_bounded_and_stay_right(monkeypatch):
    monkeypatch.setattr(auth, "CALLERS_LIMIT", 2)
    users = ["ann", "bob", "cid", "dee"]
    with FakeClarifai() as fake:
        for user in users:
            fake.add_user(user, f"{user}-pat")
        stub = fake.stub()
        for _ in range(3):
            for user in users:
                assert list_apps(stub, f"{user}-pat").status.code == SUCCESS
        assert [call.user_id for call in fake.journal.calls("ListApps")] == users * 3
        assert len(fake.servicer.callers._known) <= 2


def test_headers_naming_one_token_differently_are_each_the_same_caller(clarifai_stub, clarifai_fake):
    for header in ("Key owner-pat", "Key  owner-pat ", "Key owner-pat  "):
        response = clarifai_stub.ListApps(service_pb2.ListAppsRequest(), metadata=(("authorization", header),))
        assert response.status.code == SUCCESS
    assert {call.user_id for call in clarifai_fake.journal.calls("ListApps")} == {"owner"}
