"""Inputs over the wire: PostInputs, GetInput, ListInputs, GetInputCount, DeleteInput(s) (BEHAVIOUR.md §3)."""

from __future__ import annotations

import re

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, outsider_is_refused, put_task, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai import FakeClarifai

Input = resources_pb2.Input
INPUTS = ("in-1", "in-2", "in-1")
ALL_INPUTS = resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS)


def image(input_id="", url="https://example.com/a.jpg", **fields) -> resources_pb2.Input:
    return Input(id=input_id, data=resources_pb2.Data(image=resources_pb2.Image(url=url)), **fields)


def post(stub, *inputs, **params):
    request = service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=inputs, **params)
    return stub.PostInputs(request, metadata=OWNER)


def get(stub, input_id, metadata=OWNER):
    return stub.GetInput(service_pb2.GetInputRequest(user_app_id=MAIN, input_id=input_id), metadata=metadata)


def listed_ids(stub, **params) -> list[str]:
    response = ok(stub.ListInputs(service_pb2.ListInputsRequest(user_app_id=MAIN, **params), metadata=OWNER))
    return [i.id for i in response.inputs]


def count(stub) -> resources_pb2.InputCount:
    request = service_pb2.GetInputCountRequest(user_app_id=MAIN)
    return ok(stub.GetInputCount(request, metadata=OWNER)).counts


def delete_many(stub, *ids):
    return stub.DeleteInputs(service_pb2.DeleteInputsRequest(user_app_id=MAIN, ids=ids), metadata=OWNER)


def test_posted_inputs_keep_their_data_by_reference_and_are_downloaded_at_once(clarifai_stub):
    with_metadata = image("photo", url="https://example.com/photo.jpg")
    with_metadata.data.metadata.update({"source": "camera", "frame": 7})
    text = Input(id="note", data=resources_pb2.Data(text=resources_pb2.Text(raw="hello")))
    response = ok(post(clarifai_stub, with_metadata, text))
    photo, note = response.inputs
    assert photo.data.image.url == "https://example.com/photo.jpg" and not photo.data.image.base64
    assert dict(photo.data.metadata) == {"source": "camera", "frame": 7}
    assert note.data.text.raw == "hello"
    assert {(i.status.code, i.status.description) for i in response.inputs} == {
        (Code.INPUT_DOWNLOAD_SUCCESS, "Download complete")
    }
    assert photo.created_at.seconds > 0 and photo.modified_at == photo.created_at
    assert ok(get(clarifai_stub, "photo")).input == photo
    assert listed_ids(clarifai_stub) == ["photo", "note"]
    assert (count(clarifai_stub).processed, count(clarifai_stub).to_process, count(clarifai_stub).errors) == (2, 0, 0)


def test_inputs_without_ids_get_generated_ones(clarifai_stub):
    response = ok(post(clarifai_stub, image(), image()))
    generated = [i.id for i in response.inputs]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in generated) and generated[0] != generated[1]
    assert listed_ids(clarifai_stub) == generated


def test_dataset_ids_add_the_inputs_to_those_datasets(clarifai_stub, clarifai_fake):
    clarifai_fake.add_dataset("owner", "main", "ds-a")
    clarifai_fake.add_dataset("owner", "main", "ds-b")
    posted = ok(post(clarifai_stub, image("in-1", dataset_ids=["ds-a", "ds-b"]), image("in-2", dataset_ids=["ds-b"])))
    assert [list(i.dataset_ids) for i in posted.inputs] == [[], []]  # ignored outside requests [doc]

    def members(dataset_id):
        request = service_pb2.ListDatasetInputsRequest(user_app_id=MAIN, dataset_id=dataset_id)
        return [m.input.id for m in ok(clarifai_stub.ListDatasetInputs(request, metadata=OWNER)).dataset_inputs]

    assert (members("ds-a"), members("ds-b")) == (["in-1"], ["in-1", "in-2"])


