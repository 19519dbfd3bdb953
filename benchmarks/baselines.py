"""The users' baselines of issue 18, which `bench_reset.py` and `bench_first_write.py` measure at, and the
writes a test starts with on each.

One app (`owner/main`) with 3 workers (`worker-0..2`, collaborators) and, per size (1k, 10k, 100k inputs),
0, 10 and 128 DYNAMIC tasks; at 100k also a baseline holding one FULL task instead (3 workers x 100k
inputs) with all of its 300k assignments made: each worker has submitted its last input by `input_id`,
which hands out every input dealt to it before that one (pending). Every task draws from the whole app
(`ALL_INPUTS`), so a DYNAMIC task's pool is the app's every input; DYNAMIC tasks have no work handed out.
The baselines of one size are built on one fake in turn, each on the one before (the FULL one on a snapshot
of the task-less one), with the bulkiest public seeding paths: `fake.add_input` per input (see
`harness.add_inputs`) and one PostTasks per batch of tasks, over the in-process channel. Nothing is
started: every call goes in-process.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from harness import add_inputs, add_workers, call_ok, labeling_task, owner_app, rss_mb

from fake_clarifai import FakeClarifai

SIZES = (1_000, 10_000, 100_000)
DYNAMIC_COUNTS = (0, 10, 128)
FULL_SIZE = 100_000
WORKERS = 3
LARGEST = (100_000, 128)  # (inputs, DYNAMIC tasks): the cell `--quick` leaves out

Write = Callable[[int], Any]


@dataclass(frozen=True)
class Baseline:
    """One baseline, the fake's saved one (`save_baseline()`) while a consumer holds it."""

    fake: FakeClarifai
    ids: resources_pb2.UserAppIDSet
    inputs: int
    dynamic_tasks: int
    dynamic_task_id: str | None  # the first DYNAMIC task, when there is one
    full_task_id: str | None  # the FULL task of the FULL baseline
    started: tuple[str, ...]  # worker-0's next batch of pending assignments in the FULL task
    build_seconds: float  # building it from the baseline before it (the inputs for a size's first)
    rss_mb: float  # this process's RSS once it was built

    @property
    def name(self) -> str:
        size = f"{self.inputs // 1000}k"
        return f"{size}/FULL 300k" if self.full_task_id else f"{size}/{self.dynamic_tasks} DYNAMIC"


def baselines(*, largest: bool = True) -> Iterator[Baseline]:
    """Each baseline in turn, the smallest first; `largest=False` leaves out 100k inputs x 128 DYNAMIC.

    A consumer may do anything to the fake while it holds a baseline, as long as it leaves it at that
    baseline (`fake.reset()`, or `restore()` of a snapshot taken of it)."""
    for size in SIZES:
        fake = FakeClarifai()
        ids = owner_app(fake)
        workers = add_workers(fake, WORKERS, ids)
        since = time.perf_counter()
        add_inputs(fake, ids, size)
        without_tasks = fake.snapshot() if size == FULL_SIZE else None
        posted: list[str] = []
        for count in DYNAMIC_COUNTS:
            if (size, count) == LARGEST and not largest:
                continue
            if count > len(posted):
                tasks = [
                    labeling_task(workers, resources_pb2.TaskWorker.DYNAMIC, name=f"dynamic {n}")
                    for n in range(len(posted), count)
                ]
                posted += post_tasks(fake, ids, tasks)
            yield saved(fake, ids, size, since, dynamic_tasks=count, dynamic_task_id=posted[0] if posted else None)
            since = time.perf_counter()
        if without_tasks is not None:
            fake.restore(without_tasks)
            del without_tasks
            (task_id,) = post_tasks(fake, ids, [labeling_task(workers, resources_pb2.TaskWorker.FULL, name="full")])
            for worker in workers:
                last = label_submit(ids, task_id, input_id=f"in-{size - 1}")
                call_ok(fake, "PutTaskAssignments", last, f"{worker}-pat")
            batch = call_ok(fake, "PutTaskAssignments", label_start(ids, task_id), "worker-0-pat").task_assignments
            yield saved(fake, ids, size, since, full_task_id=task_id, started=tuple(a.id for a in batch))
        del fake
        gc.collect()


