"""DYNAMIC tasks through the wire (BEHAVIOUR.md §5): LABEL_START batches from the live pool, end to end.

The property test drives a real channel with random sequences of LABEL_START, LABEL_SUBMIT and inputs
added to the source, and checks every batch against a model of the rule: a fresh batch is the first (at
most 10) source inputs the worker has not had and that fewer than wpi workers have had; a worker with
work not yet submitted gets exactly that work back.
"""

from __future__ import annotations

import threading

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifecycle_client import Action, TaskClient, human_task

from fake_clarifai.invariants import check_invariants

LABELERS = ["labeler-1", "labeler-2", "labeler-3"]


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def post_inputs(tasks: TaskClient, input_ids: list[str]) -> None:
    inputs = [resources_pb2.Input(id=i, data={"image": {"url": f"https://samples.example/{i}.jpg"}}) for i in input_ids]
    request = service_pb2.PostInputsRequest(user_app_id=tasks.app, inputs=inputs)
    assert tasks.stub.PostInputs(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS


def dynamic_task(tasks: TaskClient, workers: list[str], wpi: int, **kwargs) -> str:
    return tasks.post_task(human_task(workers, strategy="DYNAMIC", workers_per_input=wpi, **kwargs))


class PoolModel:
    """What the task should do, kept by the test: the source in order, who had which input, who holds what."""

    def __init__(self, source: list[str], workers: list[str], wpi: int) -> None:
        self.source = list(source)
        self.wpi = max(wpi, 1)
        self.had: dict[str, list[str]] = {i: [] for i in source}
        self.held: dict[str, list[str]] = {w: [] for w in workers}  # input ids handed out, not yet submitted
        self.assignment_of: dict[tuple[str, str], str] = {}

    def next_batch(self, worker: str) -> list[str]:
        if self.held[worker]:
            return self.held[worker]
        open_inputs = (i for i in self.source if worker not in self.had[i] and len(self.had[i]) < self.wpi)
        return [i for i, _ in zip(open_inputs, range(10), strict=False)]

    def start(self, tasks: TaskClient, task_id: str, worker: str) -> None:
        expected = self.next_batch(worker)
        batch = tasks.start(worker, task_id)
        assert [a.input.id for a in batch] == expected
        assert all(a.worker.user.id == worker for a in batch)
        if not self.held[worker]:
            for assignment in batch:
                self.had[assignment.input.id].append(worker)
                self.assignment_of[(worker, assignment.input.id)] = assignment.id
            self.held[worker] = expected
        assert [a.id for a in batch] == [self.assignment_of[(worker, i)] for i in expected]

    def submit(self, tasks: TaskClient, task_id: str, worker: str, count: int) -> None:
        done, self.held[worker] = self.held[worker][:count], self.held[worker][count:]
        if done:
            tasks.submit(worker, task_id, [self.assignment_of[(worker, i)] for i in done])

    def add(self, tasks: TaskClient, input_ids: list[str]) -> None:
        post_inputs(tasks, input_ids)
        self.source += input_ids
        self.had.update({i: [] for i in input_ids})


steps = st.one_of(
    st.tuples(st.just("start"), st.integers(0, 2)),
    st.tuples(st.just("submit"), st.integers(0, 2), st.integers(1, 10)),
    st.tuples(st.just("add"), st.integers(1, 12)),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    initial=st.integers(0, 25),
    worker_count=st.integers(1, 3),
    wpi_choice=st.integers(0, 3),
    script=st.lists(steps, max_size=25),
)
def test_dynamic_batches_follow_the_pool_rule_and_cover_every_input(
    tasks, clarifai_fake, initial, worker_count, wpi_choice, script
):
    clarifai_fake.reset()
    workers = LABELERS[:worker_count]
    wpi = min(wpi_choice, worker_count)  # 0 means 1
    source = [f"in-{i:03}" for i in range(initial)]
    if source:
        post_inputs(tasks, source)
    task_id = dynamic_task(tasks, workers, wpi)
    model = PoolModel(source, workers, wpi)
    added = 0
    for step in script:
        if step[0] == "start":
            model.start(tasks, task_id, workers[step[1] % worker_count])
        elif step[0] == "submit":
            model.submit(tasks, task_id, workers[step[1] % worker_count], step[2])
        else:
            model.add(tasks, [f"late-{added + i:03}" for i in range(step[1])])
            added += step[1]
    while any(model.next_batch(w) for w in workers):  # every worker works until the pool is dry
        for worker in workers:
            model.start(tasks, task_id, worker)
            model.submit(tasks, task_id, worker, 10)
    assert all(tasks.start(w, task_id) == [] for w in workers)
    assert all(len(model.had[i]) == max(wpi, 1) for i in model.source)
    assert all(len(set(who)) == len(who) for who in model.had.values())
    check_invariants(clarifai_fake.store)


def test_inputs_added_later_are_handed_out_and_deleted_ones_never(tasks, clarifai_fake):
    post_inputs(tasks, ["in-1", "in-2"])
    task_id = dynamic_task(tasks, ["labeler-1"], 1)
    first = tasks.start("labeler-1", task_id)
    tasks.submit("labeler-1", task_id, [a.id for a in first])
    assert tasks.start("labeler-1", task_id) == []
    post_inputs(tasks, ["in-3", "in-4", "in-5"])
    request = service_pb2.DeleteInputRequest(user_app_id=tasks.app, input_id="in-4")
    assert tasks.stub.DeleteInput(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-3", "in-5"]


def test_a_dataset_source_hands_out_members_added_later(tasks, clarifai_fake):
    post_inputs(tasks, ["in-1", "in-2", "in-3"])
    clarifai_fake.add_dataset("owner", "main", "lake", ["in-2"])
    source = resources_pb2.TaskInputSource(type="DATASET", id="lake")
    task_id = dynamic_task(tasks, ["labeler-1"], 1, source=source)
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-2"]
    members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id="in-3"))]
    request = service_pb2.PostDatasetInputsRequest(user_app_id=tasks.app, dataset_id="lake", dataset_inputs=members)
    assert (
        tasks.stub.PostDatasetInputs(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    )
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-2"]  # same batch until submitted
    tasks.submit("labeler-1", task_id, [a.id for a in tasks.start("labeler-1", task_id)])
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-3"]


def test_members_leaving_a_dataset_source_leave_the_task(tasks, clarifai_fake):
    post_inputs(tasks, ["in-1", "in-2", "in-3"])
    clarifai_fake.add_dataset("owner", "main", "lake", ["in-1", "in-2", "in-3"])
    source = resources_pb2.TaskInputSource(type="DATASET", id="lake")
    task_id = dynamic_task(tasks, ["labeler-1", "labeler-2"], 2, source=source)
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-1", "in-2", "in-3"]
    request = service_pb2.DeleteDatasetInputsRequest(user_app_id=tasks.app, dataset_id="lake", input_ids=["in-3"])
    assert (
        tasks.stub.DeleteDatasetInputs(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    )
    assert [a.input.id for a in tasks.start("labeler-1", task_id)] == ["in-1", "in-2"]  # it left the batch too
    post_inputs(tasks, ["in-4"])
    members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id="in-4"))]
    request = service_pb2.PostDatasetInputsRequest(user_app_id=tasks.app, dataset_id="lake", dataset_inputs=members)
    assert (
        tasks.stub.PostDatasetInputs(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    )
    assert [a.input.id for a in tasks.start("labeler-2", task_id)] == ["in-1", "in-2", "in-4"]
    check_invariants(clarifai_fake)


def test_a_dataset_deleted_under_a_dynamic_task_hands_out_nothing_more(tasks, clarifai_fake):
    post_inputs(tasks, ["in-1", "in-2"])
    clarifai_fake.add_dataset("owner", "main", "lake", ["in-1", "in-2"])
    source = resources_pb2.TaskInputSource(type="DATASET", id="lake")
    task_id = dynamic_task(tasks, ["labeler-1"], 1, source=source)
    request = service_pb2.DeleteDatasetsRequest(user_app_id=tasks.app, dataset_ids=["lake"])
    assert tasks.stub.DeleteDatasets(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    assert tasks.start("labeler-1", task_id) == []


def test_a_batch_is_at_most_ten_then_fewer_then_none(tasks, clarifai_fake):
    post_inputs(tasks, [f"in-{i:02}" for i in range(23)])
    task_id = dynamic_task(tasks, ["labeler-1", "labeler-2"], 1)
    sizes = []
    while batch := tasks.start("labeler-1", task_id):
        sizes.append(len(batch))
        tasks.submit("labeler-1", task_id, [a.id for a in batch])
    assert sizes == [10, 10, 3]
    assert tasks.start("labeler-2", task_id) == []


@pytest.mark.parametrize("user", ["labeler-3", "owner", "reviewer"])
def test_a_caller_who_is_not_a_worker_is_permission_denied(tasks, clarifai_fake, user):
    post_inputs(tasks, ["in-1"])
    task_id = dynamic_task(tasks, ["labeler-1", "labeler-2"], 2)
    before = clarifai_fake.dump_state()
    response = tasks.put(user, task_id, Action.LABEL_START)
    assert response.status.code == status_code_pb2.TASK_PERMISSION_DENIED
    assert response.status.details == f"user '{user}' is not a worker of task '{task_id}'"
    assert clarifai_fake.dump_state() == before


def test_concurrent_workers_never_share_beyond_wpi(tasks, clarifai_fake):
    post_inputs(tasks, [f"in-{i:03}" for i in range(60)])
    task_id = dynamic_task(tasks, LABELERS, 2)
    handed: dict[str, list[str]] = {w: [] for w in LABELERS}

    def work(worker: str) -> None:
        while batch := tasks.start(worker, task_id):
            handed[worker] += [a.input.id for a in batch]
            tasks.submit(worker, task_id, [a.id for a in batch])

    threads = [threading.Thread(target=work, args=(w,)) for w in LABELERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for ids in handed.values() for i in ids]
    assert all(len(ids) == len(set(ids)) for ids in handed.values())
    assert sorted(set(every)) == [f"in-{i:03}" for i in range(60)]
    assert len(every) == 120
