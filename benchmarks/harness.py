"""What every benchmark script shares: the floor to compare against, timing, and the one summary line.

Each script measures ratios within one run (the fake against a bare servicer, or a big size against a
small one), so the numbers hold on any machine; `finish()` prints `<bench>: <check> [ok|MISSED]; ...`
and exits 1 when a target is missed, 2 when a check could not be measured (an RPC not emulated yet).

Scripts reach the fake only through its public API (`FakeClarifai`'s seeding helpers, `snapshot()`/`restore()`/
`reset()`, and RPCs over `fake.stub()` or `fake.inprocess_stub()`), never its store, so they keep measuring
the same thing while the store and the call path are rewritten.
"""

from __future__ import annotations

import gc
import math
import resource
import statistics
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from google.protobuf import message_factory
from google.protobuf.message import Message

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code

MISSED, UNMEASURED = 1, 2
T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One measured number against its target; `ok` None means it could not be measured."""

    text: str
    ok: bool | None


def finish(bench: str, checks: list[Check]) -> None:
    """Print the summary line and exit: 0 all met, 1 a target missed, 2 something not measurable."""
    marks = {True: "ok", False: "MISSED", None: "NOT MEASURED"}
    print(f"{bench}: " + "; ".join(f"{c.text} [{marks[c.ok]}]" for c in checks), flush=True)
    if any(c.ok is False for c in checks):
        sys.exit(MISSED)
    if any(c.ok is None for c in checks):
        sys.exit(UNMEASURED)
    sys.exit(0)


def missing_rpcs(*methods: str) -> list[str]:
    """The methods among `methods` that the fake does not emulate yet: each is called once, with an empty
    request, on a throwaway fake over the in-process channel, and one not emulated answers UNIMPLEMENTED."""
    stub, service = FakeClarifai().inprocess_stub(), service_pb2.DESCRIPTOR.services_by_name["V2"]
    missing = []
    for method in methods:
        request = message_factory.GetMessageClass(service.methods_by_name[method].input_type)()
        try:
            getattr(stub, method)(request)
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.UNIMPLEMENTED:
                missing.append(method)
    return missing


def unmeasured(what: str, missing: list[str]) -> Check:
    return Check(f"{what}: needs {', '.join(missing)}, not emulated yet", None)


def ratio_check(what: str, value: float, *, at_least: float | None = None, at_most: float | None = None) -> Check:
    if at_least is not None:
        return Check(f"{what} {value:.2f}x (target >= {at_least}x)", value >= at_least)
    assert at_most is not None
    return Check(f"{what} {value:.2f}x (target <= {at_most}x)", value <= at_most)


# -- servers --------------------------------------------------------------------------------------


def grpc_server(servicer: service_pb2_grpc.V2Servicer, max_workers: int = 16) -> tuple[grpc.Server, int]:
    """A started server for `servicer`, configured as `FakeClarifai.start` configures its own."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=[("grpc.so_reuseport", 0)])
    service_pb2_grpc.add_V2Servicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


class CannedServicer(service_pb2_grpc.V2Servicer):
    """The floor: a bare servicer answering each given method with a prebuilt response."""

    def __init__(self, responses: Mapping[str, Message]) -> None:
        for method, response in responses.items():
            setattr(self, method, lambda request, context, response=response: response)


@contextmanager
def canned_stub(responses: Mapping[str, Message]) -> Iterator[service_pb2_grpc.V2Stub]:
    """A stub on a bare servicer that answers `responses`, over a channel made as the fake's is."""
    server, port = grpc_server(CannedServicer(responses))
    channel = ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=port)
    try:
        yield service_pb2_grpc.V2Stub(channel)
    finally:
        channel.close()
        server.stop(None).wait()


# -- timing ---------------------------------------------------------------------------------------


