"""The RPCs real clients need beyond the Tasks feature, over the wire: GetUser, PatchApp, DeleteApp, ListWorkflows,
PatchInputs, inputs add jobs, hosted bytes, dataset versions, public apps.

Sources: the proto comments in clarifai_grpc's service_pb2.pyi / resources_pb2.pyi, and what the clarifai SDK
(12.5.0, clarifai/client/*.py) sends; where neither says, the fake's [policy] (listed in the module docstrings).
"""

from __future__ import annotations

import urllib.request

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.struct_pb2 import Struct

from fake_clarifai import FakeClarifai

LABELER = FakeClarifai.metadata("labeler-1-pat")
OUTSIDER = FakeClarifai.metadata("outsider-pat")
PUBLIC = resources_pb2.UserAppIDSet(user_id="clarifai", app_id="main")


def struct(**values) -> Struct:
    result = Struct()
    result.update(values)
    return result


def post_inputs(stub, *inputs, **params):
    return stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=inputs, **params), metadata=OWNER)


def text(input_id: str, raw: str = "x", **data) -> resources_pb2.Input:
    return resources_pb2.Input(id=input_id, data=resources_pb2.Data(text=resources_pb2.Text(raw=raw), **data))


# -- user and apps -----------------------------------------------------------------------------------
def test_get_user_answers_the_callers_user_and_refuses_another(clarifai_stub, clarifai_fake):
    # SDK User.get_user_info sends GetUserRequest(user_app_id.user_id=<its user>) (user.py)
    me = ok(clarifai_stub.GetUser(service_pb2.GetUserRequest(user_app_id=MAIN), metadata=OWNER))
    assert me.user.id == "owner"
    with unchanged(clarifai_fake):
        other = clarifai_stub.GetUser(service_pb2.GetUserRequest(user_app_id=MAIN), metadata=OUTSIDER)
    assert_error(other, Code.CONN_KEY_INVALID, "the key cannot act for user 'owner'")


def test_patch_app_merges_or_overwrites_the_editable_fields(clarifai_stub, clarifai_fake):
    # SDK User.patch_app sends PatchAppRequest(app=App(id, **fields), action) (user.py)
    def patch(action, **fields):
        request = service_pb2.PatchAppRequest(user_app_id=MAIN, action=action, app=resources_pb2.App(**fields))
        return clarifai_stub.PatchApp(request, metadata=OWNER)

    merged = ok(patch("merge", description="d", metadata=struct(a=1))).app
    assert (merged.description, dict(merged.metadata), merged.id) == ("d", {"a": 1}, "main")
    overwritten = ok(patch("overwrite", notes="n")).app
    assert (overwritten.description, overwritten.notes) == ("", "n")
    assert clarifai_fake.store.app("owner", "main").app == overwritten
    assert overwritten.created_at == merged.created_at


@pytest.mark.parametrize(
    ("request_fields", "metadata", "code", "details"),
    [
        ({"action": "remove"}, OWNER, Code.CONN_INVALID_REQUEST, "action 'remove' is not supported: use one of "
         "merge, overwrite"),
        ({"action": "merge", "app": resources_pb2.App(id="other")}, OWNER, Code.CONN_INVALID_REQUEST,
         "app.id 'other' differs from user_app_id.app_id 'main'"),
        ({"action": "merge"}, LABELER, Code.CONN_KEY_INVALID, "only the app owner 'owner' can patch the app"),
    ],
    ids=["unknown action", "other app id", "collaborator"],
)  # fmt: skip
def test_patch_app_refusals_change_nothing(clarifai_stub, clarifai_fake, request_fields, metadata, code, details):
    with unchanged(clarifai_fake):
        response = clarifai_stub.PatchApp(
            service_pb2.PatchAppRequest(user_app_id=MAIN, **request_fields), metadata=metadata
        )
    assert_error(response, code, details)


