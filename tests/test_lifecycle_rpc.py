"""The labeling and review lifecycle through the wire (BEHAVIOUR.md §6): a walkthrough per review strategy, with the
assignment states, the task annotations' states and both counts checked after every step, and the
illegal transitions refused with the codes of docs/BEHAVIOUR.md and nothing changed."""

from __future__ import annotations

import pytest
from both_channels import *  # noqa: F403 (the fixtures that run each test over both channels)
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import (
    Action,
    TaskClient,
    add_inputs,
    consensus_review,
    counts,
    human_task,
    manual_review,
    status_names,
)

from fake_clarifai.invariants import check_invariants

LABELERS = ["labeler-1", "labeler-2", "labeler-3"]
PENDING = "TASK_ASSIGNMENT_PENDING"
AWAITING = "TASK_ASSIGNMENT_AWAITING_REVIEW"
AWAITING_CONSENSUS = "TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW"
DONE = "TASK_ASSIGNMENT_SUCCESS"
REJECTED = "TASK_ASSIGNMENT_REJECTED"
WATER, SKY, BOTH = {"water": 1.0}, {"sky": 1.0}, {"water": 1.0, "sky": 1.0}


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def docs_consensus_task(tasks: TaskClient) -> str:
    """The docs' consensus example: 3 labelers, PARTITIONED WEIGHTED (1, 1, 1) with 3 workers per input,
    ALL_INPUTS, CONSENSUS with approval_threshold 2 and one reviewer."""
    task = human_task(
        LABELERS, workers_per_input=3, weights=dict.fromkeys(LABELERS, 1), review=consensus_review(["reviewer"], 2)
    )
    return tasks.post_task(task)


def submit_input(tasks: TaskClient, task_id: str, labeler: str, input_id: str) -> str:
    """Submit `labeler`'s assignment of `input_id` (found through LABEL_START); returns its new status name."""
    mine = [a for a in tasks.start(labeler, task_id) if a.input.id == input_id]
    (submitted,) = tasks.submit(labeler, task_id, [a.id for a in mine])
    return status_names([submitted])[input_id]


# -- CONSENSUS ---------------------------------------------------------------------------------


def test_consensus_docs_example_two_agree_one_differs_and_the_input_is_approved(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1")
    task_id = docs_consensus_task(tasks)
    for labeler in LABELERS:
        assert status_names(tasks.start(labeler, task_id)) == {"in-1": PENDING}
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(pending=1))

    for labeler, concepts in zip(LABELERS, [WATER, SKY, WATER], strict=True):
        assert tasks.label(labeler, task_id, "in-1", concepts).status.code == status_code_pb2.SUCCESS
    assert set(tasks.annotation_states(task_id).values()) == {"ANNOTATION_PENDING"}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == dict.fromkeys(LABELERS, counts(pending=1))

    assert submit_input(tasks, task_id, "labeler-1", "in-1") == AWAITING_CONSENSUS
    assert submit_input(tasks, task_id, "labeler-2", "in-1") == AWAITING_CONSENSUS
    assert tasks.counts(task_id) == {
        "labeler-1": counts(awaiting_consensus_review=1),
        "labeler-2": counts(awaiting_consensus_review=1),
        "labeler-3": counts(pending=1),
    }
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_AWAITING_CONSENSUS_REVIEW",
        ("labeler-2", "in-1"): "ANNOTATION_AWAITING_CONSENSUS_REVIEW",
        ("labeler-3", "in-1"): "ANNOTATION_PENDING",
    }

    assert submit_input(tasks, task_id, "labeler-3", "in-1") == AWAITING_CONSENSUS  # sync half, proto
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(success=1))
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-2", "in-1"): "ANNOTATION_REVIEW_DENIED",
        ("labeler-3", "in-1"): "ANNOTATION_SUCCESS",
    }
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {
        "labeler-1": counts(success=1),
        "labeler-2": counts(review_denied=1),
        "labeler-3": counts(success=1),
    }
    assert tasks.review_start("reviewer", task_id) == []


