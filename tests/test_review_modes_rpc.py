"""Consensus thresholds, stacked and evenly distributed review, and per-reviewer review records over the wire
(BEHAVIOUR.md §6.5–§6.8, issue 15 items 4–6).

Sources: proto `TaskReviewConsensusStrategyInfo` (what approval_threshold_labelers 0 / 1 / N and
approval_threshold_reviewers 0 / 1 / -1 mean), proto `TaskReviewManualStrategyInfo` (sample_percentage not
used, approval_threshold deprecated for approval_threshold_reviewers), proto `TaskReviewMetrics` (the
per-reviewer lists; a request for changes is disregarded), the labeling UI "create task" page (stacked
review: every reviewer reviews every input) and the Review page (inputs evenly partitioned among reviewers).
"""

from __future__ import annotations

import lifecycle_client as lc
import pytest
from both_channels import *  # noqa: F403 (the fixtures that run each test over both channels)
from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import Action, TaskClient, add_inputs, status_names

from fake_clarifai.invariants import check_invariants

AWAITING = "TASK_ASSIGNMENT_AWAITING_REVIEW"
DONE = "TASK_ASSIGNMENT_SUCCESS"
PENDING = "TASK_ASSIGNMENT_PENDING"
REJECTED = "TASK_ASSIGNMENT_REJECTED"
REVIEWERS = ["reviewer", "labeler-3"]  # a worker of another task may review this one
PER_REVIEWER = [
    "metrics.review.inputs_count_estimated_per_reviewer",
    "metrics.review.inputs_reviewable_count_estimated_per_reviewer",
    "metrics.review.inputs_percent_estimated_per_reviewer",
]
WATER = {"water": 1.0}


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def submit_all(tasks: TaskClient, task_id: str, labeler: str = "labeler-1") -> dict[str, str]:
    """Label and submit every input `labeler` gets; input id -> its assignment id."""
    ids: dict[str, str] = {}
    while batch := tasks.start(labeler, task_id):
        for assignment in batch:
            tasks.label(labeler, task_id, assignment.input.id, WATER)
        tasks.submit(labeler, task_id, [a.id for a in batch])
        ids.update({a.input.id: a.id for a in batch})
    return ids


def per_reviewer(tasks: TaskClient, task_id: str) -> tuple[list[int], list[int], list[int]]:
    review = tasks.get_task(task_id, PER_REVIEWER).metrics.review
    return (
        list(review.inputs_count_estimated_per_reviewer),
        list(review.inputs_reviewable_count_estimated_per_reviewer),
        list(review.inputs_percent_estimated_per_reviewer),
    )


def approve(tasks: TaskClient, reviewer: str, task_id: str, assignment_id: str) -> str:
    response = tasks.decide(reviewer, task_id, Action.REVIEW_APPROVE, [assignment_id])
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    return status_names(response.task_assignments)[response.task_assignments[0].input.id]


# -- approval_threshold_labelers (item 4) -------------------------------------------------------


def test_consensus_threshold_zero_disables_labeler_consensus_and_sends_work_to_reviewers(tasks, clarifai_fake):
    # proto TaskReviewConsensusStrategyInfo.approval_threshold_labelers: 0 = labelers consensus disabled
    # (this threshold used to be refused with CONN_INVALID_REQUEST)
    add_inputs(clarifai_fake, "in-1")
    task_id = tasks.post_task(lc.human_task(["labeler-1", "labeler-2"], review=lc.consensus_review(["reviewer"], 0)))
    (first,) = tasks.start("labeler-1", task_id)
    tasks.label("labeler-1", task_id, "in-1", WATER)
    assert status_names(tasks.submit("labeler-1", task_id, [first.id])) == {"in-1": AWAITING}
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_AWAITING_REVIEW"}
    assert [a.id for a in tasks.review_start("reviewer", task_id)] == [first.id]
    assert approve(tasks, "reviewer", task_id, first.id) == DONE
    check_invariants(clarifai_fake.store)


def test_consensus_threshold_one_approves_once_a_single_labeler_labels(tasks, clarifai_fake):
    # proto TaskReviewConsensusStrategyInfo.approval_threshold_labelers: 1 = approved once one labeler labels
    add_inputs(clarifai_fake, "in-1")
    review = lc.consensus_review(["reviewer"], 0)
    review.consensus_strategy_info.approval_threshold_labelers = 1
    task_id = tasks.post_task(lc.human_task(["labeler-1"], review=review))
    submit_all(tasks, task_id)
    assert tasks.counts(task_id) == {"labeler-1": lc.counts(success=1)}
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-1"): "ANNOTATION_SUCCESS"}
    assert tasks.review_start("reviewer", task_id) == []


