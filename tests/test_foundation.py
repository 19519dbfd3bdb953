"""The wire's contract (BEHAVIOUR.md §1, §2): auth, errors, UNIMPLEMENTED, never UNKNOWN, reset between tests."""

from __future__ import annotations

import re

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai
from fake_clarifai.services import ROUTES, Route

SUCCESS = status_code_pb2.SUCCESS


def post_app(stub, metadata, app_id="created-in-a-test"):
    return stub.PostApps(service_pb2.PostAppsRequest(apps=[resources_pb2.App(id=app_id)]), metadata=metadata)


def list_app_ids(stub, metadata) -> list[str]:
    response = stub.ListApps(service_pb2.ListAppsRequest(), metadata=metadata)
    assert response.status.code == SUCCESS, response.status
    return [app.id for app in response.apps]


def test_success_carries_status_and_req_id(clarifai_stub, clarifai_metadata, clarifai_app):
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert response.status.code == SUCCESS
    assert response.status.description == "Ok"
    assert re.fullmatch(r"[0-9a-f]{32}", response.status.req_id)
    assert (response.app.user_id, response.app.id) == ("owner", "main")


@pytest.mark.parametrize(
    "metadata",
    [(), (("authorization", "owner-pat"),), (("authorization", "Bearer owner-pat"),), (("authorization", "Key "),)],
    ids=["no header", "no Key prefix", "Bearer", "empty key"],
)
def test_missing_or_malformed_header_is_invalid_request(clarifai_stub, metadata):
    response = post_app(clarifai_stub, metadata)
    assert response.status.code == status_code_pb2.CONN_INVALID_REQUEST
    assert response.status.description == "Invalid request"
    assert response.status.details.startswith("Empty or malformed authorization header")
    assert "created-in-a-test" not in list_app_ids(clarifai_stub, FakeClarifai.metadata("owner-pat"))


def test_unknown_key_is_key_invalid(clarifai_stub):
    response = post_app(clarifai_stub, FakeClarifai.metadata("no-such-key"))
    assert response.status.code == status_code_pb2.CONN_KEY_INVALID
    assert response.status.description == "Invalid API key or Invalid API key/application pair"
    assert "no-s" in response.status.details and "not a known PAT or API key" in response.status.details
    assert "created-in-a-test" not in list_app_ids(clarifai_stub, FakeClarifai.metadata("owner-pat"))


def test_another_users_pat_on_an_app_is_key_invalid_and_changes_nothing(clarifai_stub, clarifai_app, clarifai_fake):
    before = clarifai_fake.store.app("owner", "main").collaborators.copy()
    request = service_pb2.PostCollaboratorsRequest(
        user_app_id=clarifai_app,
        collaborators=[resources_pb2.Collaborator(user=resources_pb2.User(id="outsider"))],
    )
    response = clarifai_stub.PostCollaborators(request, metadata=FakeClarifai.metadata("outsider-pat"))
    assert response.status.code == status_code_pb2.CONN_KEY_INVALID
    assert response.status.details == "user 'outsider' has no access to app 'owner/main'"
    assert clarifai_fake.store.app("owner", "main").collaborators == before


def test_pat_without_app_id_is_invalid_request(clarifai_stub, clarifai_metadata):
    response = clarifai_stub.GetApp(
        service_pb2.GetAppRequest(user_app_id=resources_pb2.UserAppIDSet(user_id="owner")), metadata=clarifai_metadata
    )
    assert response.status.code == status_code_pb2.CONN_INVALID_REQUEST
    assert response.status.details == "user_app_id.app_id is required when calling with a PAT"


def test_app_key_works_without_user_app_id_and_only_on_its_app(clarifai_stub):
    key = FakeClarifai.metadata("main-app-key")
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(), metadata=key)
    assert (response.status.code, response.app.id) == (SUCCESS, "main")
    other = resources_pb2.UserAppIDSet(user_id="outsider", app_id="elsewhere")
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=other), metadata=key)
    assert response.status.code == status_code_pb2.CONN_KEY_INVALID
    assert response.status.details == "the app key is bound to app 'main', not 'elsewhere'"


def test_me_means_the_tokens_user(clarifai_stub, clarifai_metadata):
    ids = resources_pb2.UserAppIDSet(user_id="me", app_id="main")
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=ids), metadata=clarifai_metadata)
    assert (response.status.code, response.app.user_id) == (SUCCESS, "owner")


def test_own_missing_app_does_not_exist(clarifai_stub, clarifai_metadata):
    ids = resources_pb2.UserAppIDSet(user_id="owner", app_id="nope")
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=ids), metadata=clarifai_metadata)
    assert response.status.code == status_code_pb2.CONN_DOES_NOT_EXIST
    assert response.status.details == "app 'nope' of user 'owner' does not exist"


def test_rpc_outside_the_emulated_set_is_unimplemented_naming_it(clarifai_stub, clarifai_metadata):
    with pytest.raises(grpc.RpcError) as raised:
        clarifai_stub.PostModels(service_pb2.PostModelsRequest(), metadata=clarifai_metadata)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert raised.value.details() == "fake_clarifai does not emulate clarifai.api.V2/PostModels"


def test_handler_bug_is_failure_never_unknown_and_server_keeps_serving(
    clarifai_stub, clarifai_metadata, clarifai_app, monkeypatch
):
    def broken(ctx, request):
        raise KeyError("boom")

    monkeypatch.setitem(ROUTES, "GetApp", Route(name="GetApp", handler=broken))
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert response.status.code == status_code_pb2.FAILURE
    assert response.status.details == "internal error in fake_clarifai GetApp: KeyError: 'boom'"
    monkeypatch.undo()
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert response.status.code == SUCCESS


_seen_servers: list[FakeClarifai] = []


@pytest.mark.parametrize("round_", [1, 2])
def test_state_from_one_test_is_gone_in_the_next_and_the_server_started_once(
    round_, clarifai_stub, clarifai_metadata, clarifai_fake
):
    _seen_servers.append(clarifai_fake)
    assert clarifai_fake.starts == 1
    assert all(server is clarifai_fake for server in _seen_servers)
    assert "created-in-a-test" not in list_app_ids(clarifai_stub, clarifai_metadata)
    assert post_app(clarifai_stub, clarifai_metadata).status.code == SUCCESS
    assert "created-in-a-test" in list_app_ids(clarifai_stub, clarifai_metadata)


def test_a_second_server_is_independent():
    with FakeClarifai() as fake:
        pat = fake.add_user("solo")
        fake.add_app("solo", "only")
        stub = fake.stub()
        response = stub.ListApps(service_pb2.ListAppsRequest(), metadata=fake.metadata(pat))
        assert [app.id for app in response.apps] == ["only"]
        assert fake.address == f"127.0.0.1:{fake.port}"
