"""Work a PARTITIONED or FULL task dealt at creation but has not handed out yet (its assignment records are
made only at LABEL_START) behaves as pending work through every RPC: the queue order, annotating, the
deprecated submit by input id, counts, metrics, deleted inputs, CONSENSUS and snapshots."""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import Action, TaskClient, consensus_review, counts, human_task, manual_review, status_names

from fake_clarifai import Clock
from fake_clarifai.invariants import check_invariants

START = 1_800_000_000.0
INPUTS = [f"in-{n:02d}" for n in range(25)]


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app, monkeypatch) -> TaskClient:
    monkeypatch.setattr(clarifai_fake.store, "clock", Clock(start=START))
    for input_id in INPUTS:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://samples.example/{input_id}.jpg")
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def dealt_to(tasks: TaskClient, task_id: str, worker: str) -> str:
    """The first input the task dealt to `worker` (only `worker`: wpi 1)."""
    state = tasks.fake.store.app("owner", "main").tasks[task_id]
    return next(i for i in INPUTS if state.workers_on(i) == [worker])


def inputs(assignments: list[resources_pb2.TaskAssignment]) -> list[str]:
    return [a.input.id for a in assignments]


def test_work_sent_back_for_changes_comes_after_the_work_never_started(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1"], strategy="FULL", review=manual_review(["reviewer"])))
    tasks.fake.store.clock.advance(5)
    first = tasks.start("labeler-1", task_id)
    assert inputs(first) == INPUTS[:10]
    assert {(a.created_at.ToSeconds(), a.modified_at.ToSeconds()) for a in first} == {(START, START)}  # dealt then
    tasks.submit("labeler-1", task_id, [a.id for a in first])
    tasks.review_start("reviewer", task_id)
    response = tasks.decide("reviewer", task_id, Action.REVIEW_REQUEST_CHANGES, [first[0].id])
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    second = tasks.start("labeler-1", task_id)
    assert inputs(second) == INPUTS[10:20]
    tasks.submit("labeler-1", task_id, [a.id for a in second])
    third = tasks.start("labeler-1", task_id)
    assert inputs(third) == [*INPUTS[20:], "in-00"]
    assert third[-1].id == first[0].id
    assert tasks.counts(task_id)["labeler-1"] == counts(pending=6, awaiting_review=19)
    check_invariants(tasks.fake)


def test_a_worker_annotates_and_submits_by_input_id_work_it_never_started(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], strategy="FULL"))
    labeled = tasks.label("labeler-1", task_id, "in-14", {"water": 1.0})
    assert labeled.status.code == status_code_pb2.SUCCESS, labeled.status
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-14"): "ANNOTATION_PENDING"}
    (submitted,) = tasks.ok("labeler-1", task_id, Action.LABEL_SUBMIT, input_id="in-14")
    assert status_names([submitted]) == {"in-14": "TASK_ASSIGNMENT_SUCCESS"}
    assert tasks.annotation_states(task_id) == {("labeler-1", "in-14"): "ANNOTATION_SUCCESS"}
    batch = tasks.start("labeler-1", task_id)
    assert inputs(batch) == [*INPUTS[:14], *INPUTS[15:]][:10]
    assert submitted.id not in {a.id for a in batch}
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=24, success=1), "labeler-2": counts(pending=25)}
    check_invariants(tasks.fake)


def test_annotating_an_input_planned_for_someone_else_is_refused_and_changes_nothing(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], workers_per_input=1))
    theirs = dealt_to(tasks, task_id, "labeler-2")
    before = tasks.fake.dump_state()
    response = tasks.label("labeler-1", task_id, theirs, {"water": 1.0})
    assert response.status.code == status_code_pb2.TASK_PERMISSION_DENIED
    assert response.status.details == (
        f"annotations[0].input_id '{theirs}' is not assigned to user 'labeler-1' in task '{task_id}'"
    )
    assert tasks.fake.dump_state() == before