def test_consensus_settles_as_soon_as_two_agree_and_a_later_labeler_is_settled_at_once(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = docs_consensus_task(tasks)
    for labeler, concepts in [("labeler-1", WATER), ("labeler-2", WATER), ("labeler-3", SKY)]:
        tasks.start(labeler, task_id)
        tasks.label(labeler, task_id, "in-1", concepts)
    assert submit_input(tasks, task_id, "labeler-1", "in-1") == AWAITING_CONSENSUS
    assert submit_input(tasks, task_id, "labeler-2", "in-1") == AWAITING_CONSENSUS  # sync half, proto
    assert tasks.counts(task_id) == {
        "labeler-1": counts(success=1, pending=1),
        "labeler-2": counts(success=1, pending=1),
        "labeler-3": counts(pending=2),
    }
    assert tasks.annotation_states(task_id)[("labeler-3", "in-1")] == "ANNOTATION_PENDING"

    assert submit_input(tasks, task_id, "labeler-3", "in-1") == AWAITING_CONSENSUS  # sync half, proto
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-2", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-3", "in-1"): "ANNOTATION_REVIEW_DENIED",
    }
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(success=1, pending=1))


def test_consensus_all_three_differ_goes_to_the_reviewer_who_approves_one_and_rejects_two(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1")
    task_id = docs_consensus_task(tasks)
    for labeler, concepts in zip(LABELERS, [WATER, SKY, BOTH], strict=True):
        tasks.start(labeler, task_id)
        tasks.label(labeler, task_id, "in-1", concepts)
    assert submit_input(tasks, task_id, "labeler-1", "in-1") == AWAITING_CONSENSUS
    assert submit_input(tasks, task_id, "labeler-2", "in-1") == AWAITING_CONSENSUS
    assert submit_input(tasks, task_id, "labeler-3", "in-1") == AWAITING_CONSENSUS  # sync half, proto
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(awaiting_review=1))
    assert set(tasks.annotation_states(task_id).values()) == {"ANNOTATION_AWAITING_REVIEW"}

    batch = tasks.review_start("reviewer", task_id)
    assert sorted(a.worker.user.id for a in batch) == LABELERS
    assert set(status_names(batch).values()) == {AWAITING}
    first = next(a.id for a in batch if a.worker.user.id == "labeler-1")
    approved = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [first])
    assert status_names(approved.task_assignments) == {"in-1": DONE}
    rejected = tasks.decide("reviewer", task_id, Action.REVIEW_REJECT, workers=["labeler-2", "labeler-3"])
    assert [status_names([a]) for a in rejected.task_assignments] == [{"in-1": REJECTED}] * 2
    assert tasks.counts(task_id) == {
        "labeler-1": counts(success=1),
        "labeler-2": counts(review_denied=1),
        "labeler-3": counts(review_denied=1),
    }
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-2", "in-1"): "ANNOTATION_REVIEW_DENIED",
        ("labeler-3", "in-1"): "ANNOTATION_REVIEW_DENIED",
    }
    assert tasks.review_start("reviewer", task_id) == []


def test_consensus_relabel_after_request_changes_can_reach_agreement(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1")
    task_id = docs_consensus_task(tasks)
    posted = {}
    for labeler, concepts in zip(LABELERS, [WATER, SKY, BOTH], strict=True):
        tasks.start(labeler, task_id)
        posted[labeler] = tasks.label(labeler, task_id, "in-1", concepts).annotations[0]
        submit_input(tasks, task_id, labeler, "in-1")
    response = tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, workers=["labeler-3"])
    assert status_names(response.task_assignments) == {"in-1": PENDING}
    assert tasks.annotation_states(task_id)[("labeler-3", "in-1")] == "ANNOTATION_PENDING"

    relabeled = resources_pb2.Annotation(
        id=posted["labeler-3"].id, input_id="in-1", data={"concepts": [{"id": "sky", "value": 1}]}
    )
    patch = service_pb2.PatchAnnotationsRequest(user_app_id=tasks.app, action="overwrite", annotations=[relabeled])
    assert (
        tasks.stub.PatchAnnotations(patch, metadata=tasks.metadata("labeler-3")).status.code == status_code_pb2.SUCCESS
    )
    assert submit_input(tasks, task_id, "labeler-3", "in-1") == AWAITING_CONSENSUS  # sync half, proto
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(success=1))
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_REVIEW_DENIED",
        ("labeler-2", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-3", "in-1"): "ANNOTATION_SUCCESS",
    }


# -- MANUAL ------------------------------------------------------------------------------------


def manual_task(tasks: TaskClient, sample_percentage: float = 0.0) -> str:
    return tasks.post_task(human_task(["labeler-1"], review=manual_review(["reviewer"], sample_percentage)))


