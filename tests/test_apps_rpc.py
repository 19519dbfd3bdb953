"""Apps and collaborators over the wire: PostApps, GetApp, ListApps, PostCollaborators, ListCollaborators."""

from __future__ import annotations

import pytest
from app_rpc import MAIN, NO_ACCESS, OUTSIDER, OWNER, Code, assert_error, ok, outsider_is_refused, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai
from fake_clarifai.invariants import check_invariants

App = resources_pb2.App
LABELER_1 = FakeClarifai.metadata("labeler-1-pat")


def post_apps(stub, *apps, metadata=OWNER):
    return stub.PostApps(service_pb2.PostAppsRequest(apps=apps), metadata=metadata)


def get_app(stub, user_id, app_id, metadata=OWNER):
    ids = resources_pb2.UserAppIDSet(user_id=user_id, app_id=app_id)
    return stub.GetApp(service_pb2.GetAppRequest(user_app_id=ids), metadata=metadata)


def app_ids(stub, metadata=OWNER, **params) -> list[str]:
    return [a.id for a in ok(stub.ListApps(service_pb2.ListAppsRequest(**params), metadata=metadata)).apps]


def add_collaborators(stub, *user_ids, metadata=OWNER):
    collaborators = [resources_pb2.Collaborator(user=resources_pb2.User(id=u)) for u in user_ids]
    request = service_pb2.PostCollaboratorsRequest(user_app_id=MAIN, collaborators=collaborators)
    return stub.PostCollaborators(request, metadata=metadata)


def collaborator_ids(stub, metadata=OWNER, **params) -> list[str]:
    request = service_pb2.ListCollaboratorsRequest(user_app_id=MAIN, **params)
    return [c.user.id for c in ok(stub.ListCollaborators(request, metadata=metadata)).collaborators]


def test_posted_apps_belong_to_the_caller_and_start_empty(clarifai_stub):
    response = ok(post_apps(clarifai_stub, App(id="second", name="Second"), App(id="third")))
    assert [(a.id, a.name, a.user_id) for a in response.apps] == [
        ("second", "Second", "owner"),
        ("third", "third", "owner"),
    ]
    assert response.apps[0].created_at.seconds > 0
    assert ok(get_app(clarifai_stub, "owner", "second")).app == response.apps[0]
    ids = resources_pb2.UserAppIDSet(user_id="owner", app_id="second")
    concepts = ok(clarifai_stub.ListConcepts(service_pb2.ListConceptsRequest(user_app_id=ids), metadata=OWNER))
    assert list(concepts.concepts) == []
    assert_error(
        get_app(clarifai_stub, "owner", "second", LABELER_1),
        Code.CONN_KEY_INVALID,
        "user 'labeler-1' has no access to app 'owner/second'",
    )


def test_list_apps_shows_own_and_collaborating_apps_in_pages(clarifai_stub):
    ok(post_apps(clarifai_stub, *(App(id=f"app-{n}") for n in range(4))))
    everything = ["main", "app-0", "app-1", "app-2", "app-3"]
    assert app_ids(clarifai_stub) == everything
    pages = [app_ids(clarifai_stub, page=p, per_page=2) for p in (0, 1, 2, 3, 4)]
    assert pages == [everything[0:2], everything[0:2], everything[2:4], everything[4:], []]
    assert app_ids(clarifai_stub, LABELER_1) == ["main"]
    assert app_ids(clarifai_stub, OUTSIDER) == ["elsewhere"]


@pytest.mark.parametrize(
    ("apps", "details"),
    [
        ([App(id="new"), App(id="main")], "apps[1].id 'main' already exists for user 'owner'"),
        ([App(id="new"), App(id="new")], "apps[1].id 'new' appears twice in the request"),
        ([App(id="new"), App(name="nameless")], "apps[1].id is empty: give every app an id"),
    ],
    ids=["existing id", "repeated id", "empty id"],
)
def test_a_batch_with_one_bad_app_creates_nothing(clarifai_stub, clarifai_fake, apps, details):
    with unchanged(clarifai_fake):
        assert_error(post_apps(clarifai_stub, *apps), Code.CONN_INVALID_REQUEST, details)


def test_the_same_app_id_is_fine_for_another_user(clarifai_stub):
    response = ok(post_apps(clarifai_stub, App(id="main"), metadata=OUTSIDER))
    assert (response.apps[0].user_id, response.apps[0].id) == ("outsider", "main")
    assert app_ids(clarifai_stub, OUTSIDER) == ["elsewhere", "main"]
    assert collaborator_ids(clarifai_stub) == ["labeler-1", "labeler-2", "labeler-3", "reviewer"]


def test_user_level_calls_need_a_pat(clarifai_stub, clarifai_fake):
    key = FakeClarifai.metadata("main-app-key")
    with unchanged(clarifai_fake):
        details = "PostApps is a user-level call: use a PAT, not an app key"
        assert_error(post_apps(clarifai_stub, App(id="new"), metadata=key), Code.CONN_KEY_INVALID, details)