def test_delete_app_removes_it_with_its_keys_and_memberships(clarifai_stub, clarifai_fake):
    # SDK User.delete_app sends DeleteAppRequest (user.py); its teardown needs it
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/1.jpg")
    ok(clarifai_stub.DeleteApp(service_pb2.DeleteAppRequest(user_app_id=MAIN), metadata=OWNER))
    assert clarifai_fake.store.app("owner", "main") is None
    assert "main-app-key" not in clarifai_fake.store.tokens
    gone = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=MAIN), metadata=OWNER)
    assert_error(gone, Code.CONN_DOES_NOT_EXIST, "app 'main' of user 'owner' does not exist")
    listed = ok(clarifai_stub.ListApps(service_pb2.ListAppsRequest(), metadata=LABELER))
    assert [a.id for a in listed.apps] == []


def test_only_the_owner_deletes_an_app(clarifai_stub, clarifai_fake):
    with unchanged(clarifai_fake):
        response = clarifai_stub.DeleteApp(service_pb2.DeleteAppRequest(user_app_id=MAIN), metadata=LABELER)
    assert_error(response, Code.CONN_KEY_INVALID, "only the app owner 'owner' can delete the app")


# -- public apps -------------------------------------------------------------------------------------
def test_any_valid_key_reads_the_public_app_clarifai_main(clarifai_stub):
    # clarifai-python-grpc's test_list_models lists the models of clarifai/main with the tester's own PAT
    listed = ok(clarifai_stub.ListModels(service_pb2.ListModelsRequest(user_app_id=PUBLIC), metadata=OUTSIDER))
    assert "general-image-recognition" in [m.id for m in listed.models]
    model = service_pb2.GetModelRequest(user_app_id=PUBLIC, model_id="general-image-recognition")
    assert ok(clarifai_stub.GetModel(model, metadata=OWNER)).model.user_id == "clarifai"


def test_a_public_app_is_read_only_for_non_members(clarifai_stub, clarifai_fake):
    with unchanged(clarifai_fake):
        response = clarifai_stub.PostInputs(
            service_pb2.PostInputsRequest(user_app_id=PUBLIC, inputs=[text("x")]), metadata=OUTSIDER
        )
    assert_error(response, Code.CONN_KEY_INVALID, "user 'outsider' has no access to app 'clarifai/main'")


# -- workflows ---------------------------------------------------------------------------------------
def test_list_workflows_lists_the_seeded_ones_in_pages(clarifai_stub, clarifai_fake):
    clarifai_fake.add_model("owner", "main", "m-1", version_id="v-1")
    for n in range(3):
        clarifai_fake.add_workflow("owner", "main", f"wf-{n}", model_id="m-1")
    request = service_pb2.ListWorkflowsRequest(user_app_id=MAIN, page=2, per_page=2)
    listed = ok(clarifai_stub.ListWorkflows(request, metadata=OWNER)).workflows
    assert [(w.id, w.nodes[0].model.id) for w in listed] == [("wf-2", "m-1")]


# -- inputs: hosted bytes, add jobs, patch -----------------------------------------------------------
def test_bytes_are_stored_and_answered_as_a_hosted_url_that_serves_them(clarifai_stub, clarifai_fake):
    # the real API answers inputs posted as bytes with a URL on its data host; the SDK's list_inputs fails on
    # an echoed base64 (it reads `image.base64` back as text)
    image = resources_pb2.Image(base64=b"\x89PNG bytes")
    posted = ok(post_inputs(clarifai_stub, resources_pb2.Input(id="b-1", data=resources_pb2.Data(image=image))))
    url = posted.inputs[0].data.image.url
    assert url == f"{clarifai_fake.http_url}/fake-clarifai/hosted/owner/main/b-1"
    listed = ok(clarifai_stub.ListInputs(service_pb2.ListInputsRequest(user_app_id=MAIN), metadata=OWNER)).inputs
    assert (listed[0].data.image.url, listed[0].data.image.base64) == (url, b"")
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.read() == b"\x89PNG bytes"
    ok(clarifai_stub.DeleteInput(service_pb2.DeleteInputRequest(user_app_id=MAIN, input_id="b-1"), metadata=OWNER))
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(url, timeout=5)
    assert gone.value.code == 404


