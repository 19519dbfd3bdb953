"""The in-process channel against the loopback one, same fake, same run.

- GetTask: sequential calls/s over each channel (interleaved rounds, median ratio).
- A 40-call labeling round on a PARTITIONED task: three labelers each LABEL_START, annotate the batch of
  10 and LABEL_SUBMIT (36 calls), then four GetTaskInputCount; the state restored before each round.
- A 100-example hypothesis property that posts 30 inputs and a PARTITIONED task (3 labelers, drawn
  workers_per_input, a random order of turns) in a `fake.isolated()` block and drains it with
  `fake_clarifai.testing.play`.

Targets: in-process >= 10x the loopback calls/s for GetTask and the round; the property's ratio is reported.

Run: python benchmarks/bench_inprocess.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from harness import Check, call_ok, compare_rates, finish, labeling_task, ratio_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_clarifai import FakeClarifai
from fake_clarifai.seed import DEFAULT_SEED
from fake_clarifai.testing import Labeler, Order, TeamReport, play, round_robin, shuffled

TARGET = 10.0
APP = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
LABELERS = ["labeler-1", "labeler-2", "labeler-3"]
ROUNDS = 15
EXAMPLES = 100


def add_inputs(fake: FakeClarifai, count: int) -> None:
    for n in range(count):
        fake.add_input("owner", "main", f"in-{n}", text=f"input {n}")


def post_task(fake: FakeClarifai, workers_per_input: int) -> str:
    request = service_pb2.PostTasksRequest(
        user_app_id=APP, tasks=[labeling_task(LABELERS, workers_per_input=workers_per_input)]
    )
    return str(call_ok(fake, "PostTasks", request, "owner-pat").tasks[0].id)


def drain(stub: service_pb2_grpc.V2Stub, task_id: str, order: Order, max_rounds: int) -> TeamReport:
    team = [Labeler(user) for user in LABELERS]
    return play(
        stub, APP, task_id, team, owner_metadata=FakeClarifai.metadata("owner-pat"), order=order, max_rounds=max_rounds
    )


def labeling_round(stub: service_pb2_grpc.V2Stub, task_id: str) -> int:
    """The 40 calls; returns how many were made."""
    report = drain(stub, task_id, round_robin, 1)
    for _ in range(3):
        stub.GetTaskInputCount(
            service_pb2.GetTaskCountRequest(user_app_id=APP, task_id=task_id),
            metadata=FakeClarifai.metadata("owner-pat"),
        )
    return report.calls + 3


def round_rates(fake: FakeClarifai, stubs: dict[str, service_pb2_grpc.V2Stub]) -> tuple[float, float, float, int]:
    add_inputs(fake, 60)
    task_id = post_task(fake, 1)
    base = fake.snapshot()
    times: dict[str, list[float]] = {"inprocess": [], "loopback": []}
    calls = 0
    for n in range(ROUNDS):
        for name in ["inprocess", "loopback"] if n % 2 else ["loopback", "inprocess"]:
            fake.restore(base)
            start = time.perf_counter()
            calls = labeling_round(stubs[name], task_id)
            times[name].append(time.perf_counter() - start)
    ratio = statistics.median(lo / ip for lo, ip in zip(times["loopback"], times["inprocess"], strict=True))
    return calls / statistics.median(times["inprocess"]), calls / statistics.median(times["loopback"]), ratio, calls


def property_seconds(fake: FakeClarifai, stub: service_pb2_grpc.V2Stub) -> float:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.integers(1, 3), st.randoms(use_true_random=False))
    def drains_a_partitioned_task(workers_per_input: int, rng: random.Random) -> None:
        with fake.isolated():
            add_inputs(fake, 30)
            task_id = post_task(fake, workers_per_input)
            report = drain(stub, task_id, shuffled(rng), 100)
            assert report.finished and report.total("success") == 30 * workers_per_input

    start = time.perf_counter()
    drains_a_partitioned_task()
    return time.perf_counter() - start


def rate_line(what: str, inprocess: float, loopback: float, ratio: float) -> Check:
    return ratio_check(
        f"{what} in-process {inprocess:.0f} vs loopback {loopback:.0f} calls/s =", ratio, at_least=TARGET
    )


def main() -> None:
    checks: list[Check] = []
    with FakeClarifai() as fake:
        fake.load_seed(DEFAULT_SEED)
        fake.save_baseline()
        stubs = {"loopback": fake.stub(), "inprocess": fake.inprocess_stub()}
        task_id = post_task(fake, 1)
        request = service_pb2.GetTaskRequest(user_app_id=APP, task_id=task_id)
        metadata = fake.metadata("owner-pat")

        def get_task(stub: service_pb2_grpc.V2Stub) -> Callable[[], object]:
            return lambda: stub.GetTask(request, metadata=metadata)

        rates = compare_rates(get_task(stubs["inprocess"]), get_task(stubs["loopback"]))
        checks.append(rate_line("GetTask", rates.rate, rates.floor_rate, rates.ratio))
        fake.reset()
        inprocess, loopback, ratio, calls = round_rates(fake, stubs)
        checks.append(rate_line(f"{calls}-call labeling round", inprocess, loopback, ratio))
        fake.reset()
        seconds = {name: property_seconds(fake, stub) for name, stub in stubs.items()}
        ratio = seconds["loopback"] / seconds["inprocess"]
        checks.append(
            Check(
                f"{EXAMPLES}-example property draining a 30-input PARTITIONED task: in-process "
                f"{seconds['inprocess']:.2f} s, loopback {seconds['loopback']:.2f} s = {ratio:.1f}x",
                True,
            )
        )
    finish("inprocess", checks)


if __name__ == "__main__":
    main()
