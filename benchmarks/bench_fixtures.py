"""Fixture overhead per test: empty tests that take `clarifai_stub`, `clarifai_metadata` and `clarifai_app`
(a session server seeded once, and a reset per test) against empty tests that take nothing, each file run by
pytest in a fresh process, with two baselines:

- the default seed (`DEFAULT_SEED`);
- a user's big one: the default seed plus 1,000 inputs in `owner/main` (`clarifai_seed` overridden with a
  dict), and 128 DYNAMIC tasks over them (3 labelers each) posted once per session. The plugin seeds no
  tasks, so the conftest overrides `clarifai_server` as a user would: start, `load_seed`, one PostTasks,
  `save_baseline()`.

The time is the sum of pytest's per-test protocol (setup, call, teardown, reporting) over all tests but the
first and the last, which set up and tear down the session fixtures (server, seeding, tasks); medians of
alternating runs. Targets: (with - without) / tests <= 2 ms with the default seed, <= 0.5 ms with the big one.

Run: python benchmarks/bench_fixtures.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Check, finish

TESTS, RUNS = 200, 3
TARGETS_MS = {"default": 2.0, "big": 0.5}

TIMING_CONFTEST = """
import os
import time

import pytest

DURATIONS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    DURATIONS.append(time.perf_counter() - started)


def pytest_sessionfinish(session):
    with open(os.environ["FIXTURE_BENCH_TIMING"], "w") as out:
        out.write(repr(sum(DURATIONS[1:-1])))
"""

BIG_CONFTEST = """
import copy

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from fake_clarifai import DEFAULT_SEED, FakeClarifai

INPUTS, DYNAMIC_TASKS = 1_000, 128
LABELERS = ("labeler-1", "labeler-2", "labeler-3")


@pytest.fixture(scope="session")
def clarifai_seed():
    seed = copy.deepcopy(DEFAULT_SEED)
    inputs = [{"id": f"in-{n}", "url": f"https://example.com/in-{n}.jpg"} for n in range(INPUTS)]
    seed["apps"][0]["inputs"] = inputs
    return seed


def dynamic_task(n):
    return resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name=f"dynamic {n}",
        worker=resources_pb2.TaskWorker(
            strategy=resources_pb2.TaskWorker.DYNAMIC,
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=user)) for user in LABELERS],
        ),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )


@pytest.fixture(scope="session")
def clarifai_server(clarifai_seed):
    with FakeClarifai() as fake:
        fake.load_seed(clarifai_seed)
        request = service_pb2.PostTasksRequest(
            user_app_id=resources_pb2.UserAppIDSet(user_id="owner", app_id="main"),
            tasks=[dynamic_task(n) for n in range(DYNAMIC_TASKS)],
        )
        response = fake.stub().PostTasks(request, metadata=fake.metadata("owner-pat"))
        assert response.status.code == 10000, response.status
        fake.save_baseline()
        yield fake
"""

WITH = "def test_{n}(clarifai_stub, clarifai_metadata, clarifai_app):\n    pass\n"
WITHOUT = "def test_{n}():\n    pass\n"
KINDS = {"default": ("default", WITH), "big": ("big", WITH), "without": ("default", WITHOUT)}  # directory, body


def loop_seconds(root: Path, kind: str) -> float:
    """The summed per-test time of the `kind` file (all but its first and last test), in a fresh interpreter."""
    timing = root / f"{kind}.timing"
    env = {**os.environ, "FIXTURE_BENCH_TIMING": str(timing)}
    directory, _ = KINDS[kind]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    subprocess.run([*command, f"{directory}/test_{kind}.py"], cwd=root, env=env, check=True, capture_output=True)
    return float(timing.read_text())


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        (root / "conftest.py").write_text(TIMING_CONFTEST)
        for directory in ("default", "big"):
            (root / directory).mkdir()
        (root / "big" / "conftest.py").write_text(BIG_CONFTEST)
        for kind, (directory, body) in KINDS.items():
            tests = "\n\n".join(body.format(n=n) for n in range(TESTS + 2))
            (root / directory / f"test_{kind}.py").write_text(tests)
        timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for run in range(RUNS):
            for kind in sorted(KINDS, reverse=bool(run % 2)):
                timings[kind].append(loop_seconds(root, kind))
    median = {kind: statistics.median(values) for kind, values in timings.items()}
    checks = []
    for kind, baseline in (("default", "the default seed"), ("big", "1k inputs + 128 DYNAMIC tasks")):
        per_test = (median[kind] - median["without"]) / TESTS * 1e3
        text = (
            f"{baseline}: {TESTS} empty tests {median[kind] * 1e3:.0f} ms with the fixtures, "
            f"{median['without'] * 1e3:.0f} ms without: {per_test:.2f} ms per test (target <= {TARGETS_MS[kind]} ms)"
        )
        checks.append(Check(text, per_test <= TARGETS_MS[kind]))
    finish("fixtures", checks)


if __name__ == "__main__":
    main()