def test_get_app_of_another_user_or_missing(clarifai_stub):
    assert_error(get_app(clarifai_stub, "owner", "main", OUTSIDER), Code.CONN_KEY_INVALID, NO_ACCESS)
    assert_error(
        get_app(clarifai_stub, "owner", "nope"), Code.CONN_DOES_NOT_EXIST, "app 'nope' of user 'owner' does not exist"
    )
    details = "user 'owner' has no access to app 'outsider/nope'"
    assert_error(get_app(clarifai_stub, "outsider", "nope"), Code.CONN_KEY_INVALID, details)


def test_a_new_collaborator_can_use_the_app(clarifai_stub, clarifai_fake):
    newcomer = FakeClarifai.metadata(clarifai_fake.add_user("newcomer", "newcomer-pat"))
    assert_error(
        get_app(clarifai_stub, "owner", "main", newcomer),
        Code.CONN_KEY_INVALID,
        "user 'newcomer' has no access to app 'owner/main'",
    )
    response = ok(add_collaborators(clarifai_stub, "newcomer"))
    added = response.collaborators[0]
    assert (added.user.id, added.app.id, added.app.user_id) == ("newcomer", "main", "owner")
    assert added.id and added.created_at.seconds > 0
    assert ok(get_app(clarifai_stub, "owner", "main", newcomer)).app.id == "main"
    assert collaborator_ids(clarifai_stub, newcomer) == ["labeler-1", "labeler-2", "labeler-3", "reviewer", "newcomer"]
    assert "main" in app_ids(clarifai_stub, newcomer)


def test_list_collaborators_in_pages(clarifai_stub):
    everything = ["labeler-1", "labeler-2", "labeler-3", "reviewer"]
    pages = [collaborator_ids(clarifai_stub, page=p, per_page=3) for p in (0, 1, 2, 3)]
    assert pages == [everything[:3], everything[:3], everything[3:], []]


@pytest.mark.parametrize(
    ("user_ids", "code", "details"),
    [
        (["outsider", "ghost"], Code.CONN_DOES_NOT_EXIST, "collaborators[1].user.id: user 'ghost' does not exist"),
        (["outsider", ""], Code.CONN_INVALID_REQUEST, "collaborators[1].user.id is empty"),
        (
            ["outsider", "labeler-1"],
            Code.CONN_INVALID_REQUEST,
            "collaborators[1].user.id: user 'labeler-1' is already the owner or a collaborator of the app",
        ),
        (
            ["outsider", "owner"],
            Code.CONN_INVALID_REQUEST,
            "collaborators[1].user.id: user 'owner' is already the owner or a collaborator of the app",
        ),
        (
            ["outsider", "outsider"],
            Code.CONN_INVALID_REQUEST,
            "collaborators[1].user.id: user 'outsider' appears twice in the request",
        ),
    ],
    ids=["unknown user", "empty id", "already a collaborator", "the owner", "repeated"],
)
def test_a_batch_with_one_bad_collaborator_adds_nothing(clarifai_stub, clarifai_fake, user_ids, code, details):
    with unchanged(clarifai_fake):
        assert_error(add_collaborators(clarifai_stub, *user_ids), code, details)


def test_only_the_owner_adds_collaborators(clarifai_stub, clarifai_fake):
    with unchanged(clarifai_fake):
        details = "only the app owner 'owner' can add collaborators"
        assert_error(add_collaborators(clarifai_stub, "outsider", metadata=LABELER_1), Code.CONN_KEY_INVALID, details)


@pytest.mark.parametrize("method", ["GetApp", "PostCollaborators", "ListCollaborators"])
def test_outsider_is_refused(clarifai_fake, clarifai_stub, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)


def test_list_apps_shows_owned_then_joined_apps_in_the_order_the_caller_became_a_member(
    clarifai_stub, clarifai_fake, clarifai_app, clarifai_metadata
):
    outsider = clarifai_fake.metadata("outsider-pat")
    new_app = service_pb2.PostAppsRequest(apps=[resources_pb2.App(id="later")])
    assert clarifai_stub.PostApps(new_app, metadata=outsider).status.code == status_code_pb2.SUCCESS
    invite = service_pb2.PostCollaboratorsRequest(
        user_app_id=clarifai_app,
        collaborators=[resources_pb2.Collaborator(user=resources_pb2.User(id="outsider"))],
    )
    assert clarifai_stub.PostCollaborators(invite, metadata=clarifai_metadata).status.code == status_code_pb2.SUCCESS
    listed = clarifai_stub.ListApps(service_pb2.ListAppsRequest(), metadata=outsider)
    assert [(app.user_id, app.id) for app in listed.apps] == [
        ("outsider", "elsewhere"),
        ("outsider", "later"),
        ("owner", "main"),
    ]
    check_invariants(clarifai_fake)
