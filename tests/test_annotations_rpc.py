"""Annotations over the wire: PostAnnotations, GetAnnotation, ListAnnotations, PatchAnnotations,
DeleteAnnotation(s) (BEHAVIOUR.md §3). The task rules for annotations with a `task_id` are tested with the tasks."""

from __future__ import annotations

import re

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, outsider_is_refused, put_task, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai import FakeClarifai

Annotation = resources_pb2.Annotation
LABELER_1 = FakeClarifai.metadata("labeler-1-pat")
LABELER_2 = FakeClarifai.metadata("labeler-2-pat")
ALL_INPUTS = resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS)


def tagged(input_id, *concepts, annotation_id="", **fields) -> resources_pb2.Annotation:
    data = resources_pb2.Data(concepts=[resources_pb2.Concept(id=c, value=1.0) for c in concepts])
    return Annotation(id=annotation_id, input_id=input_id, data=data, **fields)


def post(stub, *annotations, metadata=OWNER):
    request = service_pb2.PostAnnotationsRequest(user_app_id=MAIN, annotations=annotations)
    return stub.PostAnnotations(request, metadata=metadata)


def get(stub, annotation_id, input_id=""):
    request = service_pb2.GetAnnotationRequest(user_app_id=MAIN, annotation_id=annotation_id, input_id=input_id)
    return stub.GetAnnotation(request, metadata=OWNER)


def listed_ids(stub, **params) -> list[str]:
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN, **params)
    return [a.id for a in ok(stub.ListAnnotations(request, metadata=OWNER)).annotations]


def patch(stub, action, *annotations, delete_if_empty_data=False):
    request = service_pb2.PatchAnnotationsRequest(
        user_app_id=MAIN, action=action, annotations=annotations, delete_if_empty_data=delete_if_empty_data
    )
    return stub.PatchAnnotations(request, metadata=OWNER)


def delete_many(stub, ids=(), input_ids=()):
    request = service_pb2.DeleteAnnotationsRequest(user_app_id=MAIN, ids=ids, input_ids=input_ids)
    return stub.DeleteAnnotations(request, metadata=OWNER)


def concepts_of(annotation) -> list[tuple[str, float]]:
    return [(c.id, c.value) for c in annotation.data.concepts]


@pytest.fixture
def inputs(clarifai_fake):
    for input_id in ("in-1", "in-2", "in-3"):
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")


@pytest.fixture
def posted(clarifai_stub, inputs):
    """a-1 (labeler-1, in-1), a-2 (labeler-2, in-2), a-3 (labeler-1, in-2, awaiting review), a-4 (labeler-2, in-1)."""
    ok(post(clarifai_stub, tagged("in-1", "water", annotation_id="a-1"), metadata=LABELER_1))
    ok(post(clarifai_stub, tagged("in-2", "sky", annotation_id="a-2"), metadata=LABELER_2))
    awaiting = status_pb2.Status(code=Code.ANNOTATION_AWAITING_REVIEW)
    ok(post(clarifai_stub, tagged("in-2", "water", annotation_id="a-3", status=awaiting), metadata=LABELER_1))
    ok(post(clarifai_stub, tagged("in-1", "sky", annotation_id="a-4"), metadata=LABELER_2))


def test_an_annotation_belongs_to_its_input_and_to_the_user_who_posted_it(clarifai_stub, inputs):
    response = ok(post(clarifai_stub, tagged("in-1", "water", annotation_id="a-1"), tagged("in-2"), metadata=LABELER_1))
    named, generated = response.annotations
    assert (named.id, named.input_id, named.user_id, named.worker.user.id) == ("a-1", "in-1", "labeler-1", "labeler-1")
    assert concepts_of(named) == [("water", 1.0)]
    assert (named.status.code, named.status.description) == (Code.ANNOTATION_SUCCESS, "Annotation success")
    assert named.created_at.seconds > 0 and named.modified_at == named.created_at
    assert re.fullmatch(r"[0-9a-f]{32}", generated.id) and generated.input_id == "in-2"
    assert ok(get(clarifai_stub, "a-1")).annotation == named
    assert ok(get(clarifai_stub, "a-1", "in-1")).annotation == named
    assert listed_ids(clarifai_stub) == ["a-1", generated.id]


