"""Who holds which input stays right while a task and its source change (issue 13's two sequences, over the
wire): an overwrite never deals an input again that already has its workers, and an input that leaves the
task's source leaves every queue of the task."""

from __future__ import annotations

from collections import Counter

import pytest
from app_rpc import assert_error, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import Action, TaskClient, counts, human_task, manual_review, status_names

from fake_clarifai.invariants import check_invariants

Code = status_code_pb2.StatusCode
INPUTS = [f"in-{n:02d}" for n in range(12)]
PENDING, SUCCESS = "TASK_ASSIGNMENT_PENDING", "TASK_ASSIGNMENT_SUCCESS"


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    for input_id in INPUTS:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://samples.example/{input_id}.jpg")
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def holdings(tasks: TaskClient, task_id: str) -> dict[str, dict[str, str]]:
    """worker -> {input: state name}, as the fake holds them (handed out and planned)."""
    shown = tasks.fake.task_assignments("owner", "main", task_id)
    return {worker: dict(items) for worker, items in shown.items() if items}


def overwrite(tasks: TaskClient, task_id: str, task: resources_pb2.Task) -> None:
    task.id = task_id
    request = service_pb2.PatchTasksRequest(user_app_id=tasks.app, action="overwrite", tasks=[task])
    response = tasks.stub.PatchTasks(request, metadata=tasks.metadata("owner"))
    assert response.status.code == Code.SUCCESS, response.status


def request_changes_is_refused(tasks: TaskClient, task_id: str, assignment_id: str, code: int, details: str) -> None:
    """The reviewer's REVIEW_REQUEST_CHANGES on `assignment_id` answers `code` / `details` and changes nothing."""
    with unchanged(tasks.fake):
        response = tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, [assignment_id])
    assert_error(response, code, details)


def test_an_overwrite_adding_a_worker_deals_only_the_inputs_nobody_submitted(tasks: TaskClient) -> None:
    weights = {"labeler-1": 1.0, "labeler-2": 1.0}
    task_id = tasks.post_task(human_task(list(weights), weights=weights))
    mine = tasks.start("labeler-1", task_id)
    assert len(mine) == 6
    tasks.submit("labeler-1", task_id, [a.id for a in mine])
    submitted = {a.input.id for a in mine}
    weights["labeler-3"] = 1.0
    overwrite(tasks, task_id, human_task(list(weights), weights=weights))

    held = holdings(tasks, task_id)
    assert held["labeler-1"] == dict.fromkeys(sorted(submitted, key=INPUTS.index), SUCCESS)
    for other in ("labeler-2", "labeler-3"):
        assert set(held[other].values()) == {PENDING}
        assert not submitted & held[other].keys()
    per_input = Counter(i for items in held.values() for i in items)
    assert per_input == Counter(INPUTS)  # every input has exactly one worker: wpi 1
    # the quotas are 4 each; labeler-1 holds 6, so the 6 open inputs go 3 and 3 to the others
    assert tasks.counts(task_id) == {
        "labeler-1": counts(success=6),
        "labeler-2": counts(pending=3),
        "labeler-3": counts(pending=3),
    }
    check_invariants(tasks.fake)


def test_a_deleted_input_awaiting_review_is_not_reviewed_sent_back_or_counted(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1"], strategy="DYNAMIC", review=manual_review(["reviewer"])))
    batch = tasks.start("labeler-1", task_id)
    assert [a.input.id for a in batch] == INPUTS[:10]
    tasks.label("labeler-1", task_id, "in-00", {"water": 1.0})
    assert set(status_names(tasks.submit("labeler-1", task_id, [a.id for a in batch[:2]])).values()) == {
        "TASK_ASSIGNMENT_AWAITING_REVIEW"
    }
    request = service_pb2.DeleteInputsRequest(user_app_id=tasks.app, ids=["in-00"])
    assert tasks.stub.DeleteInputs(request, metadata=tasks.metadata("owner")).status.code == Code.SUCCESS

    assert [a.input.id for a in tasks.review_start("reviewer", task_id)] == ["in-01"]
    request_changes_is_refused(
        tasks,
        task_id,
        batch[0].id,
        Code.CONN_DOES_NOT_EXIST,
        f"review_request_changes_config.task_assignments[0].id '{batch[0].id}' is not an assignment of task "
        f"'{task_id}'",
    )
    sent_back = tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, workers=["labeler-1"])
    assert status_names(list(sent_back.task_assignments)) == {"in-01": PENDING}
    again = tasks.start("labeler-1", task_id)
    assert "in-00" not in {a.input.id for a in again}
    assert all(a.input.HasField("data") for a in again)
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=9)}
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts()}
    check_invariants(tasks.fake)


