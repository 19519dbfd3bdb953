"""The deprecated task link `annotation_info = {"task_id": …}` (BEHAVIOUR.md §6.3), over the wire.

Sources: the Task Annotations page links an annotation to its task that way; the proto comment of
`Annotation.annotation_info` calls that form deprecated in favour of `Annotation.task_id`. The fake treats
both forms as one link (same checks, same counts); the refusals of inconsistent links are its policy.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2
from google.protobuf.struct_pb2 import Struct

from fake_clarifai import FakeClarifai

LABELER = FakeClarifai.metadata("labeler-1-pat")
OUTSIDER = FakeClarifai.metadata("outsider-pat")
INVALID = Code.ANNOTATION_INVALID_ARGUMENT


@pytest.fixture(autouse=True)
def task(clarifai_fake: FakeClarifai, clarifai_stub: Any) -> None:
    """A FULL task "t" (review NONE) with labeler-1 and the non-member outsider as workers, on in-1 and in-2."""
    for n in (1, 2):
        clarifai_fake.add_input("owner", "main", f"in-{n}", url=f"https://example.com/{n}.jpg")
    workers = [r.Worker(user=r.User(id=u)) for u in ("labeler-1", "outsider")]
    definition = r.Task(
        id="t",
        type="CONCEPTS_CLASSIFICATION",
        worker=r.TaskWorker(strategy="FULL", workers=workers),
        concept_ids=["water"],
        input_source=r.TaskInputSource(type="ALL_INPUTS"),
        review=r.TaskReview(strategy="NONE"),
    )
    ok(clarifai_stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[definition]), metadata=OWNER))


def info(**fields: Any) -> Struct:
    struct = Struct()
    struct.update(fields)
    return struct


def post(stub: Any, metadata: Any = LABELER, **fields: Any) -> Any:
    annotation = r.Annotation(input_id=fields.pop("input_id", "in-1"), **fields)
    request = service_pb2.PostAnnotationsRequest(user_app_id=MAIN, annotations=[annotation])
    return stub.PostAnnotations(request, metadata=metadata)


def annotation_counts(stub: Any) -> list[tuple[str, int, int]]:
    request = service_pb2.GetTaskCountRequest(user_app_id=MAIN, task_id="t")
    return [(c.user_id, c.pending, c.success) for c in ok(stub.GetTaskAnnotationCount(request, metadata=OWNER)).counts]


@pytest.mark.parametrize("transport", ["clarifai_stub", "clarifai_json_stub"])
def test_the_deprecated_link_makes_a_task_annotation(request, clarifai_fake, transport):
    # Task Annotations page; proto Annotation.annotation_info: stored with task_id filled in, pending, counted
    stub = request.getfixturevalue(transport)
    (posted,) = ok(post(stub, annotation_info=info(task_id="t"))).annotations
    assert (posted.task_id, dict(posted.annotation_info)) == ("t", {"task_id": "t"})
    assert posted.status.code == Code.ANNOTATION_PENDING
    assert annotation_counts(stub) == [("labeler-1", 1, 0), ("outsider", 0, 0)]


def test_the_deprecated_link_follows_the_submit_like_task_id(clarifai_stub, clarifai_fake):
    # proto PutTaskAssignmentsRequestAction LABEL_SUBMIT (review NONE: the work and its annotations succeed)
    ok(post(clarifai_stub, annotation_info=info(task_id="t")))
    start = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id="t", action="LABEL_START")
    batch = ok(clarifai_stub.PutTaskAssignments(start, metadata=LABELER)).task_assignments
    submit = service_pb2.PutTaskAssignmentsRequest(
        user_app_id=MAIN,
        task_id="t",
        action="LABEL_SUBMIT",
        label_submit_config=service_pb2.LabelSubmitConfig(task_assignments=[r.TaskAssignment(id=batch[0].id)]),
    )
    ok(clarifai_stub.PutTaskAssignments(submit, metadata=LABELER))
    assert annotation_counts(clarifai_stub) == [("labeler-1", 0, 1), ("outsider", 0, 0)]
    with unchanged(clarifai_fake):  # after submit the labeler's link is refused as task_id's would be (§6.3)
        assert_error(
            post(clarifai_stub, annotation_info=info(task_id="t")),
            Code.TASK_CONFLICT,
            f"annotations[0]: assignment '{batch[0].id}' of input 'in-1' is TASK_ASSIGNMENT_SUCCESS: "
            "annotate while it is TASK_ASSIGNMENT_PENDING",
        )


def test_a_task_only_worker_may_post_with_the_deprecated_link(clarifai_stub, clarifai_fake):
    # the grant of task workers who are not app members reads the same link (BEHAVIOUR.md §2.4)
    (posted,) = ok(post(clarifai_stub, OUTSIDER, annotation_info=info(task_id="t"))).annotations
    assert (posted.task_id, posted.user_id) == ("t", "outsider")


def test_both_forms_naming_the_same_task_are_one_link(clarifai_stub, clarifai_fake):
    (posted,) = ok(post(clarifai_stub, task_id="t", annotation_info=info(task_id="t"))).annotations
    assert posted.task_id == "t"


@pytest.mark.parametrize(
    ("fields", "metadata", "code", "details"),
    [
        pytest.param(
            {"task_id": "t", "annotation_info": info(task_id="other")},
            LABELER,
            INVALID,
            "annotations[0].task_id 't' and annotations[0].annotation_info.task_id 'other' name different tasks: "
            "give one (annotation_info.task_id is deprecated)",
            id="the two forms differ [policy]",
        ),
        pytest.param(
            {"annotation_info": info(task_id=7)},
            LABELER,
            INVALID,
            "annotations[0].annotation_info.task_id is not a string: give the task id as a string",
            id="not a string [policy]",
        ),
        pytest.param(
            {"annotation_info": info(task_id="ghost")},
            LABELER,
            Code.TASK_MISSING,
            "annotations[0].annotation_info.task_id: task 'ghost' does not exist",
            id="unknown task",
        ),
        pytest.param(
            {"annotation_info": info(task_id="t")},
            FakeClarifai.metadata("labeler-2-pat"),
            Code.TASK_PERMISSION_DENIED,
            "annotations[0].input_id 'in-1' is not assigned to user 'labeler-2' in task 't'",
            id="not the caller's work",
        ),
        pytest.param(
            {"annotation_info": info(task_id="t"), "user_id": "labeler-2"},
            LABELER,
            Code.TASK_PERMISSION_DENIED,
            "annotations[0].user_id 'labeler-2': a task annotation is by the labeler who posts it: leave it empty",
            id="for another user",
        ),
    ],
)
def test_a_bad_deprecated_link_is_refused_and_nothing_is_stored(
    clarifai_stub, clarifai_fake, fields, metadata, code, details
):
    with unchanged(clarifai_fake):
        assert_error(post(clarifai_stub, metadata, **fields), code, details)


def test_a_non_member_with_a_malformed_link_is_not_let_in(clarifai_stub, clarifai_fake):
    # the grant answers only yes or no: a link it cannot read grants nothing [policy]
    with unchanged(clarifai_fake):
        assert_error(
            post(clarifai_stub, OUTSIDER, annotation_info=info(task_id=7)),
            Code.CONN_KEY_INVALID,
            "user 'outsider' has no access to app 'owner/main'",
        )


@pytest.mark.parametrize(
    ("stored_link", "patched_info", "details"),
    [
        ({"task_id": "t"}, info(task_id="other"), "belongs to task 't'"),
        ({}, info(task_id="t"), "belongs to no task"),
    ],
    ids=["moved to another task", "an ordinary annotation linked"],
)
def test_a_patch_cannot_change_the_task_link(clarifai_stub, clarifai_fake, stored_link, patched_info, details):
    # [policy] the link is made when the annotation is posted; PatchAnnotations never changes it
    (posted,) = ok(post(clarifai_stub, OWNER if not stored_link else LABELER, **stored_link)).annotations
    change = r.Annotation(id=posted.id, annotation_info=patched_info)
    request = service_pb2.PatchAnnotationsRequest(user_app_id=MAIN, action="merge", annotations=[change])
    named = patched_info.fields["task_id"].string_value
    with unchanged(clarifai_fake):
        assert_error(
            clarifai_stub.PatchAnnotations(request, metadata=OWNER),
            INVALID,
            f"annotations[0].annotation_info.task_id '{named}': annotation '{posted.id}' {details}, "
            "and a patch does not change it",
        )