def test_manual_review_approve_and_reject(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = manual_task(tasks)
    batch = tasks.start("labeler-1", task_id)
    assert status_names(batch) == {"in-1": PENDING, "in-2": PENDING}
    for a in batch:
        tasks.label("labeler-1", task_id, a.input.id, WATER)
    assert status_names(tasks.submit("labeler-1", task_id, [a.id for a in batch])) == {
        "in-1": AWAITING,
        "in-2": AWAITING,
    }
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=2)}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(awaiting_review=2)}

    review = {a.input.id: a.id for a in tasks.review_start("reviewer", task_id)}
    assert sorted(review) == ["in-1", "in-2"]
    approved = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [review["in-1"]])
    assert status_names(approved.task_assignments) == {"in-1": DONE}
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=1, success=1)}
    rejected = tasks.decide("reviewer", task_id, Action.REVIEW_REJECT, [review["in-2"]])
    assert status_names(rejected.task_assignments) == {"in-2": REJECTED}
    assert tasks.counts(task_id) == {"labeler-1": counts(success=1, review_denied=1)}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(success=1, review_denied=1)}
    assert tasks.annotation_states(task_id) == {
        ("labeler-1", "in-1"): "ANNOTATION_SUCCESS",
        ("labeler-1", "in-2"): "ANNOTATION_REVIEW_DENIED",
    }


def test_manual_request_changes_relabel_and_approve(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1")
    task_id = manual_task(tasks)
    (assignment,) = tasks.start("labeler-1", task_id)
    tasks.label("labeler-1", task_id, "in-1", SKY)
    tasks.submit("labeler-1", task_id, [assignment.id])
    changes = tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, [assignment.id])
    assert status_names(changes.task_assignments) == {"in-1": PENDING}
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=1)}
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_PENDING"}

    (again,) = tasks.start("labeler-1", task_id)
    assert again.id == assignment.id
    assert tasks.label("labeler-1", task_id, "in-1", WATER).status.code == status_code_pb2.SUCCESS
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(pending=2)}
    assert status_names(tasks.submit("labeler-1", task_id, [assignment.id])) == {"in-1": AWAITING}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(awaiting_review=2)}
    approved = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, workers=["labeler-1"])
    assert status_names(approved.task_assignments) == {"in-1": DONE}
    assert tasks.counts(task_id) == {"labeler-1": counts(success=1)}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(success=2)}


def test_decided_work_leaves_the_review_batch_and_a_deleted_input_leaves_no_trace(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = manual_task(tasks)
    tasks.submit("labeler-1", task_id, [a.id for a in tasks.start("labeler-1", task_id)])
    batch = {a.input.id: a.id for a in tasks.review_start("reviewer", task_id)}
    tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, [batch["in-1"]])
    assert [a.id for a in tasks.review_start("reviewer", task_id)] == [batch["in-2"]]
    request = service_pb2.DeleteInputRequest(user_app_id=tasks.app, input_id="in-1")
    assert tasks.stub.DeleteInput(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=1)}
    check_invariants(clarifai_fake.store)


def test_manual_sample_percentage_is_not_used_every_submission_is_reviewed(tasks, clarifai_fake):
    # proto TaskReviewManualStrategyInfo.sample_percentage: "Deprecated: Not used" (issue 15 item 6); this
    # test used to assert that about half of the submissions skipped review
    input_ids = [f"in-{i:02}" for i in range(40)]
    add_inputs(clarifai_fake, *input_ids)
    task_id = manual_task(tasks, sample_percentage=0.5)
    submitted = []
    while batch := tasks.start("labeler-1", task_id):
        submitted += tasks.submit("labeler-1", task_id, [a.id for a in batch])
    assert status_names(submitted) == dict.fromkeys(input_ids, AWAITING)
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=40)}
    first = submitted[0]
    tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, [first.id])
    assert status_names(tasks.submit("labeler-1", task_id, [first.id])) == {first.input.id: AWAITING}


# -- NONE, the deprecated forms ----------------------------------------------------------------