# -- evenly distributed review (item 5) ---------------------------------------------------------


def test_evenly_distributed_review_partitions_the_inputs_among_the_reviewers(tasks, clarifai_fake):
    # Review page: labeled inputs are evenly partitioned among reviewers; proto TaskReviewMetrics:
    # with approval_threshold_reviewers 1 each input goes to one reviewer, the reviewable counts add up
    input_ids = ["in-1", "in-2", "in-3", "in-4"]
    add_inputs(clarifai_fake, *input_ids)
    task_id = tasks.post_task(lc.human_task(["labeler-1"], review=lc.manual_review(REVIEWERS, reviewers_threshold=1)))
    submit_all(tasks, task_id)
    mine = {r: [a.input.id for a in tasks.review_start(r, task_id)] for r in REVIEWERS}
    assert mine == {"reviewer": ["in-1", "in-3"], "labeler-3": ["in-2", "in-4"]}
    assert per_reviewer(tasks, task_id) == ([0, 0], [2, 2], [0, 0])
    batch = {a.input.id: a.id for a in tasks.review_start("reviewer", task_id)}
    assert approve(tasks, "reviewer", task_id, batch["in-1"]) == DONE
    assert per_reviewer(tasks, task_id) == ([1, 0], [2, 2], [50, 0])
    check_invariants(clarifai_fake.store)


def test_under_distributed_review_any_reviewer_may_decide_and_the_other_review_is_dismissed(tasks, clarifai_fake):
    # [policy] the partition orders the reviewers' queues; it does not forbid deciding another's input
    add_inputs(clarifai_fake, "in-1", "in-2")
    task_id = tasks.post_task(lc.human_task(["labeler-1"], review=lc.manual_review(REVIEWERS)))
    ids = submit_all(tasks, task_id)
    assert approve(tasks, "labeler-3", task_id, ids["in-1"]) == DONE  # in-1 was in reviewer's queue
    assert [a.input.id for a in tasks.review_start("reviewer", task_id)] == []
    assert per_reviewer(tasks, task_id) == ([0, 1], [0, 2], [0, 50])  # labeler-3 still has in-2


# -- stacked review (item 5, approval_threshold_reviewers -1) -----------------------------------


def stacked_task(tasks: TaskClient, fake, *input_ids: str) -> tuple[str, dict[str, str]]:
    add_inputs(fake, *input_ids)
    review = lc.consensus_review(REVIEWERS, 0, reviewers_threshold=-1)
    task_id = tasks.post_task(lc.human_task(["labeler-1"], review=review))
    return task_id, submit_all(tasks, task_id)


def test_stacked_review_every_reviewer_reviews_every_input_and_all_must_approve(tasks, clarifai_fake):
    # proto TaskReviewConsensusStrategyInfo.approval_threshold_reviewers: -1 = approved when all reviewers
    # approve; labeling UI create-task page: stacked review, each reviewer reviews every input
    task_id, ids = stacked_task(tasks, clarifai_fake, "in-1", "in-2")
    for reviewer in REVIEWERS:
        assert [a.input.id for a in tasks.review_start(reviewer, task_id)] == ["in-1", "in-2"]
    assert approve(tasks, "reviewer", task_id, ids["in-1"]) == AWAITING  # labeler-3 has not approved yet
    assert tasks.counts(task_id) == {"labeler-1": lc.counts(awaiting_review=2)}
    assert [a.input.id for a in tasks.review_start("reviewer", task_id)] == ["in-2"]
    assert per_reviewer(tasks, task_id) == ([1, 0], [2, 2], [50, 0])
    assert approve(tasks, "labeler-3", task_id, ids["in-1"]) == DONE
    assert tasks.annotation_states(task_id)[("labeler-1", "in-1")] == "ANNOTATION_SUCCESS"
    assert per_reviewer(tasks, task_id) == ([1, 1], [2, 2], [50, 50])
    check_invariants(clarifai_fake.store)


