"""The sync and async halves of PutTaskAssignments [proto: `PutTaskAssignmentsRequestAction` comments]: the
response carries the assignments' new states; the labelers' task annotation statuses and CONSENSUS settlement
follow asynchronously. By default the fake applies the async half right after each call; inside
`clarifai_fake.hold_async()` it waits for `clarifai_fake.settle()` [policy: when it is applied]."""

from __future__ import annotations

import lifecycle_client as lc
import pytest
from both_channels import *  # noqa: F403 (the fixtures that run each test over both channels)
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import Action, TaskClient, counts, status_names

from fake_clarifai.invariants import check_invariants

LABELERS = ["labeler-1", "labeler-2"]
WATER = {"water": 1.0}


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def labeled(tasks: TaskClient, task_id: str, labeler: str) -> str:
    """`labeler` starts and labels in-1; returns its assignment id."""
    (assignment,) = tasks.start(labeler, task_id)
    tasks.label(labeler, task_id, "in-1", WATER)
    return assignment.id


def manual_task(tasks: TaskClient, clarifai_fake) -> str:
    lc.add_inputs(clarifai_fake, "in-1")
    return tasks.post_task(lc.human_task(["labeler-1"], review=lc.manual_review(["reviewer"])))


def test_default_mode_applies_the_async_half_right_after_the_call(tasks, clarifai_fake):
    # LABEL_SUBMIT with MANUAL review: AWAITING_REVIEW in the response (PutTaskAssignmentsRequestAction)
    task_id = manual_task(tasks, clarifai_fake)
    assignment_id = labeled(tasks, task_id, "labeler-1")
    assert status_names(tasks.submit("labeler-1", task_id, [assignment_id])) == {
        "in-1": "TASK_ASSIGNMENT_AWAITING_REVIEW"
    }
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
    before = clarifai_fake.dump_state()
    clarifai_fake.settle()  # nothing is held
    assert clarifai_fake.dump_state() == before


def test_held_label_submit_and_review_lag_until_settle(tasks, clarifai_fake):
    # LABEL_SUBMIT / REVIEW_APPROVE: the assignment's state is the sync half, the annotation statuses the async
    # half (PutTaskAssignmentsRequestAction)
    task_id = manual_task(tasks, clarifai_fake)
    assignment_id = labeled(tasks, task_id, "labeler-1")
    with clarifai_fake.hold_async():
        submitted = tasks.submit("labeler-1", task_id, [assignment_id])
        assert status_names(submitted) == {"in-1": "TASK_ASSIGNMENT_AWAITING_REVIEW"}
        assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=1)}
        assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_PENDING"}
        assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(pending=1)}
        check_invariants(clarifai_fake)
        clarifai_fake.settle()
        assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
        assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(awaiting_review=1)}

        approved = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [assignment_id])
        assert status_names(approved.task_assignments) == {"in-1": "TASK_ASSIGNMENT_SUCCESS"}
        assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
        check_invariants(clarifai_fake)
    clarifai_fake.settle()
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_SUCCESS"}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(success=1)}
    check_invariants(clarifai_fake)


def test_held_consensus_settles_only_on_settle(tasks, clarifai_fake):
    # LABEL_SUBMIT with CONSENSUS: AWAITING_CONSENSUS_REVIEW in the response; settlement follows
    # (PutTaskAssignmentsRequestAction)
    lc.add_inputs(clarifai_fake, "in-1")
    task = lc.human_task(LABELERS, workers_per_input=2, review=lc.consensus_review(["reviewer"], 2))
    task_id = tasks.post_task(task)
    ids = {labeler: labeled(tasks, task_id, labeler) for labeler in LABELERS}
    awaiting = {"in-1": "TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW"}
    with clarifai_fake.hold_async():
        for labeler in LABELERS:
            assert status_names(tasks.submit(labeler, task_id, [ids[labeler]])) == awaiting
        assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(awaiting_consensus_review=1))
        assert set(tasks.annotation_states(task_id).values()) == {"ANNOTATION_PENDING"}
        clarifai_fake.settle()
    assert tasks.counts(task_id) == dict.fromkeys(LABELERS, counts(success=1))
    assert set(tasks.annotation_states(task_id).values()) == {"ANNOTATION_SUCCESS"}


def test_snapshot_restore_and_reset_keep_the_held_half_consistent(tasks, clarifai_fake):
    task_id = manual_task(tasks, clarifai_fake)
    assignment_id = labeled(tasks, task_id, "labeler-1")
    unsubmitted = clarifai_fake.snapshot()
    with clarifai_fake.hold_async():
        tasks.submit("labeler-1", task_id, [assignment_id])
    held = clarifai_fake.snapshot()
    clarifai_fake.settle()
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
    clarifai_fake.restore(held)  # the held effect comes back with the state it describes
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_PENDING"}
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=1)}
    clarifai_fake.settle()
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
    clarifai_fake.restore(unsubmitted)  # nothing held before the submission
    clarifai_fake.settle()
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_PENDING"}
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=1)}
    check_invariants(clarifai_fake)


def test_errors_are_unchanged_while_held(tasks, clarifai_fake):
    task_id = manual_task(tasks, clarifai_fake)
    with clarifai_fake.hold_async():
        before = clarifai_fake.dump_state()
        config = lc.label_submit_config(["no-such-assignment"])
        response = tasks.put("labeler-1", task_id, Action.LABEL_SUBMIT, label_submit_config=config)
        assert response.status.code == status_code_pb2.CONN_DOES_NOT_EXIST
        assert response.status.details == (
            f"label_submit_config.task_assignments[0].id 'no-such-assignment' is not an assignment of task '{task_id}'"
        )
        assert clarifai_fake.dump_state() == before


def test_isolated_and_reset_carry_the_held_half_with_the_state(tasks, clarifai_fake):
    task_id = manual_task(tasks, clarifai_fake)
    assignment_id = labeled(tasks, task_id, "labeler-1")
    with clarifai_fake.hold_async():
        tasks.submit("labeler-1", task_id, [assignment_id])
    held = clarifai_fake.dump_state()
    with clarifai_fake.isolated():  # the block starts from the baseline: nothing of this app is held there
        clarifai_fake.settle()
        check_invariants(clarifai_fake)
    assert clarifai_fake.dump_state() == held  # the outer held half is back, still unapplied
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_PENDING"}
    clarifai_fake.reset()
    clarifai_fake.settle()  # nothing left to apply
    assert not any(app["tasks"] for app in clarifai_fake.dump_state()["apps"].values())  # the baseline: no task
