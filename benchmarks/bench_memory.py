"""Memory, in this process (the fake serving on loopback, its client, and the state), over an app of 100k
inputs:

1. one PARTITIONED task (50 workers, WEIGHTED, 3 workers per input: 300k pending pairs) through PostTasks.
   Target: peak RSS <= 400 MB.
2. then one PostTasks of 50 FULL tasks (3 workers each, so 300k (worker, input) pairs apiece, 15M in all).
   Target: RSS added <= 20 MB (measured after a full garbage collection, before and after the call).

Run it in a fresh process (it is one). Run: python benchmarks/bench_memory.py
"""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from harness import (
    Check,
    add_inputs,
    add_workers,
    finish,
    labeling_task,
    missing_rpcs,
    owner_app,
    peak_rss_mb,
    rss_mb,
    unmeasured,
)

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

INPUTS, WORKERS, WORKERS_PER_INPUT = 100_000, 50, 3
FULL_TASKS, FULL_WORKERS = 50, 3
TARGET_MB, TARGET_FULL_MB = 400, 20


def main() -> None:
    missing = missing_rpcs("PostTasks", "GetTaskInputCount")
    if missing:
        finish("memory", [unmeasured("100k inputs + PARTITIONED task", missing)])
    with FakeClarifai() as fake:
        ids = owner_app(fake)
        stub, metadata = fake.stub(), fake.metadata("owner-pat")

        def post(tasks: list[resources_pb2.Task]) -> service_pb2.MultiTaskResponse:
            return stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=ids, tasks=tasks), metadata=metadata)

        started = rss_mb()
        add_inputs(fake, ids, INPUTS)
        with_inputs = rss_mb()
        workers = add_workers(fake, WORKERS, ids)
        weights = {worker: 1 + n % 5 for n, worker in enumerate(workers)}
        response = post([labeling_task(workers, workers_per_input=WORKERS_PER_INPUT, weights=weights)])
        if response.status.code != Code.SUCCESS:
            raise RuntimeError(f"PostTasks answered {response.status}")
        count = stub.GetTaskInputCount(
            service_pb2.GetTaskCountRequest(user_app_id=ids, task_id=response.tasks[0].id), metadata=metadata
        )
        planned = sum(entry.pending for entry in count.counts)
        fake.journal.clear()
        with_task = rss_mb()
        peak = peak_rss_mb()
        full = [
            labeling_task(workers[:FULL_WORKERS], resources_pb2.TaskWorker.FULL, name=f"full {n}")
            for n in range(FULL_TASKS)
        ]
        response = post(full)
        fake.journal.clear()
        with_full = rss_mb()
    text = (
        f"peak RSS {peak:.0f} MB (server started {started:.0f} MB, +{INPUTS // 1000}k inputs {with_inputs:.0f} MB, "
        f"+task with {planned} pending (worker, input) pairs {with_task:.0f} MB; target <= {TARGET_MB} MB)"
    )
    checks = [Check(text, peak <= TARGET_MB)]
    what = f"one PostTasks of {FULL_TASKS} FULL tasks x {FULL_WORKERS} workers over {INPUTS // 1000}k inputs"
    if response.status.code != Code.SUCCESS:
        details = f"{Code.Name(response.status.code)}: {response.status.details}"
        checks.append(Check(f"{what}: answered {details} (target: accepted, <= {TARGET_FULL_MB} MB)", False))
    else:
        added = with_full - with_task
        text = f"{what}: RSS {with_task:.0f} -> {with_full:.0f} MB, +{added:.0f} MB (target <= {TARGET_FULL_MB} MB)"
        checks.append(Check(text, added <= TARGET_FULL_MB))
    finish("memory", checks)


if __name__ == "__main__":
    main()
