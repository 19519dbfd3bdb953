"""Reviewing auto-annotations, and `delete_previous_annotations` (BEHAVIOUR.md §7.1, §7.2), over the wire.

Sources: the Auto-annotation docs page (predictions between the thresholds go to human review); the proto's
`TaskReviewMetrics.inputs_reviewable_count_estimated_per_reviewer` (an auto-annotation task's reviewable inputs
are those annotated AWAITING_REVIEW); `Task.delete_previous_annotations`. What request-changes means for a
model's work is the fake's policy: it is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2

from fake_clarifai import FakeClarifai
from fake_clarifai.invariants import check_invariants

REVIEWER = FakeClarifai.metadata("reviewer-pat")
SCORES = {"in-1": {"water": 0.8, "sky": 0.3}, "in-2": {"water": 0.95}, "in-3": {"water": 0.2}, "in-4": {"water": 0.6}}


@pytest.fixture(autouse=True)
def model(clarifai_fake: FakeClarifai) -> None:
    for input_id in SCORES:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    clarifai_fake.add_model("owner", "main", "tagger", version_id="tagger-v1", predictions=SCORES)
    clarifai_fake.add_model("owner", "main", "other", version_id="other-v1", predictions=SCORES)


def rule(concept: str, lower: float, upper: float, status: int) -> r.TaskConcept:
    config = r.TaskConceptAutoAnnotationConfig(
        threshold_range=r.ThresholdRange(is_lower_inclusive=True, is_upper_inclusive=True, lower=lower, upper=upper),
        status_code=status,
    )
    return r.TaskConcept(concept=r.Concept(id=concept), auto_annotation_config=config)


def auto_task(task_id: str = "auto", model_id: str = "tagger", **fields: Any) -> r.Task:
    """Sure above 0.9 (SUCCESS); unsure between 0.5 and 0.9 (AWAITING_REVIEW, for the reviewer)."""
    return r.Task(
        id=task_id,
        type="TYPE_NOT_SET",
        worker=r.TaskWorker(
            strategy="FULL",
            workers=[r.Worker(model=r.Model(id=model_id, model_version=r.ModelVersion(id=f"{model_id}-v1")))],
        ),
        concepts=[
            rule("water", 0.9, 1.0, Code.ANNOTATION_SUCCESS),
            rule("water", 0.5, 0.9, Code.ANNOTATION_AWAITING_REVIEW),
        ],
        input_source=r.TaskInputSource(type="ALL_INPUTS"),
        review=r.TaskReview(strategy="MANUAL", users=[r.User(id="reviewer")]),
        **fields,
    )


def post_task(stub: Any, task: r.Task) -> None:
    ok(stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[task]), metadata=OWNER))


def put(stub: Any, action: str, **fields: Any) -> Any:
    request = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id="auto", action=action, **fields)
    return stub.PutTaskAssignments(request, metadata=REVIEWER)


def statuses(fake: FakeClarifai, task_id: str = "auto") -> dict[str, str]:
    app = fake.store.app("owner", "main")
    return {
        app.annotations[i].input_id: Code.Name(app.annotations[i].status.code)
        for i in app.annotation_ids_by_task.get(task_id, ())
    }


def review_start(stub: Any) -> list[r.TaskAssignment]:
    return list(ok(put(stub, "REVIEW_START")).task_assignments)


def test_reviewers_get_the_inputs_the_model_flagged(clarifai_stub, clarifai_fake):
    # Auto-annotation page: predictions between the thresholds wait for human review
    post_task(clarifai_stub, auto_task())
    assert statuses(clarifai_fake) == {
        "in-1": "ANNOTATION_AWAITING_REVIEW",
        "in-2": "ANNOTATION_SUCCESS",
        "in-4": "ANNOTATION_AWAITING_REVIEW",
    }
    batch = review_start(clarifai_stub)
    assert [a.input.id for a in batch] == ["in-1", "in-4"]
    assert {a.status.code for a in batch} == {Code.TASK_ASSIGNMENT_AWAITING_REVIEW}
    assert {(a.worker.model.id, a.worker.model.model_version.id) for a in batch} == {("tagger", "tagger-v1")}
    assert review_start(clarifai_stub) == batch  # the same batch until it is decided (§6.7)
    count = ok(
        clarifai_stub.GetTaskInputCount(
            service_pb2.GetTaskCountRequest(user_app_id=MAIN, task_id="auto"), metadata=OWNER
        )
    )
    assert [(c.worker.model.id, c.awaiting_review) for c in count.counts] == [("tagger", 2)]
    check_invariants(clarifai_fake)


def test_approve_and_reject_decide_the_models_annotations(clarifai_stub, clarifai_fake):
    # proto PutTaskAssignmentsRequestAction REVIEW_APPROVE / REVIEW_REJECT, on the model's work as on a labeler's
    post_task(clarifai_stub, auto_task())
    first, second = review_start(clarifai_stub)
    approve = service_pb2.ReviewApproveConfig(task_assignments=[r.TaskAssignment(id=first.id)])
    (approved,) = ok(put(clarifai_stub, "REVIEW_APPROVE", review_approve_config=approve)).task_assignments
    reject = service_pb2.ReviewRejectConfig(task_assignments=[r.TaskAssignment(id=second.id)])
    (rejected,) = ok(put(clarifai_stub, "REVIEW_REJECT", review_reject_config=reject)).task_assignments
    assert (approved.status.code, rejected.status.code) == (Code.TASK_ASSIGNMENT_SUCCESS, Code.TASK_ASSIGNMENT_REJECTED)
    assert statuses(clarifai_fake) == {
        "in-1": "ANNOTATION_SUCCESS",
        "in-2": "ANNOTATION_SUCCESS",
        "in-4": "ANNOTATION_REVIEW_DENIED",
    }
    assert review_start(clarifai_stub) == []
    get = service_pb2.GetTaskRequest(user_app_id=MAIN, task_id="auto", additional_fields=["all"])
    assert ok(clarifai_stub.GetTask(get, metadata=OWNER)).task.metrics.review.inputs_count_estimated == 2
    check_invariants(clarifai_fake)


def test_request_changes_on_a_models_work_is_refused(clarifai_stub, clarifai_fake):
    # [policy] a model cannot be asked to redo its work: approve or reject it
    post_task(clarifai_stub, auto_task())
    first, _ = review_start(clarifai_stub)
    config = service_pb2.ReviewRequestChangesConfig(task_assignments=[r.TaskAssignment(id=first.id)])
    with unchanged(clarifai_fake):
        assert_error(
            put(clarifai_stub, "REVIEW_REQUEST_CHANGES", review_request_changes_config=config),
            Code.TASK_CONFLICT,
            f"review_request_changes_config.task_assignments[0].id '{first.id}' is the work of the task's model or "
            "workflow (version 'tagger-v1'), which cannot be asked to redo it: approve or reject it",
        )


def test_only_the_tasks_reviewers_review_a_models_work(clarifai_stub, clarifai_fake):
    post_task(clarifai_stub, auto_task())
    request = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id="auto", action="REVIEW_START")
    with unchanged(clarifai_fake):
        assert_error(
            clarifai_stub.PutTaskAssignments(request, metadata=FakeClarifai.metadata("labeler-1-pat")),
            Code.TASK_PERMISSION_DENIED,
            "user 'labeler-1' is not a reviewer of task 'auto'",
        )


@pytest.mark.parametrize("delete_previous", [True, False])
def test_delete_previous_annotations(clarifai_stub, clarifai_fake, delete_previous):
    # proto Task.delete_previous_annotations: earlier auto-annotations of the same concept by the same model go
    post_task(clarifai_stub, auto_task("first"))
    post_task(clarifai_stub, auto_task("by-other-model", model_id="other"))
    sky = auto_task("sky-task")
    del sky.concepts[:]
    sky.concepts.append(rule("sky", 0.0, 1.0, Code.ANNOTATION_SUCCESS))
    post_task(clarifai_stub, sky)
    post_task(clarifai_stub, auto_task("second", delete_previous_annotations=delete_previous))
    assert bool(statuses(clarifai_fake, "first")) is not delete_previous
    assert len(statuses(clarifai_fake, "by-other-model")) == 3  # another model's work stays
    assert statuses(clarifai_fake, "sky-task") == {"in-1": "ANNOTATION_SUCCESS"}  # another concept stays
    earlier = clarifai_fake.store.app("owner", "main").tasks["first"]
    assert len(earlier.assignments) == (0 if delete_previous else 2)  # its review items went with the annotations
    assert len(statuses(clarifai_fake, "second")) == 3
    check_invariants(clarifai_fake)