def test_an_input_leaving_a_dataset_source_leaves_review_and_planned_work(tasks: TaskClient) -> None:
    tasks.fake.add_dataset("owner", "main", "lake", INPUTS[:4])
    source = resources_pb2.TaskInputSource(type="DATASET", id="lake")
    review = manual_review(["reviewer"])
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], strategy="FULL", review=review, source=source))
    batch = tasks.start("labeler-1", task_id)
    tasks.submit("labeler-1", task_id, [a.id for a in batch])
    assert len(tasks.review_start("reviewer", task_id)) == 4
    request = service_pb2.DeleteDatasetInputsRequest(user_app_id=tasks.app, dataset_id="lake", input_ids=["in-01"])
    assert tasks.stub.DeleteDatasetInputs(request, metadata=tasks.metadata("owner")).status.code == Code.SUCCESS
    assert [a.input.id for a in tasks.review_start("reviewer", task_id)] == ["in-00", "in-02", "in-03"]
    assert tasks.counts(task_id) == {"labeler-1": counts(awaiting_review=3), "labeler-2": counts(pending=3)}
    request = service_pb2.DeleteDatasetsRequest(user_app_id=tasks.app, dataset_ids=["lake"])
    assert tasks.stub.DeleteDatasets(request, metadata=tasks.metadata("owner")).status.code == Code.SUCCESS
    assert tasks.review_start("reviewer", task_id) == []
    assert tasks.counts(task_id) == {"labeler-1": counts(), "labeler-2": counts()}
    check_invariants(tasks.fake)


def test_an_overwrite_lowering_workers_per_input_keeps_submitted_work_and_pending_work_within_it(
    tasks: TaskClient,
) -> None:
    workers = ["labeler-1", "labeler-2"]
    task_id = tasks.post_task(human_task(workers, strategy="DYNAMIC", workers_per_input=2))
    for worker in workers:  # each: in-00 … in-09, the first two submitted
        tasks.submit(worker, task_id, [a.id for a in tasks.start(worker, task_id)[:2]])
    overwrite(tasks, task_id, human_task(workers, strategy="DYNAMIC", workers_per_input=1))
    held = holdings(tasks, task_id)
    submitted = dict.fromkeys(["in-00", "in-01"], SUCCESS)
    assert held == {"labeler-1": {**submitted, **dict.fromkeys(INPUTS[2:10], PENDING)}, "labeler-2": submitted}
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=8, success=2), "labeler-2": counts(success=2)}
    assert [a.input.id for a in tasks.start("labeler-2", task_id)] == ["in-10", "in-11"]
    check_invariants(tasks.fake)


def test_request_changes_on_the_work_of_a_removed_worker_is_refused(tasks: TaskClient) -> None:
    """Found by the state machine: an overwrite keeps a removed worker's submitted work, and request-changes
    used to put it back to pending for someone who can no longer take it [policy: approve or reject it]."""
    review = manual_review(["reviewer"])
    task_id = tasks.post_task(human_task(["labeler-2"], strategy="FULL", review=review))
    batch = tasks.start("labeler-2", task_id)
    tasks.submit("labeler-2", task_id, [a.id for a in batch])
    overwrite(tasks, task_id, human_task(["labeler-1"], strategy="FULL", review=manual_review(["reviewer"])))

    request_changes_is_refused(
        tasks,
        task_id,
        batch[0].id,
        Code.TASK_CONFLICT,
        f"review_request_changes_config.task_assignments[0].id '{batch[0].id}' is the work of 'labeler-2', "
        f"who is no longer a worker of task '{task_id}': approve or reject it",
    )
    approved = tasks.decide("reviewer", task_id, Action.REVIEW_APPROVE, [batch[0].id])
    assert status_names(approved.task_assignments) == {batch[0].input.id: SUCCESS}
    check_invariants(tasks.fake)