def test_tasks_hear_of_new_inputs_in_the_app_and_in_their_dataset(clarifai_stub, clarifai_fake):
    clarifai_fake.add_dataset("owner", "main", "ds-a")
    everything = put_task(clarifai_fake, "t-all", source=ALL_INPUTS)
    dataset = resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.DATASET, id="ds-a")
    from_dataset = put_task(clarifai_fake, "t-ds", source=dataset)
    ok(post(clarifai_stub, image("in-1"), image("in-2", dataset_ids=["ds-a"])))
    assert everything.work.added == [["in-1", "in-2"]]
    assert from_dataset.work.added == [["in-2"]]


def test_list_pages_by_creation_order_and_filters_by_ids_and_status(clarifai_stub):
    ok(post(clarifai_stub, *(image(f"in-{n}") for n in range(5))))
    pages = [listed_ids(clarifai_stub, page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert pages == [["in-0", "in-1"], ["in-2", "in-3"], ["in-4"], []]
    assert listed_ids(clarifai_stub, page=0, per_page=2) == pages[0]
    assert listed_ids(clarifai_stub, ids=["in-3", "gone", "in-0", "in-3"]) == ["in-3", "in-0"]
    assert listed_ids(clarifai_stub, ids=["in-3", "in-0", "in-1"], page=2, per_page=2) == ["in-1"]
    downloaded = status_pb2.Status(code=Code.INPUT_DOWNLOAD_SUCCESS)
    assert listed_ids(clarifai_stub, status=downloaded) == [f"in-{n}" for n in range(5)]
    assert listed_ids(clarifai_stub, status=status_pb2.Status(code=Code.INPUT_DOWNLOAD_FAILED)) == []


def test_suffix_conflict_resolution_renames_instead_of_failing(clarifai_stub, clarifai_fake):
    clarifai_fake.add_input("owner", "main", "cat", url="https://example.com/0.jpg")
    clarifai_fake.add_input("owner", "main", "cat-1", url="https://example.com/1.jpg")
    response = ok(post(clarifai_stub, image("cat"), image("dog"), input_id_conflict_resolution=resources_pb2.SUFFIX))
    assert [i.id for i in response.inputs] == ["cat-2", "dog"]
    assert listed_ids(clarifai_stub) == ["cat", "cat-1", "cat-2", "dog"]
    for n in range(3, 10):
        clarifai_fake.add_input("owner", "main", f"cat-{n}", url=f"https://example.com/{n}.jpg")
    renamed = ok(post(clarifai_stub, image("cat"), input_id_conflict_resolution=resources_pb2.SUFFIX)).inputs[0].id
    assert re.fullmatch(r"cat-[0-9a-f]{32}", renamed)
    with unchanged(clarifai_fake):
        twice = post(clarifai_stub, image("x"), image("x"), input_id_conflict_resolution=resources_pb2.SUFFIX)
    assert_error(twice, Code.INPUT_INVALID_REQUEST, "inputs[1].id 'x' appears twice in the request")


@pytest.mark.parametrize(
    ("inputs", "code", "details"),
    [
        ([image("in-1"), image("in-0")], Code.INPUT_INVALID_REQUEST, "inputs[1].id 'in-0' already exists in the app"),
        (
            [image("in-1"), image("in-1")],
            Code.INPUT_INVALID_REQUEST,
            "inputs[1].id 'in-1' appears twice in the request",
        ),
        (
            [image("in-1"), Input(id="in-2")],
            Code.INPUT_INVALID_REQUEST,
            "inputs[1].data is empty: give a url, base64 bytes or text",
        ),
        (
            [image("in-1"), image("in-2", dataset_ids=["ds-a", "nope"])],
            Code.CONN_DOES_NOT_EXIST,
            "dataset 'nope' does not exist",
        ),
        (
            [image("in-1"), image("in-2", dataset_ids=[""])],
            Code.INPUT_INVALID_REQUEST,
            "inputs[1].dataset_ids[0] is empty",
        ),
    ],
    ids=["existing id", "repeated id", "no data", "unknown dataset", "empty dataset id"],
)
def test_a_batch_with_one_bad_input_stores_nothing(clarifai_stub, clarifai_fake, inputs, code, details):
    clarifai_fake.add_input("owner", "main", "in-0", url="https://example.com/0.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds-a")
    with unchanged(clarifai_fake):
        assert_error(post(clarifai_stub, *inputs), code, details)
    assert listed_ids(clarifai_stub) == ["in-0"]


def test_get_and_delete_of_unknown_or_empty_ids(clarifai_stub):
    assert_error(get(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist")
    assert_error(get(clarifai_stub, ""), Code.INPUT_INVALID_REQUEST, "input_id is empty")
    request = service_pb2.DeleteInputRequest(user_app_id=MAIN, input_id="nope")
    assert_error(
        clarifai_stub.DeleteInput(request, metadata=OWNER), Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist"
    )


def test_delete_inputs_all_or_nothing(clarifai_stub, clarifai_fake):
    ok(post(clarifai_stub, image("in-1"), image("in-2"), image("in-3")))
    with unchanged(clarifai_fake):
        assert_error(
            delete_many(clarifai_stub, "in-1", "nope"), Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist"
        )
        assert_error(delete_many(clarifai_stub, "in-1", ""), Code.INPUT_INVALID_REQUEST, "ids[1] is empty")
    ok(delete_many(clarifai_stub, "in-1", "in-3", "in-1"))
    assert listed_ids(clarifai_stub) == ["in-2"]
    ok(clarifai_stub.DeleteInput(service_pb2.DeleteInputRequest(user_app_id=MAIN, input_id="in-2"), metadata=OWNER))
    assert listed_ids(clarifai_stub) == []
    assert count(clarifai_stub).processed == 0


def test_deleting_an_input_takes_its_memberships_annotations_and_pending_work_with_it(clarifai_stub, clarifai_fake):
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/1.jpg")
    clarifai_fake.add_input("owner", "main", "in-2", url="https://example.com/2.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds-a", input_ids=["in-1", "in-2"])
    app = clarifai_fake.store.app("owner", "main")
    annotations = [resources_pb2.Annotation(id=f"a{n}", input_id=i, task_id="t-all") for n, i in enumerate(INPUTS)]
    app.add_annotations(annotations)
    kept = annotations[1]
    task = put_task(clarifai_fake, "t-all", source=ALL_INPUTS, assigned={"in-1": "labeler-1", "in-2": "labeler-2"})
    ok(delete_many(clarifai_stub, "in-1"))
    request = service_pb2.ListDatasetInputsRequest(user_app_id=MAIN, dataset_id="ds-a")
    assert [m.input.id for m in ok(clarifai_stub.ListDatasetInputs(request, metadata=OWNER)).dataset_inputs] == ["in-2"]
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN)
    assert list(ok(clarifai_stub.ListAnnotations(request, metadata=OWNER)).annotations) == [kept]
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN, task_id="t-all")
    assert list(ok(clarifai_stub.ListAnnotations(request, metadata=OWNER)).annotations) == [kept]
    assert [a.input_id for a in task.assignments.values()] == ["in-2"]
    assert task.work.removed == ["in-1"]
    assert ("in-1" in app.dataset_ids_by_input, "in-1" in app.annotation_ids_by_input) == (False, False)


def test_a_task_worker_may_get_inputs_assigned_to_them_and_nothing_else(clarifai_stub, clarifai_fake):
    contractor = FakeClarifai.metadata(clarifai_fake.add_user("contractor", "contractor-pat"))
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/1.jpg")
    clarifai_fake.add_input("owner", "main", "in-2", url="https://example.com/2.jpg")
    put_task(clarifai_fake, "t-1", source=ALL_INPUTS, assigned={"in-1": "contractor", "in-2": "labeler-1"})
    assert ok(get(clarifai_stub, "in-1", contractor)).input.id == "in-1"
    refused = "user 'contractor' has no access to app 'owner/main'"
    assert_error(get(clarifai_stub, "in-2", contractor), Code.CONN_KEY_INVALID, refused)
    assert_error(get(clarifai_stub, "nope", contractor), Code.CONN_KEY_INVALID, refused)
    request = service_pb2.ListInputsRequest(user_app_id=MAIN)
    assert_error(clarifai_stub.ListInputs(request, metadata=contractor), Code.CONN_KEY_INVALID, refused)


@pytest.mark.parametrize(
    "method", ["PostInputs", "GetInput", "ListInputs", "GetInputCount", "DeleteInput", "DeleteInputs"]
)
def test_outsider_is_refused(clarifai_fake, clarifai_stub, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)