def test_stacked_review_a_rejection_is_final_for_every_reviewer(tasks, clarifai_fake):
    # proto TaskReviewMetrics.inputs_reviewable_count_estimated_per_reviewer: under -1 a rejection is final
    # and the other reviewers do not review the input
    task_id, ids = stacked_task(tasks, clarifai_fake, "in-1")
    response = tasks.decide("labeler-3", task_id, Action.REVIEW_REJECT, [ids["in-1"]])
    assert status_names(response.task_assignments) == {"in-1": REJECTED}
    assert tasks.review_start("reviewer", task_id) == []
    assert per_reviewer(tasks, task_id) == ([0, 1], [0, 1], [0, 100])


def test_stacked_review_a_request_for_changes_dismisses_every_review_and_the_input_is_reviewed_again(
    tasks, clarifai_fake
):
    # proto TaskReviewMetrics.inputs_count_estimated_per_reviewer: the review that requests changes is
    # disregarded, the work and review restart
    task_id, ids = stacked_task(tasks, clarifai_fake, "in-1")
    assert approve(tasks, "reviewer", task_id, ids["in-1"]) == AWAITING
    response = tasks.decide("labeler-3", task_id, Action.REVIEW_REQUEST_CHANGES, [ids["in-1"]])
    assert status_names(response.task_assignments) == {"in-1": PENDING}
    assert per_reviewer(tasks, task_id) == ([0, 0], [0, 0], [0, 0])
    assert status_names(tasks.submit("labeler-1", task_id, [ids["in-1"]])) == {"in-1": AWAITING}
    assert approve(tasks, "reviewer", task_id, ids["in-1"]) == AWAITING  # its earlier approval no longer counts
    assert approve(tasks, "labeler-3", task_id, ids["in-1"]) == DONE


def test_stacked_review_a_reviewer_cannot_decide_twice(tasks, clarifai_fake):
    task_id, ids = stacked_task(tasks, clarifai_fake, "in-1")
    approve(tasks, "reviewer", task_id, ids["in-1"])
    before = clarifai_fake.dump_state()
    for action in [Action.REVIEW_APPROVE, Action.REVIEW_REJECT, Action.REVIEW_REQUEST_CHANGES]:
        response = tasks.decide("reviewer", task_id, action, [ids["in-1"]])
        field = {
            Action.REVIEW_APPROVE: "review_approve_config",
            Action.REVIEW_REJECT: "review_reject_config",
            Action.REVIEW_REQUEST_CHANGES: "review_request_changes_config",
        }[action]
        assert response.status.code == status_code_pb2.TASK_CONFLICT
        assert response.status.details == (
            f"{field}.task_assignments[0].id '{ids['in-1']}' is not awaiting a review by 'reviewer': its reviews "
            "are reviewer: TASK_ASSIGNMENT_REVIEW_SUCCESS, labeler-3: TASK_ASSIGNMENT_REVIEW_PENDING"
        )
        assert list(response.task_assignments) == []
        assert clarifai_fake.dump_state() == before
    # in bulk, a stacked reviewer decides only what still awaits its own review
    bulk = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, workers=["labeler-1"])
    assert bulk.status.code == status_code_pb2.SUCCESS and list(bulk.task_assignments) == []


def test_manual_deprecated_approval_threshold_minus_one_is_stacked_review(tasks, clarifai_fake):
    # proto TaskReviewManualStrategyInfo.approval_threshold: deprecated, use approval_threshold_reviewers
    add_inputs(clarifai_fake, "in-1")
    review = lc.manual_review(REVIEWERS)
    review.manual_strategy_info.approval_threshold = -1
    task_id = tasks.post_task(lc.human_task(["labeler-1"], review=review))
    ids = submit_all(tasks, task_id)
    assert approve(tasks, "reviewer", task_id, ids["in-1"]) == AWAITING
    assert approve(tasks, "labeler-3", task_id, ids["in-1"]) == DONE


def test_removing_a_stacked_reviewer_dismisses_its_review_and_the_others_decide(tasks, clarifai_fake):
    # [policy] a reviewer dropped by PatchTasks no longer holds up an input
    task_id, ids = stacked_task(tasks, clarifai_fake, "in-1")
    patched = tasks.get_task(task_id, [])
    del patched.review.users[1:]  # keep "reviewer" only
    patched.review.ClearField("user_ids")
    request = service_pb2.PatchTasksRequest(user_app_id=tasks.app, action="overwrite", tasks=[patched])
    response = tasks.stub.PatchTasks(request, metadata=tasks.metadata("owner"))
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    check_invariants(clarifai_fake.store)
    assert approve(tasks, "reviewer", task_id, ids["in-1"]) == DONE
    assert per_reviewer(tasks, task_id) == ([1], [1], [100])