def test_no_review_submit_succeeds_and_annotations_succeed(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"]))
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=1), "labeler-2": counts(pending=1)}
    (assignment,) = tasks.start("labeler-1", task_id)
    tasks.label("labeler-1", task_id, assignment.input.id, WATER)
    assert tasks.annotation_states(task_id) == {("labeler-1", assignment.input.id): "ANNOTATION_PENDING"}
    assert status_names(tasks.submit("labeler-1", task_id, [assignment.id])) == {assignment.input.id: DONE}
    assert tasks.annotation_states(task_id) == {("labeler-1", assignment.input.id): "ANNOTATION_SUCCESS"}
    assert tasks.counts(task_id) == {"labeler-1": counts(success=1), "labeler-2": counts(pending=1)}
    assert status_names(tasks.submit("labeler-1", task_id, [assignment.id])) == {assignment.input.id: DONE}
    assert tasks.start("labeler-1", task_id) == []


def test_deprecated_input_id_submits_that_input_and_list_next_returns_inputs(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = tasks.post_task(human_task(["labeler-1"]))
    request = service_pb2.ListNextTaskAssignmentsRequest(user_app_id=tasks.app, task_id=task_id)
    listed = tasks.stub.ListNextTaskAssignments(request, metadata=tasks.metadata("labeler-1"))
    assert listed.status.code == status_code_pb2.SUCCESS
    assert [i.id for i in listed.inputs] == ["in-1", "in-2"]
    assert listed.inputs[0].data.image.url == "https://samples.example/in-1.jpg"
    assert status_names(tasks.ok("labeler-1", task_id, input_id="in-2")) == {"in-2": DONE}
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-1"]


def test_a_worker_who_is_not_an_app_member_works_through_the_task_grants(tasks, clarifai_fake):
    add_inputs(clarifai_fake, "in-1")
    task_id = tasks.post_task(human_task(["outsider"], review=manual_review(["reviewer"])))
    (assignment,) = tasks.start("outsider", task_id)
    assert assignment.worker.user.id == "outsider"
    assert tasks.label("outsider", task_id, "in-1", WATER).status.code == status_code_pb2.SUCCESS
    tasks.submit("outsider", task_id, [assignment.id])
    listed = tasks.stub.ListAnnotations(
        service_pb2.ListAnnotationsRequest(user_app_id=tasks.app, task_id=task_id), metadata=tasks.metadata("outsider")
    )
    assert [status_code_pb2.StatusCode.Name(a.status.code) for a in listed.annotations] == [
        "ANNOTATION_AWAITING_REVIEW"
    ]
    other = tasks.stub.ListAnnotations(
        service_pb2.ListAnnotationsRequest(user_app_id=tasks.app), metadata=tasks.metadata("outsider")
    )
    assert other.status.code == status_code_pb2.CONN_KEY_INVALID


# -- REVIEW_START ------------------------------------------------------------------------------


def test_review_start_hands_each_reviewer_its_own_batch_of_ten_until_decided(tasks, clarifai_fake):
    # Review docs: labeled inputs are evenly partitioned among the reviewers; labeling UI docs: batches of 10.
    # This test used to let the first reviewer take the first 10 submissions (first come, first served).
    input_ids = [f"in-{i:02}" for i in range(12)]
    add_inputs(clarifai_fake, *input_ids)
    task = human_task(["labeler-1", "labeler-2"], workers_per_input=2, review=manual_review(["reviewer", "labeler-3"]))
    task_id = tasks.post_task(task)
    for labeler in ["labeler-1", "labeler-2"]:
        while batch := tasks.start(labeler, task_id):
            tasks.submit(labeler, task_id, [a.id for a in batch])
    first = tasks.review_start("reviewer", task_id)
    assert len(first) == 10
    assert [a.id for a in tasks.review_start("reviewer", task_id)] == [a.id for a in first]
    second = tasks.review_start("labeler-3", task_id)
    assert len(second) == 10 and not {a.id for a in first} & {a.id for a in second}
    only_two = tasks.review_start("reviewer", task_id, workers=["labeler-2"])
    assert [a.id for a in only_two] == [a.id for a in first]  # the same batch until it is decided
    # submissions alternate between the reviewers: each has 6 of each labeler's 12
    assert [a.worker.user.id for a in first] == ["labeler-1"] * 6 + ["labeler-2"] * 4
    assert [a.input.id for a in first[:6]] == input_ids[0::2]

    tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [a.id for a in first])
    assert tasks.counts(task_id) == {
        "labeler-1": counts(success=6, awaiting_review=6),
        "labeler-2": counts(success=4, awaiting_review=8),
    }
    rest = tasks.review_start("reviewer", task_id)
    assert [(a.worker.user.id, a.input.id) for a in rest] == [("labeler-2", "in-08"), ("labeler-2", "in-10")]
    review = tasks.get_task(task_id, ["metrics.review.inputs_count_estimated_per_reviewer"]).metrics.review
    assert list(review.inputs_count_estimated_per_reviewer) == [6, 0]  # inputs, not assignments: in-00 … in-10 even


