"""Datasets over the wire: Post/Get/List/Patch/DeleteDatasets and Post/List/DeleteDatasetInputs (BEHAVIOUR.md §3)."""

from __future__ import annotations

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, outsider_is_refused, put_task, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.struct_pb2 import Struct

Dataset = resources_pb2.Dataset


def post(stub, *datasets):
    return stub.PostDatasets(service_pb2.PostDatasetsRequest(user_app_id=MAIN, datasets=datasets), metadata=OWNER)


def get(stub, dataset_id):
    return stub.GetDataset(service_pb2.GetDatasetRequest(user_app_id=MAIN, dataset_id=dataset_id), metadata=OWNER)


def listed_ids(stub, **params) -> list[str]:
    response = ok(stub.ListDatasets(service_pb2.ListDatasetsRequest(user_app_id=MAIN, **params), metadata=OWNER))
    return [d.id for d in response.datasets]


def patch(stub, action, *datasets):
    request = service_pb2.PatchDatasetsRequest(user_app_id=MAIN, action=action, datasets=datasets)
    return stub.PatchDatasets(request, metadata=OWNER)


def delete(stub, *dataset_ids):
    request = service_pb2.DeleteDatasetsRequest(user_app_id=MAIN, dataset_ids=dataset_ids)
    return stub.DeleteDatasets(request, metadata=OWNER)


def add_inputs(stub, dataset_id, *input_ids):
    members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id=i)) for i in input_ids]
    request = service_pb2.PostDatasetInputsRequest(user_app_id=MAIN, dataset_id=dataset_id, dataset_inputs=members)
    return stub.PostDatasetInputs(request, metadata=OWNER)


def member_ids(stub, dataset_id, **params) -> list[str]:
    request = service_pb2.ListDatasetInputsRequest(user_app_id=MAIN, dataset_id=dataset_id, **params)
    return [m.input.id for m in ok(stub.ListDatasetInputs(request, metadata=OWNER)).dataset_inputs]


def remove_inputs(stub, dataset_id, *input_ids):
    request = service_pb2.DeleteDatasetInputsRequest(user_app_id=MAIN, dataset_id=dataset_id, input_ids=input_ids)
    return stub.DeleteDatasetInputs(request, metadata=OWNER)


def struct(**values) -> Struct:
    result = Struct()
    result.update(values)
    return result


@pytest.fixture
def inputs(clarifai_fake):
    """Five inputs in-0 … in-4 in owner/main."""
    ids = [f"in-{n}" for n in range(5)]
    for input_id in ids:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    return ids


def test_posted_datasets_are_stored_read_back_and_listed_in_pages(clarifai_stub):
    response = ok(
        post(clarifai_stub, Dataset(id="ds-0", description="first"), *(Dataset(id=f"ds-{n}") for n in (1, 2)))
    )
    first = response.datasets[0]
    assert (first.id, first.description, first.app_id, first.user_id) == ("ds-0", "first", "main", "owner")
    assert first.created_at.seconds > 0 and first.modified_at == first.created_at
    assert ok(get(clarifai_stub, "ds-0")).dataset == first
    pages = [listed_ids(clarifai_stub, page=p, per_page=2) for p in (0, 1, 2, 3)]
    assert pages == [["ds-0", "ds-1"], ["ds-0", "ds-1"], ["ds-2"], []]


@pytest.mark.parametrize(
    ("datasets", "details"),
    [
        ([Dataset(id="ds-new"), Dataset(id="ds-old")], "datasets[1].id 'ds-old' already exists in the app"),
        ([Dataset(id="ds-new"), Dataset(id="ds-new")], "datasets[1].id 'ds-new' appears twice in the request"),
        ([Dataset(id="ds-new"), Dataset(description="no id")], "datasets[1].id is empty"),
    ],
    ids=["existing id", "repeated id", "empty id"],
)
def test_a_batch_with_one_bad_dataset_stores_nothing(clarifai_stub, clarifai_fake, datasets, details):
    clarifai_fake.add_dataset("owner", "main", "ds-old")
    with unchanged(clarifai_fake):
        assert_error(post(clarifai_stub, *datasets), Code.CONN_INVALID_REQUEST, details)
    assert listed_ids(clarifai_stub) == ["ds-old"]


