"""Concurrency (BEHAVIOUR.md §5: DYNAMIC is race-free under concurrent callers): 16 client threads, each on its own
channel, label one DYNAMIC task (5k inputs, 2 workers per input) through LABEL_START / LABEL_SUBMIT until
it is exhausted. Two threads share each of the 8 workers, so they race for the same batches too."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai
from fake_clarifai.invariants import check_invariants

INPUTS, WORKERS_PER_INPUT, THREADS = 5_000, 2, 16
WORKERS = [f"racer-{n}" for n in range(THREADS // 2)]
MAIN = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
SUCCESS = status_code_pb2.SUCCESS
SWITCH_INTERVAL = 1e-5


@dataclass
class Seen:
    """What one thread was handed: assignment id -> (worker, input id), and every non-SUCCESS answer."""

    assignments: dict[str, tuple[str, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def dynamic_task() -> resources_pb2.Task:
    task = resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )
    task.worker.strategy = resources_pb2.TaskWorker.DYNAMIC
    task.worker.workers.extend(resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in WORKERS)
    task.worker.partitioned_strategy_info.workers_per_input = WORKERS_PER_INPUT
    return task


def label_until_exhausted(fake: FakeClarifai, task_id: str, worker: str) -> Seen:
    """One client thread: take a batch, submit it, repeat until LABEL_START hands out nothing."""
    seen = Seen()
    channel = ClarifaiChannel.get_insecure_grpc_channel(base=fake.host, port=fake.port)
    stub, metadata = service_pb2_grpc.V2Stub(channel), fake.metadata(f"{worker}-pat")
    try:
        while True:
            start = service_pb2.PutTaskAssignmentsRequest(
                user_app_id=MAIN, task_id=task_id, action=service_pb2.LABEL_START
            )
            batch = stub.PutTaskAssignments(start, metadata=metadata)
            if batch.status.code != SUCCESS:
                seen.errors.append(f"LABEL_START: {batch.status}")
                return seen
            if not batch.task_assignments:
                return seen
            for assignment in batch.task_assignments:
                seen.assignments[assignment.id] = (assignment.worker.user.id, assignment.input.id)
            submit = service_pb2.PutTaskAssignmentsRequest(
                user_app_id=MAIN, task_id=task_id, action=service_pb2.LABEL_SUBMIT
            )
            submit.label_submit_config.task_assignments.extend(
                resources_pb2.TaskAssignment(id=a.id) for a in batch.task_assignments
            )
            submitted = stub.PutTaskAssignments(submit, metadata=metadata)
            if submitted.status.code != SUCCESS:
                seen.errors.append(f"LABEL_SUBMIT: {submitted.status}")
                return seen
    finally:
        channel.close()


def test_sixteen_threads_label_a_dynamic_task_to_the_end_without_loss_or_duplicates(clarifai_fake, clarifai_stub):
    for worker in WORKERS:
        clarifai_fake.add_user(worker, f"{worker}-pat")
        clarifai_fake.add_collaborator("owner", "main", worker)
    for n in range(INPUTS):
        clarifai_fake.add_input("owner", "main", f"in-{n}", url=f"https://example.com/{n}.jpg")
    posted = clarifai_stub.PostTasks(
        service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[dynamic_task()]),
        metadata=clarifai_fake.metadata("owner-pat"),
    )
    assert posted.status.code == SUCCESS, posted.status
    task_id = posted.tasks[0].id

    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)  # switch threads often, so that a race has chances to happen
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            workers = [WORKERS[n % len(WORKERS)] for n in range(THREADS)]
            runs = [pool.submit(label_until_exhausted, clarifai_fake, task_id, worker) for worker in workers]
            seen = [run.result(timeout=120) for run in runs]
    finally:
        sys.setswitchinterval(interval)

    assert [error for thread in seen for error in thread.errors] == []
    handed_out: dict[str, tuple[str, str]] = {}
    for thread in seen:
        for assignment_id, pair in thread.assignments.items():
            assert handed_out.setdefault(assignment_id, pair) == pair, f"{assignment_id} answered as two assignments"
    pairs = Counter(handed_out.values())
    assert [pair for pair, n in pairs.items() if n > 1] == [], "an input was handed to one worker twice"
    workers_of: dict[str, set[str]] = defaultdict(set)
    for worker, input_id in handed_out.values():
        workers_of[input_id].add(worker)
    assert len(workers_of) == INPUTS
    assert {input_id for input_id, workers in workers_of.items() if len(workers) != WORKERS_PER_INPUT} == set()

    task = clarifai_fake.store.app("owner", "main").tasks[task_id]
    stored = {a.id: (a.worker_id, a.input_id) for a in task.assignments.values()}
    assert stored == handed_out, "the store holds assignments nobody was handed, or lost some"
    assert {a.state for a in task.assignments.values()} == {status_code_pb2.TASK_ASSIGNMENT_SUCCESS}
    check_invariants(clarifai_fake)
