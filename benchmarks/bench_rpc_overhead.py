"""Per-call overhead: sequential calls/s through the fake vs a bare servicer answering the same response.

GetApp, ListApps (128 apps), GetTask, ListTasks (per_page 128 of 128 tasks), GetInput and ListInputs
(per_page 128 of 128 inputs). The bare servicer returns the response the fake gave, prebuilt, over the same
kind of channel, so the ratio is what the fake's auth, store lookups and response building cost. Each run
compares every method in turn (`compare_rates`: interleaved rounds, alternating which side goes first, the
median of the per-round ratios); `--runs N` (default 5) makes N consecutive runs on the same two servers,
and a method meets its target only when every run does. Targets (fake / bare): >= 1.0x for ListTasks and
ListInputs, >= 0.95x for GetTask and GetInput, >= 0.85x for GetApp and ListApps.

Run: python benchmarks/bench_rpc_overhead.py [--runs N]
"""

from __future__ import annotations

import argparse

from clarifai_grpc.grpc.api import service_pb2
from google.protobuf.message import Message
from harness import (
    Check,
    add_inputs,
    add_workers,
    call_ok,
    canned_stub,
    compare_rates,
    finish,
    labeling_task,
    missing_rpcs,
    owner_app,
    unmeasured,
)

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

TARGETS = {"GetApp": 0.85, "ListApps": 0.85, "GetTask": 0.95, "ListTasks": 1.0, "GetInput": 0.95, "ListInputs": 1.0}
LIST_SIZE = 128


def requests_for(fake: FakeClarifai, checks: list[Check]) -> dict[str, Message]:
    """Seed what the calls read; the request of each method that can be measured."""
    ids = owner_app(fake)
    for n in range(LIST_SIZE - 1):
        fake.add_app("owner", f"app-{n}")
    input_ids = add_inputs(fake, ids, LIST_SIZE)
    requests: dict[str, Message] = {
        "GetApp": service_pb2.GetAppRequest(user_app_id=ids),
        "ListApps": service_pb2.ListAppsRequest(per_page=LIST_SIZE),
        "GetInput": service_pb2.GetInputRequest(user_app_id=ids, input_id=input_ids[0]),
        "ListInputs": service_pb2.ListInputsRequest(user_app_id=ids, per_page=LIST_SIZE),
    }
    missing = missing_rpcs("PostTasks", "GetTask", "ListTasks")
    if missing:
        checks.append(unmeasured("GetTask/ListTasks", missing))
        return requests
    workers = add_workers(fake, 3, ids)
    tasks = [labeling_task(workers, name=f"task {n}") for n in range(LIST_SIZE)]
    posted = call_ok(fake, "PostTasks", service_pb2.PostTasksRequest(user_app_id=ids, tasks=tasks), "owner-pat")
    requests["GetTask"] = service_pb2.GetTaskRequest(user_app_id=ids, task_id=posted.tasks[0].id)
    requests["ListTasks"] = service_pb2.ListTasksRequest(user_app_id=ids, per_page=LIST_SIZE)
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="consecutive runs that must each meet the targets")
    runs = parser.parse_args().runs
    checks: list[Check] = []
    with FakeClarifai() as fake:
        requests = requests_for(fake, checks)
        fake.journal.clear()
        stub, metadata = fake.stub(), fake.metadata("owner-pat")
        responses = {method: getattr(stub, method)(request, metadata=metadata) for method, request in requests.items()}
        for method, response in responses.items():
            if response.status.code != Code.SUCCESS:
                raise RuntimeError(f"{method} answered {response.status}")
        ratios: dict[str, list[float]] = {method: [] for method in requests}
        rates: dict[str, tuple[float, float]] = {}
        with canned_stub(responses) as bare:
            for _ in range(runs):
                for method, request in requests.items():
                    through_fake, through_bare = getattr(stub, method), getattr(bare, method)
                    comparison = compare_rates(
                        lambda call=through_fake, r=request: call(r, metadata=metadata),
                        lambda call=through_bare, r=request: call(r, metadata=metadata),
                    )
                    ratios[method].append(comparison.ratio)
                    rates[method] = comparison.rate, comparison.floor_rate
    for method, values in ratios.items():
        rate, floor_rate = rates[method]
        every = " ".join(f"{value:.2f}" for value in values)
        text = (
            f"{method} worst of {runs} runs {min(values):.2f}x (target >= {TARGETS[method]}x; runs {every}; "
            f"last {rate:.0f} vs bare {floor_rate:.0f} calls/s)"
        )
        checks.append(Check(text, min(values) >= TARGETS[method]))
    finish("rpc_overhead", checks)


if __name__ == "__main__":
    main()
