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


def seed_baseline(fake: FakeClarifai) -> tuple[resources_pb2.UserAppIDSet, str]:
    """The baseline; returns the app and the id of its first PARTITIONED task."""
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
            call_ok(fake, "PutTaskAssignments", label_start(ids, task.id), f"{worker}-pat")
    return ids, posted.tasks[0].id


def label_start(ids: resources_pb2.UserAppIDSet, task_id: str) -> service_pb2.PutTaskAssignmentsRequest:
    return service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_START)


def labels_one_batch(fake: FakeClarifai, ids: resources_pb2.UserAppIDSet, task_id: str) -> None:
    """A test body: worker-0 takes and submits one batch of a PARTITIONED task (its first write to it)."""
    batch = call_ok(fake, "PutTaskAssignments", label_start(ids, task_id), "worker-0-pat").task_assignments
    submit = service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_SUBMIT)
    submit.label_submit_config.task_assignments.extend(resources_pb2.TaskAssignment(id=a.id) for a in batch)
    call_ok(fake, "PutTaskAssignments", submit, "worker-0-pat")


def main() -> None:
    missing = missing_rpcs("PostTasks", "PutTaskAssignments")
    fake = FakeClarifai()
    if missing:
        finish("reset", [unmeasured("reset with 10 tasks", missing)])
    ids, task_id = seed_baseline(fake)
    fake.save_baseline()
    app = fake.store.app("owner", "main")
    sizes = f"{len(app.inputs)} inputs, {len(app.concepts)} concepts, {len(app.tasks)} tasks"
    assignments = sum(len(task.assignments) for task in app.tasks.values())
    idle = median_seconds(fake.reset, repeats=2_000) * 1e3
    after_work = median_seconds(fake.reset, repeats=500, before=lambda: labels_one_batch(fake, ids, task_id)) * 1e3
    body = median_seconds(lambda: labels_one_batch(fake, ids, task_id), repeats=500, before=fake.reset) * 1e3
    checks = [
        Check(
            f"reset() median {idle:.3f} ms ({sizes}, {assignments} assignments; target <= {TARGET_MS} ms)",
            idle <= TARGET_MS,
        ),
        Check(
            f"after a test that labels one batch {after_work:.3f} ms (that test body: {body:.2f} ms)",
            after_work <= TARGET_MS,
        ),
    ]
    finish("reset", checks)


if __name__ == "__main__":
    main()
