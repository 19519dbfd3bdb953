"""Fixture overhead per test: 200 empty tests that take `clarifai_stub`, `clarifai_metadata` and
`clarifai_app` (so a session server, seeded once, and a reset per test) against 200 empty tests that take
nothing, each run by pytest in a fresh process. The time is pytest's test loop (setup, calls, teardown,
session fixtures included), medians of alternating runs. Target: (with - without) / 200 <= 2 ms.

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

TESTS, RUNS = 200, 5
TARGET_MS = 2.0

TIMING_CONFTEST = """
import os
import time

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    started = time.perf_counter()
    yield
    with open(os.environ["FIXTURE_BENCH_TIMING"], "w") as out:
        out.write(repr(time.perf_counter() - started))
"""

BODIES = {
    "with": "def test_{n}(clarifai_stub, clarifai_metadata, clarifai_app):\n    pass\n",
    "without": "def test_{n}():\n    pass\n",
}


def loop_seconds(directory: Path, kind: str) -> float:
    """pytest's test loop time for the `kind` file, in a fresh interpreter."""
    timing = directory / f"{kind}.timing"
    env = {**os.environ, "FIXTURE_BENCH_TIMING": str(timing)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"test_{kind}.py"]
    subprocess.run(command, cwd=directory, env=env, check=True, capture_output=True)
    return float(timing.read_text())


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        (directory / "conftest.py").write_text(TIMING_CONFTEST)
        for kind, body in BODIES.items():
            (directory / f"test_{kind}.py").write_text("\n\n".join(body.format(n=n) for n in range(TESTS)))
        samples: dict[str, list[float]] = {kind: [] for kind in BODIES}
        for run in range(RUNS):
            for kind in sorted(BODIES, reverse=bool(run % 2)):
                samples[kind].append(loop_seconds(directory, kind))
    with_fixtures, without = (statistics.median(samples[kind]) for kind in BODIES)
    per_test = (with_fixtures - without) / TESTS * 1e3
    text = (
        f"{TESTS} empty tests {with_fixtures * 1e3:.0f} ms with the fixtures, {without * 1e3:.0f} ms without: "
        f"{per_test:.2f} ms per test (target <= {TARGET_MS} ms)"
    )
    finish("fixtures", [Check(text, per_test <= TARGET_MS)])


if __name__ == "__main__":
    main()
