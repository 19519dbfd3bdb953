"""Per-call overhead: sequential calls/s through the fake vs a bare servicer answering the same response.

GetApp, ListApps (128 apps), GetTask and ListTasks (per_page 128 of 128 tasks). The bare servicer
returns the response the fake gave, prebuilt, over the same kind of channel, so the ratio is what the
fake's auth, store lookups and response building cost. Target: >= 0.85x for each.

Run: python benchmarks/bench_rpc_overhead.py
"""

from __future__ import annotations

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
    ratio_check,
    unmeasured,
)

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

TARGET = 0.85
LIST_SIZE = 128


def main() -> None:
    checks: list[Check] = []
    with FakeClarifai() as fake:
        ids = owner_app(fake)
        for n in range(LIST_SIZE - 1):
            fake.add_app("owner", f"app-{n}")
        requests: dict[str, Message] = {
            "GetApp": service_pb2.GetAppRequest(user_app_id=ids),
            "ListApps": service_pb2.ListAppsRequest(per_page=LIST_SIZE),
        }
        missing = missing_rpcs("PostTasks", "GetTask", "ListTasks")
        if missing:
            checks.append(unmeasured("GetTask/ListTasks", missing))
        else:
            workers = add_workers(fake, 3, ids)
            add_inputs(fake, ids, 30)
            tasks = [labeling_task(workers, name=f"task {n}") for n in range(LIST_SIZE)]
            posted = call_ok(fake, "PostTasks", service_pb2.PostTasksRequest(user_app_id=ids, tasks=tasks), "owner-pat")
            requests["GetTask"] = service_pb2.GetTaskRequest(user_app_id=ids, task_id=posted.tasks[0].id)
            requests["ListTasks"] = service_pb2.ListTasksRequest(user_app_id=ids, per_page=LIST_SIZE)
        stub, metadata = fake.stub(), fake.metadata("owner-pat")
        responses = {method: getattr(stub, method)(request, metadata=metadata) for method, request in requests.items()}
        for method, response in responses.items():
            if response.status.code != Code.SUCCESS:
                raise RuntimeError(f"{method} answered {response.status}")
        with canned_stub(responses) as bare:
            for method, request in requests.items():
                through_fake, through_bare = getattr(stub, method), getattr(bare, method)
                comparison = compare_rates(
                    lambda call=through_fake, r=request: call(r, metadata=metadata),
                    lambda call=through_bare, r=request: call(r, metadata=metadata),
                )
                what = f"{method} {comparison.rate:.0f} vs bare {comparison.floor_rate:.0f} calls/s ="
                checks.append(ratio_check(what, comparison.ratio, at_least=TARGET))
    finish("rpc_overhead", checks)


if __name__ == "__main__":
    main()
