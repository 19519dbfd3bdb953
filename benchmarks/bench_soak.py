"""Soak: the JSON gateway under 200 keep-alive clients and 50 slow ones while gRPC workers label a DYNAMIC
task, for 30 s, all on 127.0.0.1.

The fake runs in this process; the clients run in a child process (so their threads and GIL do not count
against the server). Well-behaved clients each keep one connection and send a GetTask about once a
second; slow clients open a request and dribble one header byte a second, never finishing it (each
holds a gateway thread until its request misses the idle timeout, 10 s here, then reconnects); 4 gRPC
workers loop LABEL_START, PostAnnotations, LABEL_SUBMIT on a DYNAMIC task of 100k inputs, a batch each
0.5 s. Before the load, one client alone measures the unloaded GetTask latency.

Reported: requests served, p99 of the well-behaved clients (loaded) against p99 unloaded, peak threads
and peak RSS of the server process. Targets: loaded p99 <= 5x unloaded p99; every well-behaved request
answered 200; peak threads <= the gateway's connection limit + 64.

Run: python benchmarks/bench_soak.py
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from harness import Check, add_inputs, add_workers, call_ok, finish, labeling_task, owner_app, ratio_check

from fake_clarifai import FakeClarifai
from fake_clarifai.gateway import GatewayLimits

DURATION = 30.0
KEEP_ALIVE, SLOW, LABELERS = 200, 50, 4
UNLOADED_REQUESTS = 300
LIMITS = GatewayLimits(max_connections=300, idle_timeout=10.0)
P99_TARGET = 5.0
INPUTS = 100_000
LABELER_PAUSE = 0.5  # a labeler looks at its batch before the next: steady load, not a busy loop


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# -- the clients (child process) ----------------------------------------------------------------------
def well_behaved(port: int, path: str, until: float, latencies: list[float], errors: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    time.sleep(random.random())
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Authorization": "Key owner-pat"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(str(response.status))
        except OSError as error:
            errors.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
        time.sleep(0.5 + random.random())
    connection.close()


def slow(port: int, until: float) -> None:
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /v2/users/owner/apps/main/tasks HTTP/1.1\r\nHost: x\r\n")
                while time.monotonic() < until:
                    sock.sendall(b"X")
                    time.sleep(1.0)
        except OSError:
            time.sleep(0.2)  # closed by the idle timeout (or refused): reconnect


def labeler(grpc_port: int, worker: str, task_id: str, until: float, done: list[int]) -> None:
    stub = service_pb2_grpc.V2Stub(ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=grpc_port))
    metadata = (("authorization", f"Key {worker}-pat"),)
    app = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
    while time.monotonic() < until:
        start = service_pb2.PutTaskAssignmentsRequest(user_app_id=app, task_id=task_id, action=service_pb2.LABEL_START)
        assignments = stub.PutTaskAssignments(start, metadata=metadata).task_assignments
        if not assignments:
            return
        annotations = [
            resources_pb2.Annotation(
                input_id=a.input.id,
                task_id=task_id,
                data=resources_pb2.Data(concepts=[resources_pb2.Concept(id="water", value=1.0)]),
            )
            for a in assignments
        ]
        stub.PostAnnotations(
            service_pb2.PostAnnotationsRequest(user_app_id=app, annotations=annotations), metadata=metadata
        )
        submit = service_pb2.PutTaskAssignmentsRequest(
            user_app_id=app,
            task_id=task_id,
            action=service_pb2.LABEL_SUBMIT,
            label_submit_config=service_pb2.LabelSubmitConfig(
                task_assignments=[resources_pb2.TaskAssignment(id=a.id) for a in assignments]
            ),
        )
        stub.PutTaskAssignments(submit, metadata=metadata)
        done.append(len(assignments))
        time.sleep(LABELER_PAUSE)


def clients(http_port: int, grpc_port: int, task_id: str, workers: list[str]) -> dict[str, Any]:
    path = f"/v2/users/owner/apps/main/tasks/{task_id}"
    unloaded: list[float] = []
    errors: list[str] = []
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    for _ in range(UNLOADED_REQUESTS):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": "Key owner-pat"})
        connection.getresponse().read()
        unloaded.append(time.perf_counter() - started)
        time.sleep(0.01)
    connection.close()

    until = time.monotonic() + DURATION
    loaded: list[float] = []
    labeled: list[int] = []
    threads = [
        threading.Thread(target=well_behaved, args=(http_port, path, until, loaded, errors)) for _ in range(KEEP_ALIVE)
    ]
    threads += [threading.Thread(target=slow, args=(http_port, until)) for _ in range(SLOW)]
    threads += [threading.Thread(target=labeler, args=(grpc_port, w, task_id, until, labeled)) for w in workers]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 30)
    return {  # small: the parent reads it once this process has ended
        "unloaded_p99": p99(unloaded),
        "loaded_p99": p99(loaded),
        "loaded": len(loaded),
        "errors": sorted(set(errors)),
        "error_count": len(errors),
        "labeled": sum(labeled),
    }


# -- the server (this process) ------------------------------------------------------------------------
def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--clients":
        http_port, grpc_port, task_id = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        print(json.dumps(clients(http_port, grpc_port, task_id, [f"worker-{n}" for n in range(LABELERS)])))
        return
    with FakeClarifai(gateway_limits=LIMITS) as fake:
        ids = owner_app(fake)
        add_inputs(fake, ids, INPUTS)
        workers = add_workers(fake, LABELERS, ids)
        task = labeling_task(workers, resources_pb2.TaskWorker.DYNAMIC)
        task_id = call_ok(fake, "PostTasks", service_pb2.PostTasksRequest(user_app_id=ids, tasks=[task]), "owner-pat")
        task_id = task_id.tasks[0].id
        http_port = int(fake.start_http().rsplit(":", 1)[1])
        fake.journal.clear()
        peak_threads = threading.active_count()
        child = subprocess.Popen(
            [sys.executable, __file__, "--clients", str(http_port), str(fake.port), task_id],
            stdout=subprocess.PIPE,
            text=True,
        )
        while child.poll() is None:
            peak_threads = max(peak_threads, threading.active_count())
            time.sleep(0.2)
        result = json.loads(child.stdout.read())
        served = len(fake.journal) + fake.journal.dropped
        peak_rss = rss_mb()
    unloaded, loaded = result["unloaded_p99"], result["loaded_p99"]
    thread_limit = LIMITS.max_connections + 64
    checks = [
        ratio_check(
            f"{result['loaded']} well-behaved requests (of {served} calls served, {result['labeled']} inputs "
            f"labeled over gRPC): p99 {loaded * 1000:.1f} ms loaded vs {unloaded * 1000:.1f} ms unloaded",
            loaded / unloaded,
            at_most=P99_TARGET,
        ),
        Check(
            f"well-behaved requests not answered 200: {result['error_count']} {' '.join(result['errors'])}",
            not result["error_count"],
        ),
        Check(
            f"peak threads {peak_threads} (target <= {thread_limit}); peak RSS {peak_rss:.0f} MB",
            peak_threads <= thread_limit,
        ),
    ]
    finish("soak", checks)


if __name__ == "__main__":
    main()