def seconds(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def samples(
    measure: Callable[[], T],
    before: Callable[[], Any] | None = None,
    *,
    repeats: int,
    budget_seconds: float,
    least: int = 3,
) -> list[T]:
    """What `measure` returns, over `repeats` runs or as many as fit in `budget_seconds` (what `before`,
    run untimed ahead of each, costs counts too), and at least `least` of them as long as they fit in `least`
    budgets (always one): a fast action gets many samples, and one that takes seconds on a big baseline,
    where a single sample says enough, ends after one or two."""
    taken: list[T] = []
    started = time.perf_counter()

    def more() -> bool:
        elapsed = time.perf_counter() - started
        return not taken or elapsed < budget_seconds or (len(taken) < least and elapsed < least * budget_seconds)

    while len(taken) < repeats and more():
        if before is not None:
            before()
        taken.append(measure())
    return taken


def sampled_ms(action: Callable[[], Any], before: Callable[[], Any] | None = None, **budget: Any) -> float:
    """Median wall time of `action` in ms, sampled as `samples` does (`repeats`, `budget_seconds`, `least`)."""
    return statistics.median(samples(lambda: seconds(action), before, **budget)) * 1e3


def median_seconds(action: Callable[[], Any], repeats: int, before: Callable[[], Any] | None = None) -> float:
    """Median wall time of `action` over `repeats` runs; `before` runs untimed ahead of each."""
    return statistics.median(samples(lambda: seconds(action), before, repeats=repeats, budget_seconds=math.inf))


def rss_mb() -> float:
    """This process's resident set size now, after a full garbage collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """The most this process has held resident so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class RateComparison:
    rate: float  # calls/s of the subject
    floor_rate: float  # calls/s of the floor
    ratio: float  # median over rounds of subject/floor


def compare_rates(
    subject: Callable[[], Any], floor: Callable[[], Any], *, rounds: int = 20, calls: int = 60
) -> RateComparison:
    """Sequential calls/s of `subject` and `floor`, interleaved in rounds (alternating which goes first)."""
    for _ in range(calls):
        subject()
        floor()
    ratios, spent, floor_spent = [], 0.0, 0.0

    def run(action: Callable[[], Any]) -> float:
        return seconds(lambda: [action() for _ in range(calls)])

    for round_ in range(rounds):
        if round_ % 2:
            floor_time, subject_time = run(floor), run(subject)
        else:
            subject_time, floor_time = run(subject), run(floor)
        ratios.append(floor_time / subject_time)
        spent += subject_time
        floor_spent += floor_time
    total = rounds * calls
    return RateComparison(total / spent, total / floor_spent, statistics.median(ratios))


# -- seeding --------------------------------------------------------------------------------------


def owner_app(fake: FakeClarifai, user_id: str = "owner", app_id: str = "main") -> resources_pb2.UserAppIDSet:
    """Make `user_id` (PAT `<user_id>-pat`) with app `app_id` and concept `water`; returns its UserAppIDSet."""
    fake.add_user(user_id, f"{user_id}-pat")
    fake.add_app(user_id, app_id)
    fake.add_concept(user_id, app_id, "water")
    return resources_pb2.UserAppIDSet(user_id=user_id, app_id=app_id)


def add_inputs(fake: FakeClarifai, ids: resources_pb2.UserAppIDSet, count: int, prefix: str = "in") -> list[str]:
    """`count` image inputs `<prefix>-<n>`, through `fake.add_input`: the quickest public way to seed many
    (~22 us an input; a PostInputs of 10k in-process costs ~50 us an input, in request checks, per-input
    annotations and the response)."""
    input_ids = [f"{prefix}-{i}" for i in range(count)]
    for input_id in input_ids:
        fake.add_input(ids.user_id, ids.app_id, input_id, url=f"https://example.com/{input_id}.jpg")
    return input_ids


def add_workers(fake: FakeClarifai, count: int, *apps: resources_pb2.UserAppIDSet) -> list[str]:
    """`count` users `worker-<n>` (PAT `worker-<n>-pat`), collaborators of each of `apps`."""
    workers = [f"worker-{n}" for n in range(count)]
    for worker in workers:
        fake.add_user(worker, f"{worker}-pat")
        for ids in apps:
            fake.add_collaborator(ids.user_id, ids.app_id, worker)
    return workers


_INPROCESS_STUBS: weakref.WeakKeyDictionary[FakeClarifai, service_pb2_grpc.V2Stub] = weakref.WeakKeyDictionary()


def inprocess(fake: FakeClarifai) -> service_pb2_grpc.V2Stub:
    """One `fake.inprocess_stub()` per fake, made on first use."""
    stub = _INPROCESS_STUBS.get(fake)
    if stub is None:
        stub = _INPROCESS_STUBS[fake] = fake.inprocess_stub()
    return stub


def call_ok(fake: FakeClarifai, method: str, request: Message, token: str) -> Any:
    """Run `method` over the in-process channel (the same wire, without the network); fail loudly unless
    SUCCESS."""
    response = getattr(inprocess(fake), method)(request, metadata=FakeClarifai.metadata(token))
    if response.status.code != Code.SUCCESS:
        raise RuntimeError(f"{method} answered {Code.Name(response.status.code)}: {response.status.details}")
    return response


def labeling_task(
    workers: list[str],
    strategy: int = resources_pb2.TaskWorker.PARTITIONED,
    *,
    workers_per_input: int = 0,
    weights: Mapping[str, float] | None = None,
    concept_ids: tuple[str, ...] = ("water",),
    name: str = "",
) -> resources_pb2.Task:
    """A concepts-classification task over all the app's inputs, no review; WEIGHTED when `weights`."""
    task = resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name=name,
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=c)) for c in concept_ids],
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )
    task.worker.strategy = strategy
    task.worker.workers.extend(resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in workers)
    info = task.worker.partitioned_strategy_info
    info.workers_per_input = workers_per_input
    info.type = info.WEIGHTED if weights else info.EVENLY
    if weights:
        info.weights.update(dict(weights))
    return task
