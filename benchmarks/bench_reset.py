"""Per-test isolation: `FakeClarifai.reset()` to a seeded baseline of 1,000 inputs, 100 concepts and 10
tasks (PARTITIONED, FULL and DYNAMIC ones, some work handed out). Target: median <= 1 ms.

Run: python benchmarks/bench_reset.py
"""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from harness import (
    Check,
    add_inputs,
    add_workers,
    call_ok,
    finish,
    labeling_task,
    median_seconds,
    missing_rpcs,
    owner_app,
    unmeasured,
)

from fake_clarifai import FakeClarifai

TARGET_MS = 1.0
INPUTS, CONCEPTS = 1_000, 100
PARTITIONED_TASKS, FULL_TASKS, DYNAMIC_TASKS = 4, 3, 3


def seed_baseline(fake: FakeClarifai) -> None:
    ids = owner_app(fake)
    for n in range(CONCEPTS - 1):
        fake.add_concept("owner", "main", f"concept-{n}")
    add_inputs(fake, ids, INPUTS)
    workers = add_workers(fake, 3, ids)
    strategy = resources_pb2.TaskWorker
    tasks = [labeling_task(workers, strategy.PARTITIONED, workers_per_input=2) for _ in range(PARTITIONED_TASKS)]
    tasks += [labeling_task(workers, strategy.FULL) for _ in range(FULL_TASKS)]
    tasks += [labeling_task(workers, strategy.DYNAMIC) for _ in range(DYNAMIC_TASKS)]
    posted = call_ok(fake, "PostTasks", service_pb2.PostTasksRequest(user_app_id=ids, tasks=tasks), "owner-pat")
    for task in posted.tasks[-DYNAMIC_TASKS:]:
        for worker in workers:
            start = service_pb2.PutTaskAssignmentsRequest(
                user_app_id=ids, task_id=task.id, action=service_pb2.LABEL_START
            )
            call_ok(fake, "PutTaskAssignments", start, f"{worker}-pat")


def main() -> None:
    missing = missing_rpcs("PostTasks", "PutTaskAssignments")
    fake = FakeClarifai()
    if missing:
        finish("reset", [unmeasured("reset with 10 tasks", missing)])
    seed_baseline(fake)
    fake.save_baseline()
    app = fake.store.app("owner", "main")
    sizes = f"{len(app.inputs)} inputs, {len(app.concepts)} concepts, {len(app.tasks)} tasks"
    assignments = sum(len(task.assignments) for task in app.tasks.values())
    median = median_seconds(fake.reset, repeats=2_000) * 1e3
    text = f"reset() median {median:.3f} ms ({sizes}, {assignments} assignments; target <= {TARGET_MS} ms)"
    finish("reset", [Check(text, median <= TARGET_MS)])


if __name__ == "__main__":
    main()