def test_a_status_given_by_the_caller_is_kept(clarifai_stub, posted):
    stored = ok(get(clarifai_stub, "a-3")).annotation
    assert Code.Name(stored.status.code) == "ANNOTATION_AWAITING_REVIEW"


def test_get_unknown_empty_or_on_another_input(clarifai_stub, posted):
    assert_error(get(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "annotation 'nope' does not exist")
    assert_error(get(clarifai_stub, ""), Code.ANNOTATION_INVALID_ARGUMENT, "annotation_id is empty")
    details = "annotation 'a-1' of input 'in-2' does not exist"
    assert_error(get(clarifai_stub, "a-1", "in-2"), Code.CONN_DOES_NOT_EXIST, details)


def test_list_filters(clarifai_stub, posted):
    assert listed_ids(clarifai_stub) == ["a-1", "a-2", "a-3", "a-4"]
    assert listed_ids(clarifai_stub, input_ids=["in-1"]) == ["a-1", "a-4"]
    assert listed_ids(clarifai_stub, input_ids=["in-2", "in-3", "in-1"]) == ["a-2", "a-3", "a-1", "a-4"]
    assert listed_ids(clarifai_stub, user_ids=["labeler-1"]) == ["a-1", "a-3"]
    assert listed_ids(clarifai_stub, input_ids=["in-2"], user_ids=["labeler-1"]) == ["a-3"]
    awaiting = status_pb2.Status(code=Code.ANNOTATION_AWAITING_REVIEW)
    assert listed_ids(clarifai_stub, statuses=[awaiting]) == ["a-3"]
    success = status_pb2.Status(code=Code.ANNOTATION_SUCCESS)
    assert listed_ids(clarifai_stub, statuses=[success, awaiting], user_ids=["labeler-2"]) == ["a-2", "a-4"]
    assert listed_ids(clarifai_stub, ids=["a-4", "nope", "a-1"]) == ["a-4", "a-1"]
    assert listed_ids(clarifai_stub, ids=["a-4", "a-1"], input_ids=["in-1"], user_ids=["labeler-1"]) == ["a-1"]


def test_list_by_task_and_worker_kind(clarifai_stub, clarifai_fake, posted):
    app = clarifai_fake.store.app("owner", "main")
    by_model = Annotation(id="m-1", input_id="in-3", task_id="t-1", model_version_id="mv-1")
    by_workflow = Annotation(id="w-1", input_id="in-3", task_id="t-2")
    by_workflow.worker.workflow.version.id = "wv-1"
    app.add_annotations(
        [by_model, by_workflow, Annotation(id="u-1", input_id="in-1", task_id="t-1", user_id="labeler-3")]
    )
    # a default list leaves out the model's annotation [proto: ListAnnotationsRequest.list_all_annotations]
    assert listed_ids(clarifai_stub, task_id="t-1") == ["u-1"]
    assert listed_ids(clarifai_stub, task_id="t-1", list_all_annotations=True) == ["m-1", "u-1"]
    assert listed_ids(clarifai_stub, task_id="t-1", input_ids=["in-1"]) == ["u-1"]
    assert listed_ids(clarifai_stub, model_version_ids=["mv-1"]) == ["m-1"]
    assert listed_ids(clarifai_stub, workflow_version_ids=["wv-1"], model_version_ids=["mv-1"]) == ["m-1", "w-1"]
    assert listed_ids(clarifai_stub, user_ids=["labeler-2"], workflow_version_ids=["wv-1"]) == ["a-2", "a-4", "w-1"]
    assert listed_ids(clarifai_stub, task_id="nope") == []


def test_an_annotation_posted_by_a_task_worker_is_listed_by_its_task(clarifai_stub, clarifai_fake, inputs):
    put_task(clarifai_fake, "t-1", source=ALL_INPUTS, assigned={"in-1": "labeler-1"})
    posted = ok(post(clarifai_stub, tagged("in-1", "water", task_id="t-1"), metadata=LABELER_1)).annotations[0]
    assert (posted.task_id, posted.user_id) == ("t-1", "labeler-1")
    assert listed_ids(clarifai_stub, task_id="t-1") == [posted.id]


def test_list_pages_in_creation_order(clarifai_stub, posted):
    pages = [listed_ids(clarifai_stub, page=p, per_page=3) for p in (0, 1, 2, 3)]
    assert pages == [["a-1", "a-2", "a-3"], ["a-1", "a-2", "a-3"], ["a-4"], []]
    assert listed_ids(clarifai_stub, input_ids=["in-2", "in-1"], page=2, per_page=3) == ["a-4"]


class WatchedDict(dict):
    """A dict that counts walks over it (iteration, keys, values, items)."""

    walks = 0

    def __iter__(self):
        WatchedDict.walks += 1
        return super().__iter__()

    def keys(self):
        WatchedDict.walks += 1
        return super().keys()

    def values(self):
        WatchedDict.walks += 1
        return super().values()

    def items(self):
        WatchedDict.walks += 1
        return super().items()


def test_filtered_lists_use_the_indexes_and_never_walk_all_annotations(
    clarifai_stub, clarifai_fake, posted, monkeypatch
):
    app = clarifai_fake.store.app("owner", "main")
    app.add_annotations([Annotation(id="t-a", input_id="in-3", task_id="t-1")])
    monkeypatch.setattr(WatchedDict, "walks", 0)
    app.annotations = WatchedDict(app.annotations)
    assert listed_ids(clarifai_stub, input_ids=["in-2"]) == ["a-2", "a-3"]
    assert listed_ids(clarifai_stub, task_id="t-1") == ["t-a"]
    assert listed_ids(clarifai_stub, ids=["a-4"]) == ["a-4"]
    assert WatchedDict.walks == 0
    assert len(listed_ids(clarifai_stub)) == 5
    assert WatchedDict.walks == 1


def test_patch_merge_overwrite_and_remove(clarifai_stub, posted):
    region = resources_pb2.Region(id="r-1", value=0.5)
    change = tagged("in-1", "sky", annotation_id="a-1")
    change.data.concepts.add(id="water", value=0.0)
    change.data.regions.append(region)
    merged = ok(patch(clarifai_stub, "merge", change)).annotations[0]
    assert concepts_of(merged) == [("water", 0.0), ("sky", 1.0)]
    assert [r.id for r in merged.data.regions] == ["r-1"]
    assert merged.modified_at.ToNanoseconds() > merged.created_at.ToNanoseconds()
    removed = ok(patch(clarifai_stub, "remove", tagged("", "water", annotation_id="a-1"))).annotations[0]
    assert (concepts_of(removed), len(removed.data.regions)) == ([("sky", 1.0)], 1)
    overwritten = ok(patch(clarifai_stub, "overwrite", tagged("in-1", "cloud", annotation_id="a-1"))).annotations[0]
    assert (concepts_of(overwritten), len(overwritten.data.regions)) == ([("cloud", 1.0)], 0)
    stored = ok(get(clarifai_stub, "a-1")).annotation
    assert stored == overwritten
    assert (stored.user_id, stored.input_id, stored.created_at) == ("labeler-1", "in-1", merged.created_at)


def test_a_remove_that_empties_the_data_deletes_the_annotation_when_asked(clarifai_stub, posted):
    kept = ok(patch(clarifai_stub, "remove", tagged("in-1", "water", annotation_id="a-1"))).annotations
    assert [(a.id, a.data.ByteSize()) for a in kept] == [("a-1", 0)]
    gone = patch(clarifai_stub, "remove", tagged("in-2", "sky", annotation_id="a-2"), delete_if_empty_data=True)
    assert list(ok(gone).annotations) == []
    assert listed_ids(clarifai_stub) == ["a-1", "a-3", "a-4"]


@pytest.mark.parametrize(
    ("action", "annotations", "code", "details"),
    [
        (
            "merge",
            [tagged("in-1", "sky", annotation_id="a-1"), tagged("in-1", annotation_id="nope")],
            Code.CONN_DOES_NOT_EXIST,
            "annotation 'nope' does not exist",
        ),
        (
            "merge",
            [tagged("in-1", "sky", annotation_id="a-1"), tagged("in-1")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[1].id is empty",
        ),
        (
            "merge",
            [tagged("in-1", "sky", annotation_id="a-1"), tagged("in-1", annotation_id="a-1")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[1].id 'a-1' appears twice in the request",
        ),
        (
            "merge",
            [tagged("in-1", "sky", annotation_id="a-1"), tagged("in-1", annotation_id="a-2")],
            Code.CONN_DOES_NOT_EXIST,
            "annotation 'a-2' of input 'in-1' does not exist",
        ),
        (
            "append",
            [tagged("in-1", "sky", annotation_id="a-1")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "action 'append' is not supported: use one of merge, overwrite, remove",
        ),
    ],
    ids=["unknown id", "empty id", "repeated id", "another input's annotation", "unknown action"],
)
def test_a_bad_patch_changes_nothing(clarifai_stub, clarifai_fake, posted, action, annotations, code, details):
    with unchanged(clarifai_fake):
        assert_error(patch(clarifai_stub, action, *annotations), code, details)


@pytest.mark.parametrize(
    ("annotations", "code", "details"),
    [
        (
            [tagged("in-1", annotation_id="new"), tagged("in-2", annotation_id="a-1")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[1].id 'a-1' already exists in the app",
        ),
        (
            [tagged("in-1", annotation_id="new"), tagged("in-2", annotation_id="new")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[1].id 'new' appears twice in the request",
        ),
        (
            [tagged("in-1", annotation_id="new"), tagged("nope")],
            Code.CONN_DOES_NOT_EXIST,
            "input 'nope' does not exist",
        ),
        (
            [tagged("in-1", annotation_id="new"), tagged("")],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[1].input_id is empty",
        ),
    ],
    ids=["existing id", "repeated id", "unknown input", "no input"],
)
def test_a_batch_with_one_bad_annotation_stores_nothing(
    clarifai_stub, clarifai_fake, posted, annotations, code, details
):
    with unchanged(clarifai_fake):
        assert_error(post(clarifai_stub, *annotations), code, details)


def test_delete_one(clarifai_stub, clarifai_fake, posted):
    def delete_one(annotation_id, input_id):
        request = service_pb2.DeleteAnnotationRequest(user_app_id=MAIN, annotation_id=annotation_id, input_id=input_id)
        return clarifai_stub.DeleteAnnotation(request, metadata=OWNER)

    with unchanged(clarifai_fake):
        assert_error(delete_one("nope", "in-1"), Code.CONN_DOES_NOT_EXIST, "annotation 'nope' does not exist")
        assert_error(
            delete_one("a-2", "in-1"), Code.CONN_DOES_NOT_EXIST, "annotation 'a-2' of input 'in-1' does not exist"
        )
    ok(delete_one("a-1", "in-1"))
    assert listed_ids(clarifai_stub) == ["a-2", "a-3", "a-4"]
    assert listed_ids(clarifai_stub, input_ids=["in-1"]) == ["a-4"]


def test_delete_many_by_input_or_by_id_and_input_pairs(clarifai_stub, posted):
    ok(delete_many(clarifai_stub, ids=["a-3", "a-4"], input_ids=["in-2", "in-1"]))
    assert listed_ids(clarifai_stub) == ["a-1", "a-2"]
    ok(delete_many(clarifai_stub, input_ids=["in-1", "in-3", "in-1"]))
    assert listed_ids(clarifai_stub) == ["a-2"]
    assert listed_ids(clarifai_stub, input_ids=["in-1"]) == []


@pytest.mark.parametrize(
    ("ids", "input_ids", "code", "details"),
    [
        (
            ["a-1"],
            [],
            Code.ANNOTATION_INVALID_ARGUMENT,
            "input_ids is empty: name the inputs whose annotations to delete",
        ),
        (["a-1", "a-2"], ["in-1"], Code.ANNOTATION_INVALID_ARGUMENT, "ids has 2 entries but input_ids has 1"),
        (["a-1", "a-2"], ["in-1", "in-1"], Code.CONN_DOES_NOT_EXIST, "annotation 'a-2' of input 'in-1' does not exist"),
        ([], ["in-1", "nope"], Code.CONN_DOES_NOT_EXIST, "input 'nope' does not exist"),
    ],
    ids=["no input ids", "lengths differ", "pair that does not match", "unknown input"],
)
def test_a_bad_delete_deletes_nothing(clarifai_stub, clarifai_fake, posted, ids, input_ids, code, details):
    with unchanged(clarifai_fake):
        assert_error(delete_many(clarifai_stub, ids=ids, input_ids=input_ids), code, details)


@pytest.mark.parametrize(
    "method",
    [
        "PostAnnotations",
        "GetAnnotation",
        "ListAnnotations",
        "PatchAnnotations",
        "DeleteAnnotation",
        "DeleteAnnotations",
    ],
)
def test_outsider_is_refused(clarifai_fake, clarifai_stub, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)