def test_patch_merge_overwrite_and_remove_image(clarifai_stub, clarifai_fake):
    image = resources_pb2.Image(url="https://example.com/cover.jpg")
    ok(post(clarifai_stub, Dataset(id="ds", description="d", notes="n", metadata=struct(a=1), image=image)))
    merged = ok(patch(clarifai_stub, "merge", Dataset(id="ds", notes="N", metadata=struct(b=2)))).datasets[0]
    assert (merged.description, merged.notes, dict(merged.metadata), merged.image.url) == (
        "d",
        "N",
        {"a": 1, "b": 2},
        image.url,
    )
    removed = ok(patch(clarifai_stub, "remove", Dataset(id="ds", image=image))).datasets[0]
    assert (removed.HasField("image"), removed.notes) == (False, "N")
    overwritten = ok(patch(clarifai_stub, "overwrite", Dataset(id="ds", description="D"))).datasets[0]
    assert (overwritten.description, overwritten.notes, dict(overwritten.metadata)) == ("D", "", {})
    assert ok(get(clarifai_stub, "ds")).dataset == overwritten
    assert (overwritten.created_at, overwritten.app_id) == (merged.created_at, "main")


@pytest.mark.parametrize(
    ("action", "datasets", "code", "details"),
    [
        (
            "merge",
            [Dataset(id="ds", notes="x"), Dataset(id="nope")],
            Code.CONN_DOES_NOT_EXIST,
            "dataset 'nope' does not exist",
        ),
        (
            "merge",
            [Dataset(id="ds", notes="x"), Dataset(notes="y")],
            Code.CONN_INVALID_REQUEST,
            "datasets[1].id is empty",
        ),
        (
            "remove",
            [Dataset(id="ds", image=resources_pb2.Image(url="https://example.com/other.jpg"))],
            Code.CONN_INVALID_REQUEST,
            "datasets[0].image.url 'https://example.com/other.jpg': 'remove' only removes the dataset's current image",
        ),
        (
            "replace",
            [Dataset(id="ds", notes="x")],
            Code.CONN_INVALID_REQUEST,
            "action 'replace' is not supported: use one of merge, overwrite, remove",
        ),
    ],
    ids=["unknown id", "empty id", "remove another image", "unknown action"],
)
def test_a_bad_patch_changes_nothing(clarifai_stub, clarifai_fake, action, datasets, code, details):
    image = resources_pb2.Image(url="https://example.com/cover.jpg")
    ok(post(clarifai_stub, Dataset(id="ds", image=image)))
    with unchanged(clarifai_fake):
        assert_error(patch(clarifai_stub, action, *datasets), code, details)