def test_an_add_job_records_what_post_inputs_added_and_is_done_at_once(clarifai_stub):
    # SDK Inputs.upload_inputs sends PostInputs with inputs_add_job_id, then polls GetInputsAddJob until
    # progress.pending_count and in_progress_count are 0 (input.py `_wait_for_inputs`)
    ok(post_inputs(clarifai_stub, text("a"), text("b"), inputs_add_job_id="job-1"))
    ok(post_inputs(clarifai_stub, text("c"), inputs_add_job_id="job-1"))
    job = ok(
        clarifai_stub.GetInputsAddJob(service_pb2.GetInputsAddJobRequest(user_app_id=MAIN, id="job-1"), metadata=OWNER)
    ).inputs_add_job
    assert (job.progress.success_count, job.progress.pending_count, job.progress.in_progress_count) == (3, 0, 0)
    assert job.status.code == Code.JOB_COMPLETED
    listed = ok(clarifai_stub.ListInputsAddJobs(service_pb2.ListInputsAddJobsRequest(user_app_id=MAIN), metadata=OWNER))
    assert [j.id for j in listed.inputs_add_jobs] == ["job-1"]


@pytest.mark.parametrize(
    ("job_id", "code", "details"),
    [("", Code.INPUT_INVALID_REQUEST, "id is empty"), ("nope", Code.CONN_DOES_NOT_EXIST,
                                                       "inputs add job 'nope' does not exist")],
    ids=["empty", "unknown"],
)  # fmt: skip
def test_get_inputs_add_job_of_an_unknown_job(clarifai_stub, clarifai_fake, job_id, code, details):
    with unchanged(clarifai_fake):
        response = clarifai_stub.GetInputsAddJob(
            service_pb2.GetInputsAddJobRequest(user_app_id=MAIN, id=job_id), metadata=OWNER
        )
    assert_error(response, code, details)


def patch_inputs(stub, action, *inputs):
    request = service_pb2.PatchInputsRequest(user_app_id=MAIN, action=action, inputs=inputs)
    return stub.PatchInputs(request, metadata=OWNER)


def concept(concept_id: str, value: float = 1.0) -> resources_pb2.Concept:
    return resources_pb2.Concept(id=concept_id, value=value)


def test_patch_inputs_merges_overwrites_and_removes_concepts_and_metadata(clarifai_stub, clarifai_fake):
    # PatchInputsRequest: "For each input, the following fields are patchable: data"; actions merge, overwrite,
    # remove [proto]. The media itself stays [policy].
    ok(post_inputs(clarifai_stub, text("t", "kept", concepts=[concept("water")], metadata=struct(a=1))))

    def data(action, **fields):
        return ok(patch_inputs(clarifai_stub, action, resources_pb2.Input(id="t", data=resources_pb2.Data(**fields))))

    merged = data("merge", concepts=[concept("sky", 0.0)], metadata=struct(b=2)).inputs[0].data
    assert ([(c.id, c.value) for c in merged.concepts], dict(merged.metadata)) == ([("water", 1), ("sky", 0)],
                                                                                   {"a": 1, "b": 2})  # fmt: skip
    removed = data("remove", concepts=[concept("water")], metadata=struct(a=None)).inputs[0].data
    assert ([c.id for c in removed.concepts], dict(removed.metadata)) == (["sky"], {"b": 2})
    overwritten = data("overwrite", metadata=struct(c=3)).inputs[0].data
    assert (list(overwritten.concepts), dict(overwritten.metadata), overwritten.text.raw) == ([], {"c": 3}, "kept")
    assert clarifai_fake.store.app("owner", "main").inputs["t"].data == overwritten


