"""DYNAMIC LABEL_START latency at 1k vs 100k inputs, with 90 % of the inputs already handed out.

One DYNAMIC task (1 worker per input) per size. Veterans label (LABEL_START, LABEL_SUBMIT in-process) until
90 % of the inputs are handed out; that state is snapshotted. Each round restores it, lets one veteran take
a batch untimed (the first write to a task after a restore copies its assignment containers, see
`TaskState.clone`), then times through the gRPC stub one LABEL_START by each newcomer (whose cursor starts
behind the 90 %) and by each other veteran. Target: median latency at 100k / at 1k <= 1.3x.

Run: python benchmarks/bench_label_start.py
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Iterable

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from harness import (
    add_inputs,
    add_workers,
    call_ok,
    finish,
    labeling_task,
    missing_rpcs,
    owner_app,
    ratio_check,
    unmeasured,
)

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

SIZES = {"1k": 1_000, "100k": 100_000}
HANDED_OUT = 0.9
VETERANS, NEWCOMERS, ROUNDS = 4, 4, 25
TARGET_RATIO = 1.3


def label_start(task_id: str, ids: resources_pb2.UserAppIDSet) -> service_pb2.PutTaskAssignmentsRequest:
    return service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_START)


def label_submit(
    task_id: str, ids: resources_pb2.UserAppIDSet, assignments: Iterable[resources_pb2.TaskAssignment]
) -> service_pb2.PutTaskAssignmentsRequest:
    request = service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_SUBMIT)
    request.label_submit_config.task_assignments.extend(
        resources_pb2.TaskAssignment(id=assignment.id) for assignment in assignments
    )
    return request


def hand_out(fake: FakeClarifai, ids: resources_pb2.UserAppIDSet, task_id: str, workers: list[str], count: int) -> None:
    """Veterans take and submit batches in turn until `count` inputs are handed out."""
    handed = 0
    for worker in itertools.cycle(workers):
        if handed >= count:
            return
        batch = call_ok(fake, "PutTaskAssignments", label_start(task_id, ids), f"{worker}-pat").task_assignments
        call_ok(fake, "PutTaskAssignments", label_submit(task_id, ids, batch), f"{worker}-pat")
        handed += len(batch)


def main() -> None:
    missing = missing_rpcs("PostTasks", "PutTaskAssignments")
    if missing:
        finish("label_start", [unmeasured("DYNAMIC LABEL_START", missing)])
    with FakeClarifai() as fake:
        owner_app(fake)
        apps = {size: resources_pb2.UserAppIDSet(user_id="owner", app_id=size) for size in SIZES}
        for ids in apps.values():
            fake.add_app("owner", ids.app_id)
            fake.add_concept("owner", ids.app_id, "water")
        workers = add_workers(fake, VETERANS + NEWCOMERS, *apps.values())
        veterans, newcomers = workers[:VETERANS], workers[VETERANS:]
        task_ids = {}
        for size, ids in apps.items():
            add_inputs(fake, ids, SIZES[size])
            task = labeling_task(workers, resources_pb2.TaskWorker.DYNAMIC)
            posted = call_ok(
                fake, "PostTasks", service_pb2.PostTasksRequest(user_app_id=ids, tasks=[task]), "owner-pat"
            )
            task_ids[size] = posted.tasks[0].id
            hand_out(fake, ids, task_ids[size], veterans, int(SIZES[size] * HANDED_OUT))
        prepared = fake.snapshot()
        stub = fake.stub()
        latencies: dict[str, list[float]] = {size: [] for size in SIZES}
        for round_ in range(ROUNDS):
            for size in sorted(SIZES, reverse=bool(round_ % 2)):
                fake.restore(prepared)
                ids, task_id = apps[size], task_ids[size]
                call_ok(fake, "PutTaskAssignments", label_start(task_id, ids), f"{veterans[0]}-pat")
                for worker in newcomers + veterans[1:]:
                    request, metadata = label_start(task_id, ids), fake.metadata(f"{worker}-pat")
                    started = time.perf_counter()
                    response = stub.PutTaskAssignments(request, metadata=metadata)
                    latencies[size].append(time.perf_counter() - started)
                    if response.status.code != Code.SUCCESS or len(response.task_assignments) != 10:
                        raise RuntimeError(f"LABEL_START by {worker} answered {response.status}")
    small, large = (statistics.median(latencies[size]) * 1e3 for size in SIZES)
    what = f"median LABEL_START 1k {small:.2f} ms, 100k {large:.2f} ms, ratio"
    finish("label_start", [ratio_check(what, large / small, at_most=TARGET_RATIO)])


if __name__ == "__main__":
    main()