# -- refused calls -----------------------------------------------------------------------------


def refused(fake, response, code: int, details: str, before) -> None:
    assert response.status.code == code, response.status
    assert response.status.details == details
    assert list(response.task_assignments) == []
    assert fake.dump_state() == before


@pytest.fixture
def awaiting_task(tasks, clarifai_fake) -> tuple[str, dict[str, str]]:
    """A MANUAL task of labeler-1 and labeler-2: labeler-1 submitted in-1 (awaiting review), in-2 is pending."""
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], review=manual_review(["reviewer"])))
    ids = {a.input.id: a.id for labeler in ["labeler-1", "labeler-2"] for a in tasks.start(labeler, task_id)}
    tasks.label("labeler-1", task_id, "in-1", WATER)
    tasks.submit("labeler-1", task_id, [ids["in-1"]])
    return task_id, ids


def test_submitting_someone_elses_assignment_is_permission_denied(tasks, clarifai_fake, awaiting_task):
    task_id, ids = awaiting_task
    before = clarifai_fake.dump_state()
    named = [{"id": ids["in-2"]}, {"id": ids["in-2"]}, {"id": ids["in-1"]}]  # the third is labeler-1's
    config = service_pb2.LabelSubmitConfig(task_assignments=named)
    response = tasks.put("labeler-2", task_id, Action.LABEL_SUBMIT, label_submit_config=config)
    details = (
        f"label_submit_config.task_assignments[2].id '{ids['in-1']}' is assigned to user 'labeler-1', "
        "not to 'labeler-2'"
    )
    refused(clarifai_fake, response, status_code_pb2.TASK_PERMISSION_DENIED, details, before)


def test_reviewing_as_a_non_reviewer_is_permission_denied(tasks, clarifai_fake, awaiting_task):
    task_id, ids = awaiting_task
    before = clarifai_fake.dump_state()
    for action in [Action.REVIEW_APPROVE, Action.REVIEW_REJECT, Action.REVIEW_REQUEST_CHANGES]:
        response = tasks.decide("labeler-1", task_id, action, [ids["in-1"]])
        details = f"user 'labeler-1' is not a reviewer of task '{task_id}'"
        refused(clarifai_fake, response, status_code_pb2.TASK_PERMISSION_DENIED, details, before)
    response = tasks.put("owner", task_id, Action.REVIEW_START)
    details = f"user 'owner' is not a reviewer of task '{task_id}'"
    refused(clarifai_fake, response, status_code_pb2.TASK_PERMISSION_DENIED, details, before)


def test_deciding_an_assignment_not_awaiting_review_is_a_conflict(tasks, clarifai_fake, awaiting_task):
    task_id, ids = awaiting_task
    before = clarifai_fake.dump_state()
    response = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [ids["in-1"], ids["in-2"]])
    details = (
        f"review_approve_config.task_assignments[1].id '{ids['in-2']}' is not awaiting review: "
        "it is TASK_ASSIGNMENT_PENDING, not TASK_ASSIGNMENT_AWAITING_REVIEW"
    )
    refused(clarifai_fake, response, status_code_pb2.TASK_CONFLICT, details, before)

    tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [ids["in-1"]])
    before = clarifai_fake.dump_state()
    response = tasks.decide("reviewer", task_id, Action.REVIEW_REJECT, [ids["in-1"]])
    details = (
        f"review_reject_config.task_assignments[0].id '{ids['in-1']}' is not awaiting review: "
        "it is TASK_ASSIGNMENT_SUCCESS, not TASK_ASSIGNMENT_AWAITING_REVIEW"
    )
    refused(clarifai_fake, response, status_code_pb2.TASK_CONFLICT, details, before)