def saved(fake: FakeClarifai, ids: resources_pb2.UserAppIDSet, size: int, since: float, **kinds: Any) -> Baseline:
    """Make the fake's state its baseline and describe it."""
    fake.save_baseline()
    fake.journal.clear()
    return Baseline(
        fake=fake,
        ids=ids,
        inputs=size,
        **{"dynamic_tasks": 0, "dynamic_task_id": None, "full_task_id": None, "started": (), **kinds},
        build_seconds=time.perf_counter() - since,
        rss_mb=rss_mb(),
    )


def post_tasks(fake: FakeClarifai, ids: resources_pb2.UserAppIDSet, tasks: list[resources_pb2.Task]) -> list[str]:
    """One PostTasks of `tasks`; their ids."""
    request = service_pb2.PostTasksRequest(user_app_id=ids, tasks=tasks)
    return [task.id for task in call_ok(fake, "PostTasks", request, "owner-pat").tasks]


def label_start(ids: resources_pb2.UserAppIDSet, task_id: str) -> service_pb2.PutTaskAssignmentsRequest:
    return service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_START)


def label_submit(ids: resources_pb2.UserAppIDSet, task_id: str, **submit: Any) -> service_pb2.PutTaskAssignmentsRequest:
    """LABEL_SUBMIT naming `assignment_id`, or the deprecated form naming `input_id`."""
    request = service_pb2.PutTaskAssignmentsRequest(user_app_id=ids, task_id=task_id, action=service_pb2.LABEL_SUBMIT)
    if "assignment_id" in submit:
        request.label_submit_config.task_assignments.add(id=submit["assignment_id"])
    else:
        request.input_id = submit["input_id"]
    return request


def first_writes(baseline: Baseline) -> dict[str, Write]:
    """The writes a test starts with on `baseline`, by name: `write(0)` is a test's first write of that kind,
    `write(1)` a second one of the same kind (another concept, another worker's batch, another assignment),
    which pays no first-write cost. Each is one call over the in-process channel.

    - PostConcepts of one new concept, on every baseline;
    - LABEL_START on the first DYNAMIC task (worker-n takes a batch), when there is one;
    - on the FULL baseline, LABEL_SUBMIT of one of worker-0's pending assignments, and the deprecated
      LABEL_SUBMIT by `input_id` of one of worker-1's (`in-0`, then `in-1`).
    """
    fake, ids = baseline.fake, baseline.ids

    def call(method: str, request: Any, user: str) -> Any:
        return call_ok(fake, method, request, f"{user}-pat")

    def post_concept(n: int) -> Any:
        concept = resources_pb2.Concept(id=f"first-write-{n}")
        return call("PostConcepts", service_pb2.PostConceptsRequest(user_app_id=ids, concepts=[concept]), "owner")

    writes: dict[str, Write] = {"PostConcepts": post_concept}
    dynamic, full = baseline.dynamic_task_id, baseline.full_task_id
    if dynamic is not None:
        writes["LABEL_START"] = lambda n: call("PutTaskAssignments", label_start(ids, dynamic), f"worker-{n}")
    if full is not None:
        started = baseline.started
        writes["LABEL_SUBMIT"] = lambda n: call(
            "PutTaskAssignments", label_submit(ids, full, assignment_id=started[n]), "worker-0"
        )
        writes["LABEL_SUBMIT by input_id"] = lambda n: call(
            "PutTaskAssignments", label_submit(ids, full, input_id=f"in-{n}"), "worker-1"
        )
    return writes


def small_test(baseline: Baseline) -> Callable[[], None]:
    """A small test: each of the baseline's first writes, once."""
    writes = list(first_writes(baseline).values())

    def body() -> None:
        for write in writes:
            write(0)

    return body