def test_a_planned_input_may_be_read_by_its_worker_only(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "outsider"], workers_per_input=1))
    mine, theirs = dealt_to(tasks, task_id, "outsider"), dealt_to(tasks, task_id, "labeler-1")
    request = service_pb2.GetInputRequest(user_app_id=tasks.app, input_id=mine)
    assert tasks.stub.GetInput(request, metadata=tasks.metadata("outsider")).input.id == mine
    request = service_pb2.GetInputRequest(user_app_id=tasks.app, input_id=theirs)
    response = tasks.stub.GetInput(request, metadata=tasks.metadata("outsider"))
    assert response.status.code == status_code_pb2.CONN_KEY_INVALID
    assert response.status.details == "user 'outsider' has no access to app 'owner/main'"


def test_a_deleted_input_leaves_the_planned_work(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], strategy="FULL"))
    request = service_pb2.DeleteInputRequest(user_app_id=tasks.app, input_id="in-03")
    assert tasks.stub.DeleteInput(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=24), "labeler-2": counts(pending=24)}
    assert inputs(tasks.start("labeler-2", task_id)) == [i for i in INPUTS if i != "in-03"][:10]
    check_invariants(tasks.fake)


def test_metrics_count_an_input_reviewed_only_once_its_planned_work_is_done_too(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], strategy="FULL"))
    batch = tasks.start("labeler-1", task_id)
    tasks.submit("labeler-1", task_id, [a.id for a in batch])

    def metrics() -> tuple[int, int]:
        request = service_pb2.GetTaskRequest(user_app_id=tasks.app, task_id=task_id, additional_fields=["all"])
        shown = tasks.stub.GetTask(request, metadata=tasks.metadata("owner")).task.metrics
        return shown.work.inputs_count_estimated, shown.review.inputs_count_estimated

    assert metrics() == (10, 0)  # labeler-2's work on them is still pending
    batch = tasks.start("labeler-2", task_id)
    tasks.submit("labeler-2", task_id, [a.id for a in batch])
    assert metrics() == (10, 10)


def test_consensus_waits_for_a_labeler_who_has_not_started(tasks: TaskClient) -> None:
    labelers = ["labeler-1", "labeler-2", "labeler-3"]
    task_id = tasks.post_task(human_task(labelers, strategy="FULL", review=consensus_review(["reviewer"], 2)))
    for labeler, concepts in (("labeler-1", {"water": 1.0}), ("labeler-2", {"sky": 1.0})):
        batch = tasks.start(labeler, task_id)
        tasks.label(labeler, task_id, batch[0].input.id, concepts)
        submitted = tasks.submit(labeler, task_id, [batch[0].id])
        assert status_names(submitted) == {"in-00": "TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW"}
    assert tasks.counts(task_id)["labeler-3"] == counts(pending=25)
    assert tasks.counts(task_id)["labeler-1"] == counts(pending=24, awaiting_consensus_review=1)


def test_restoring_a_snapshot_restores_the_planned_work(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1"], strategy="FULL"))
    snapshot = tasks.fake.snapshot()
    state = tasks.fake.dump_state()
    first = tasks.start("labeler-1", task_id)
    tasks.submit("labeler-1", task_id, [a.id for a in first])
    tasks.fake.restore(snapshot)
    assert tasks.fake.dump_state() == state
    assert inputs(tasks.start("labeler-1", task_id)) == INPUTS[:10]
    assert tasks.counts(task_id)["labeler-1"] == counts(pending=25)


def test_task_assignments_shows_handed_out_then_planned_work_by_worker(tasks: TaskClient) -> None:
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"], strategy="FULL"))
    assert tasks.fake.task_assignments("owner", "main", task_id) == {
        worker: [(i, "TASK_ASSIGNMENT_PENDING") for i in INPUTS] for worker in ("labeler-1", "labeler-2")
    }
    first = tasks.start("labeler-1", task_id)
    tasks.submit("labeler-1", task_id, [a.id for a in first[:3]])
    shown = tasks.fake.task_assignments("owner", "main", task_id)
    assert shown["labeler-1"] == [(i, "TASK_ASSIGNMENT_SUCCESS") for i in INPUTS[:3]] + [
        (i, "TASK_ASSIGNMENT_PENDING") for i in INPUTS[3:]
    ]
    assert shown["labeler-2"] == [(i, "TASK_ASSIGNMENT_PENDING") for i in INPUTS]
    with pytest.raises(ValueError, match="no task 'nope' in owner/main"):
        tasks.fake.task_assignments("owner", "main", "nope")