NOT_A_WORKER = "user '{user}' is not a worker of task '{task}'"
REFUSED_REQUESTS = [
    ("owner", Action.LABEL_START, {}, "TASK_PERMISSION_DENIED", NOT_A_WORKER),
    ("reviewer", Action.LABEL_SUBMIT, {"input_id": "in-1"}, "TASK_PERMISSION_DENIED", NOT_A_WORKER),
    (
        "labeler-2",
        0,
        {"input_id": "in-1"},
        "TASK_PERMISSION_DENIED",
        "input_id 'in-1' is not assigned to user 'labeler-2' in task '{task}'",
    ),
    (
        "labeler-1",
        Action.LABEL_SUBMIT,
        {"label_submit_config": {"task_assignments": [{"id": "ghost"}]}},
        "CONN_DOES_NOT_EXIST",
        "label_submit_config.task_assignments[0].id 'ghost' is not an assignment of task '{task}'",
    ),
    (
        "labeler-1",
        Action.LABEL_SUBMIT,
        {},
        "CONN_INVALID_REQUEST",
        "label_submit_config.task_assignments is empty: name the assignments to submit "
        "(or set the deprecated input_id)",
    ),
    (
        "labeler-1",
        0,
        {},
        "CONN_INVALID_REQUEST",
        "action PUT_TASK_ASSIGNMENTS_REQUEST_ACTION_NOT_SET is not one of LABEL_START, LABEL_SUBMIT, REVIEW_START, "
        "REVIEW_APPROVE, REVIEW_REQUEST_CHANGES, REVIEW_REJECT",
    ),
    (
        "reviewer",
        Action.REVIEW_START,
        {"review_start_config": {"workers": [{"user": {"id": "labeler-3"}}]}},
        "CONN_INVALID_REQUEST",
        "review_start_config.workers[0].user.id 'labeler-3' is not a worker of task '{task}'",
    ),
    (
        "reviewer",
        Action.REVIEW_APPROVE,
        {},
        "CONN_INVALID_REQUEST",
        "review_approve_config names no task_assignments and no workers: say what to decide",
    ),
    (
        "reviewer",
        Action.REVIEW_APPROVE,
        {"input_id": "in-1"},
        "CONN_INVALID_REQUEST",
        "input_id 'in-1' is the deprecated form of LABEL_SUBMIT: it cannot be combined with action REVIEW_APPROVE",
    ),
    (
        "reviewer",
        99,
        {"input_id": "in-1"},
        "CONN_INVALID_REQUEST",
        "action 99 is not a value of clarifai.api.PutTaskAssignmentsRequestAction: use " + ", ".join(Action.keys()),
    ),
]


@pytest.mark.parametrize(("user", "action", "config", "code", "details"), REFUSED_REQUESTS)
def test_refused_requests_name_the_field(tasks, clarifai_fake, awaiting_task, user, action, config, code, details):
    task_id, _ = awaiting_task
    before = clarifai_fake.dump_state()
    response = tasks.put(user, task_id, action, **config)
    expected = details.format(task=task_id, user=user)
    refused(clarifai_fake, response, status_code_pb2.StatusCode.Value(code), expected, before)


def test_unknown_task_is_task_missing_and_a_stranger_is_refused_at_the_door(tasks, awaiting_task):
    response = tasks.put("owner", "no-such-task", Action.LABEL_START)
    assert (response.status.code, response.status.details) == (
        status_code_pb2.TASK_MISSING,
        "task_id: task 'no-such-task' does not exist",
    )
    task_id, _ = awaiting_task
    response = tasks.put("outsider", task_id, Action.LABEL_START)
    assert response.status.code == status_code_pb2.CONN_KEY_INVALID


def test_task_annotations_only_on_own_pending_assignments(tasks, clarifai_fake, awaiting_task):
    task_id, ids = awaiting_task
    before = clarifai_fake.dump_state()
    response = tasks.label("labeler-2", task_id, "in-1", WATER)
    assert response.status.code == status_code_pb2.TASK_PERMISSION_DENIED
    assert response.status.details == (
        f"annotations[0].input_id 'in-1' is not assigned to user 'labeler-2' in task '{task_id}'"
    )
    response = tasks.label("labeler-1", task_id, "in-1", SKY)
    assert response.status.code == status_code_pb2.TASK_CONFLICT
    assert response.status.details == (
        f"annotations[0]: assignment '{ids['in-1']}' of input 'in-1' is TASK_ASSIGNMENT_AWAITING_REVIEW: "
        "annotate while it is TASK_ASSIGNMENT_PENDING"
    )
    response = tasks.label("labeler-1", "no-such-task", "in-1", SKY)
    assert response.status.code == status_code_pb2.TASK_MISSING
    assert response.status.details == "annotations[0].task_id: task 'no-such-task' does not exist"
    assert clarifai_fake.dump_state() == before
