"""Memory: peak RSS of this process (the fake serving on loopback, its client, and the state) for an app of
100k inputs with one PARTITIONED task (50 workers, WEIGHTED, 3 workers per input: 300k pending pairs)
created through PostTasks. Target: peak RSS <= 400 MB. Run it in a fresh process (it is one).

Run: python benchmarks/bench_memory.py
"""

from __future__ import annotations

import resource

from clarifai_grpc.grpc.api import service_pb2
from harness import Check, add_inputs, add_workers, finish, labeling_task, missing_rpcs, owner_app, unmeasured

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

INPUTS, WORKERS, WORKERS_PER_INPUT = 100_000, 50, 3
TARGET_MB = 400


def rss_mb() -> float:
    """The current resident set size."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    missing = missing_rpcs("PostTasks")
    if missing:
        finish("memory", [unmeasured("100k inputs + PARTITIONED task", missing)])
    with FakeClarifai() as fake:
        ids = owner_app(fake)
        started = rss_mb()
        add_inputs(fake, ids, INPUTS)
        with_inputs = rss_mb()
        workers = add_workers(fake, WORKERS, ids)
        weights = {worker: 1 + n % 5 for n, worker in enumerate(workers)}
        task = labeling_task(workers, workers_per_input=WORKERS_PER_INPUT, weights=weights)
        response = fake.stub().PostTasks(
            service_pb2.PostTasksRequest(user_app_id=ids, tasks=[task]), metadata=fake.metadata("owner-pat")
        )
        if response.status.code != Code.SUCCESS:
            raise RuntimeError(f"PostTasks answered {response.status}")
        with_task = rss_mb()
        state = fake.store.app("owner", "main").tasks[response.tasks[0].id]
        planned = sum(state.pending_count(worker) for worker in state.worker_user_ids)
    peak = peak_rss_mb()
    text = (
        f"peak RSS {peak:.0f} MB (server started {started:.0f} MB, +{INPUTS // 1000}k inputs {with_inputs:.0f} MB, "
        f"+task with {planned} pending (worker, input) pairs {with_task:.0f} MB; target <= {TARGET_MB} MB)"
    )
    finish("memory", [Check(text, peak <= TARGET_MB)])


if __name__ == "__main__":
    main()
