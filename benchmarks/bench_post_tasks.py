"""PostTasks at scale: one PARTITIONED task (50 workers, WEIGHTED, 3 workers per input) over 10k and 100k
inputs, timed through the gRPC stub (validation, dealing, storing the plan, the response; the 300k
assignment records are made only as LABEL_START hands the work out).
Targets: 100k <= 1 s; time(100k) / time(10k) <= 12.

Run: python benchmarks/bench_post_tasks.py
"""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from harness import (
    Check,
    add_inputs,
    add_workers,
    finish,
    labeling_task,
    median_seconds,
    missing_rpcs,
    owner_app,
    ratio_check,
    unmeasured,
)

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

SIZES = {"10k": (10_000, 5), "100k": (100_000, 3)}  # inputs, repeats
WORKERS, WORKERS_PER_INPUT = 50, 3
TARGET_SECONDS, TARGET_RATIO = 1.0, 12.0


def main() -> None:
    missing = missing_rpcs("PostTasks", "GetTaskInputCount")
    if missing:
        finish("post_tasks", [unmeasured("PostTasks PARTITIONED", missing)])
    with FakeClarifai() as fake:
        owner_app(fake)
        apps = {size: resources_pb2.UserAppIDSet(user_id="owner", app_id=size) for size in SIZES}
        for size, ids in apps.items():
            fake.add_app("owner", ids.app_id)
            fake.add_concept("owner", ids.app_id, "water")
            add_inputs(fake, ids, SIZES[size][0])
        workers = add_workers(fake, WORKERS, *apps.values())
        fake.save_baseline()
        weights = {worker: 1 + n % 5 for n, worker in enumerate(workers)}
        task = labeling_task(workers, workers_per_input=WORKERS_PER_INPUT, weights=weights)
        stub, metadata = fake.stub(), fake.metadata("owner-pat")

        def post(ids: resources_pb2.UserAppIDSet) -> str:
            response = stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=ids, tasks=[task]), metadata=metadata)
            if response.status.code != Code.SUCCESS:
                raise RuntimeError(f"PostTasks answered {response.status}")
            return str(response.tasks[0].id)

        times = {
            size: median_seconds(lambda ids=ids: post(ids), SIZES[size][1], before=fake.reset)
            for size, ids in apps.items()
        }
        fake.reset()
        task_id = post(apps["100k"])
        count = stub.GetTaskInputCount(
            service_pb2.GetTaskCountRequest(user_app_id=apps["100k"], task_id=task_id), metadata=metadata
        )
        planned = sum(entry.pending for entry in count.counts)
    large, small = times["100k"], times["10k"]
    checks = [
        Check(
            f"100k inputs {large:.3f} s ({planned} pending (worker, input) pairs; target <= {TARGET_SECONDS} s)",
            large <= TARGET_SECONDS,
        ),
        ratio_check(f"10k {small:.3f} s, 100k/10k =", large / small, at_most=TARGET_RATIO),
    ]
    finish("post_tasks", checks)


if __name__ == "__main__":
    main()