def test_get_unknown_or_empty(clarifai_stub):
    assert_error(get(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "dataset 'nope' does not exist")
    assert_error(get(clarifai_stub, ""), Code.CONN_INVALID_REQUEST, "dataset_id is empty")


def test_dataset_inputs_in_the_order_added_paged_and_idempotent(clarifai_stub, inputs):
    ok(post(clarifai_stub, Dataset(id="ds")))
    response = ok(add_inputs(clarifai_stub, "ds", "in-3", "in-1", "in-3"))
    assert [(m.input.id, m.input.data.image.url) for m in response.dataset_inputs] == [
        ("in-3", "https://example.com/in-3.jpg"),
        ("in-1", "https://example.com/in-1.jpg"),
    ]
    first_added = response.dataset_inputs[0].created_at
    again = ok(add_inputs(clarifai_stub, "ds", "in-0", "in-3", "in-4", "in-2")).dataset_inputs
    assert [m.input.id for m in again] == ["in-0", "in-3", "in-4", "in-2"]
    assert again[1].created_at == first_added
    everything = ["in-3", "in-1", "in-0", "in-4", "in-2"]
    assert member_ids(clarifai_stub, "ds") == everything
    pages = [member_ids(clarifai_stub, "ds", page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert pages == [everything[0:2], everything[2:4], everything[4:], []]
    ok(remove_inputs(clarifai_stub, "ds", "in-0", "in-3", "in-0"))
    assert member_ids(clarifai_stub, "ds") == ["in-1", "in-4", "in-2"]


def test_tasks_drawing_from_a_dataset_hear_of_its_new_members_only(clarifai_stub, clarifai_fake, inputs):
    ok(post(clarifai_stub, Dataset(id="ds"), Dataset(id="other")))
    source = resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.DATASET, id="ds")
    task = put_task(clarifai_fake, "t", source=source)
    ok(add_inputs(clarifai_stub, "ds", "in-1", "in-2"))
    ok(add_inputs(clarifai_stub, "ds", "in-2", "in-3"))
    ok(add_inputs(clarifai_stub, "other", "in-4"))
    assert task.work.added == [["in-1", "in-2"], ["in-3"]]


@pytest.mark.parametrize(
    ("dataset_id", "input_ids", "code", "details"),
    [
        ("ds", ["in-0", "nope"], Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist"),
        ("ds", ["in-0", ""], Code.CONN_INVALID_REQUEST, "dataset_inputs[1].input.id is empty"),
        ("nope", ["in-0"], Code.CONN_DOES_NOT_EXIST, "dataset 'nope' does not exist"),
        ("", ["in-0"], Code.CONN_INVALID_REQUEST, "dataset_id is empty"),
    ],
    ids=["unknown input", "empty input id", "unknown dataset", "empty dataset id"],
)
def test_adding_a_bad_batch_of_members_adds_nothing(
    clarifai_stub, clarifai_fake, inputs, dataset_id, input_ids, code, details
):
    ok(post(clarifai_stub, Dataset(id="ds")))
    with unchanged(clarifai_fake):
        assert_error(add_inputs(clarifai_stub, dataset_id, *input_ids), code, details)


def test_adding_members_by_search_is_not_emulated(clarifai_stub, clarifai_fake):
    ok(post(clarifai_stub, Dataset(id="ds")))
    request = service_pb2.PostDatasetInputsRequest(
        user_app_id=MAIN, dataset_id="ds", search=resources_pb2.Search(id="s")
    )
    with unchanged(clarifai_fake):
        response = clarifai_stub.PostDatasetInputs(request, metadata=OWNER)
    assert_error(
        response,
        Code.CONN_INVALID_REQUEST,
        "search: adding the results of a search to a dataset is not emulated; list dataset_inputs",
    )


def test_removing_members_that_are_not_there_removes_nothing(clarifai_stub, clarifai_fake, inputs):
    ok(post(clarifai_stub, Dataset(id="ds")))
    ok(add_inputs(clarifai_stub, "ds", "in-0", "in-1"))
    with unchanged(clarifai_fake):
        assert_error(
            remove_inputs(clarifai_stub, "ds", "in-0", "in-2"),
            Code.CONN_DOES_NOT_EXIST,
            "dataset input 'in-2' does not exist",
        )
        assert_error(
            remove_inputs(clarifai_stub, "nope", "in-0"), Code.CONN_DOES_NOT_EXIST, "dataset 'nope' does not exist"
        )
    request = service_pb2.ListDatasetInputsRequest(user_app_id=MAIN, dataset_id="nope")
    response = clarifai_stub.ListDatasetInputs(request, metadata=OWNER)
    assert_error(response, Code.CONN_DOES_NOT_EXIST, "dataset 'nope' does not exist")


def test_delete_datasets_all_or_nothing_and_the_inputs_stay(clarifai_stub, clarifai_fake, inputs):
    ok(post(clarifai_stub, Dataset(id="ds-a"), Dataset(id="ds-b")))
    ok(add_inputs(clarifai_stub, "ds-a", "in-0", "in-1"))
    ok(add_inputs(clarifai_stub, "ds-b", "in-1"))
    with unchanged(clarifai_fake):
        assert_error(delete(clarifai_stub, "ds-a", "nope"), Code.CONN_DOES_NOT_EXIST, "dataset 'nope' does not exist")
        assert_error(delete(clarifai_stub, "ds-a", ""), Code.CONN_INVALID_REQUEST, "dataset_ids[1] is empty")
    ok(delete(clarifai_stub, "ds-a", "ds-a"))
    assert listed_ids(clarifai_stub) == ["ds-b"]
    assert_error(get(clarifai_stub, "ds-a"), Code.CONN_DOES_NOT_EXIST, "dataset 'ds-a' does not exist")
    app = clarifai_fake.store.app("owner", "main")
    assert (list(app.inputs), app.dataset_ids_by_input) == (inputs, {"in-1": ("ds-b",)})
    ok(post(clarifai_stub, Dataset(id="ds-a")))
    assert member_ids(clarifai_stub, "ds-a") == []


@pytest.mark.parametrize(
    "method",
    [
        "PostDatasets",
        "GetDataset",
        "ListDatasets",
        "PatchDatasets",
        "DeleteDatasets",
        "PostDatasetInputs",
        "ListDatasetInputs",
        "DeleteDatasetInputs",
    ],
)
def test_outsider_is_refused(clarifai_fake, clarifai_stub, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)
