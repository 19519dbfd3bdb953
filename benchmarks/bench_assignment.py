"""The assignment engine at scale (BEHAVIOUR.md §5): PARTITIONED dealing time and DYNAMIC `take` latency.

- assign_partitioned, 50 workers, WEIGHTED (seeded random integer weights), 3 workers per input, at 10k and
  100k inputs. Targets: 100k in <= 0.5 s; 100k/10k time <= 12x (linear: no sort per input).
- DynamicPool.take (batches of 10, 3 workers per input) on pools of 1k and 100k inputs of which 90% have
  already been handed out to 3 workers each (by veterans taking batches in turn). Each round clones the
  prepared pool (untimed) and times one take by each of 5 veterans and 5 newcomers (whose cursors start
  at the pool's head, behind the 90%). Target: latency at 100k / at 1k <= 1.3x (the cost depends neither
  on the pool's size nor on how much of it is closed).

The two sizes of each measurement alternate round by round, so machine load hits them alike; each number
is the best round (timeit's convention: the least disturbed run), and the CPU caches are evicted before
every timed run, so that neither size runs from a warmer cache than the other (a 1k pool fits in L2, a
100k pool does not: with warm caches the 100k/1k take ratio is about 1.6x, all of it memory latency).
Run: python benchmarks/bench_assignment.py
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from harness import Check, finish, ratio_check, seconds

from fake_clarifai.domain.assignment import DynamicPool, assign_partitioned, validate_partitioned

WORKERS = [f"worker-{n}" for n in range(50)]
WORKERS_PER_INPUT = 3
PARTITIONED_TARGET_SECONDS = 0.5
PARTITIONED_TARGET_RATIO = 12.0
TAKE_TARGET_RATIO = 1.3
VETERANS = [f"veteran-{n}" for n in range(6)]
TAKERS = [*VETERANS[:5], *(f"newcomer-{n}" for n in range(5))]
CACHE_LINE = 64
_SCRATCH = bytearray(64 * 2**20)
_ZEROS = bytes(len(_SCRATCH) // CACHE_LINE)


def input_ids(count: int) -> list[str]:
    return [f"in-{i}" for i in range(count)]


def evict_caches() -> None:
    """Write one byte per cache line across more memory than the CPU caches hold."""
    _SCRATCH[::CACHE_LINE] = _ZEROS


def interleaved_best(make_runs: Mapping[int, Callable[[], Callable[[], Any]]], rounds: int) -> dict[int, float]:
    """Best time of each size's run over `rounds`: `make_runs[size]()` prepares one run (untimed) and returns it;
    the caches are evicted before each timed run."""
    samples: dict[int, list[float]] = {size: [] for size in make_runs}
    for round_ in range(rounds):
        for size in list(make_runs)[:: 1 if round_ % 2 else -1]:
            run = make_runs[size]()
            evict_caches()
            samples[size].append(seconds(run))
    return {size: min(times) for size, times in samples.items()}


def partitioned_seconds(weights: dict[str, float]) -> dict[int, float]:
    inputs = {count: input_ids(count) for count in (10_000, 100_000)}

    def run(count: int) -> Callable[[], Any]:
        return lambda: assign_partitioned(inputs[count], WORKERS, WORKERS_PER_INPUT, weights)

    return interleaved_best({count: lambda count=count: run(count) for count in inputs}, rounds=9)


def mostly_handed_out_pool(count: int) -> DynamicPool:
    """A pool whose first 90% of inputs have each been handed to WORKERS_PER_INPUT veterans."""
    inputs = input_ids(count)
    pool = DynamicPool(WORKERS_PER_INPUT, inputs)
    last_closed = inputs[count * 9 // 10 - 1]
    while pool.handed(last_closed) < WORKERS_PER_INPUT:
        for veteran in VETERANS:
            pool.take(veteran)
    return pool


def take_seconds() -> dict[int, float]:
    """Best seconds per take call, per pool size."""
    prepared = {count: mostly_handed_out_pool(count) for count in (1_000, 100_000)}

    def run(count: int) -> Callable[[], Any]:
        pool = prepared[count].clone()
        return lambda: [pool.take(worker) for worker in TAKERS]

    best = interleaved_best({count: lambda count=count: run(count) for count in prepared}, rounds=301)
    return {count: seconds / len(TAKERS) for count, seconds in best.items()}


def main() -> None:
    rng = random.Random(20240601)
    weights = validate_partitioned(WORKERS, WORKERS_PER_INPUT, {w: float(rng.randint(1, 10)) for w in WORKERS})
    assert weights is not None
    small, large = partitioned_seconds(weights).values()
    take_small, take_large = take_seconds().values()
    finish(
        "bench_assignment",
        [
            Check(
                f"assign_partitioned 100k/50 workers/wpi 3 {large:.3f}s (target <= {PARTITIONED_TARGET_SECONDS}s)",
                large <= PARTITIONED_TARGET_SECONDS,
            ),
            ratio_check(f"100k/10k ({small * 1000:.1f} ms at 10k)", large / small, at_most=PARTITIONED_TARGET_RATIO),
            ratio_check(
                f"DynamicPool.take 100k/1k at 90% handed out ({take_small * 1e6:.1f} vs {take_large * 1e6:.1f} us)",
                take_large / take_small,
                at_most=TAKE_TARGET_RATIO,
            ),
        ],
    )


if __name__ == "__main__":
    main()