@pytest.mark.parametrize(
    ("action", "inputs", "code", "details"),
    [
        ("replace", [text("t")], Code.INPUT_INVALID_REQUEST,
         "action 'replace' is not supported: use one of merge, overwrite, remove"),
        ("merge", [resources_pb2.Input(id="nope")], Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist"),
        ("merge", [resources_pb2.Input(id="t"), resources_pb2.Input(id="t")], Code.INPUT_INVALID_REQUEST,
         "inputs[1].id 't' appears twice in the request"),
        ("merge", [text("t", "new text")], Code.INPUT_INVALID_REQUEST,
         "inputs[0].data.text cannot be patched: only concepts, metadata, geo"),
    ],
    ids=["unknown action", "unknown input", "repeated input", "media"],
)  # fmt: skip
def test_patch_inputs_refusals_change_nothing(clarifai_stub, clarifai_fake, action, inputs, code, details):
    ok(post_inputs(clarifai_stub, text("t")))
    with unchanged(clarifai_fake):
        assert_error(patch_inputs(clarifai_stub, action, *inputs), code, details)


# -- dataset versions --------------------------------------------------------------------------------
def test_dataset_versions_freeze_the_member_count_and_list_newest_first(clarifai_stub, clarifai_fake):
    # SDK Dataset.create_version sends PostDatasetVersions(dataset_versions=[DatasetVersion(**kwargs)]);
    # list_versions reads ListDatasetVersions (dataset.py)
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/1.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds", ["in-1"])

    def post(*versions):
        request = service_pb2.PostDatasetVersionsRequest(user_app_id=MAIN, dataset_id="ds", dataset_versions=versions)
        return clarifai_stub.PostDatasetVersions(request, metadata=OWNER)

    first = ok(post(resources_pb2.DatasetVersion(id="v1", description="one"))).dataset_versions[0]
    assert (first.dataset_id, first.status.code, first.metrics["/"].inputs_count.value) == (
        "ds", Code.DATASET_VERSION_READY, 1)  # fmt: skip
    ok(post(resources_pb2.DatasetVersion()))
    listed = ok(clarifai_stub.ListDatasetVersions(
        service_pb2.ListDatasetVersionsRequest(user_app_id=MAIN, dataset_id="ds"), metadata=OWNER))  # fmt: skip
    assert [v.id for v in listed.dataset_versions][1:] == ["v1"] and len(listed.dataset_versions) == 2
    with unchanged(clarifai_fake):
        assert_error(post(resources_pb2.DatasetVersion(id="v1")), Code.CONN_INVALID_REQUEST,
                     "dataset_versions[0].id 'v1' already exists in the app")  # fmt: skip
        missing = service_pb2.PostDatasetVersionsRequest(user_app_id=MAIN, dataset_id="nope")
        assert_error(clarifai_stub.PostDatasetVersions(missing, metadata=OWNER), Code.CONN_DOES_NOT_EXIST,
                     "dataset 'nope' does not exist")  # fmt: skip


def test_patched_concepts_without_a_name_are_named(clarifai_stub, clarifai_fake):
    # clarifai-python-grpc test_post_list_patch_get_delete_image: after PatchInputs overwrite with
    # Concept(id="some-new-concept"), GetInput answers concepts[0].name == "some-new-concept"
    clarifai_fake.add_concept("owner", "main", "lake", name="Lake")
    ok(post_inputs(clarifai_stub, text("t")))
    data = resources_pb2.Data(concepts=[resources_pb2.Concept(id="some-new-concept"), resources_pb2.Concept(id="lake")])
    ok(patch_inputs(clarifai_stub, "overwrite", resources_pb2.Input(id="t", data=data)))
    got = ok(clarifai_stub.GetInput(service_pb2.GetInputRequest(user_app_id=MAIN, input_id="t"), metadata=OWNER))
    assert [c.name for c in got.input.data.concepts] == ["some-new-concept", "Lake"]
