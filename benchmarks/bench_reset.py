"""Per-test isolation at users' baselines: `fake.restore(snapshot)` and `fake.reset()` (what the plugin's
`clarifai_fake` fixture calls before every test) at 1k / 10k / 100k inputs with 0 / 10 / 128 DYNAMIC tasks,
and at 100k inputs with one FULL task of 300k assignments, all made (`baselines.py` says how they are built).

Per baseline, four medians: restore idle (nothing changed since the last one), restore after a small test
(`baselines.small_test`: PostConcepts, LABEL_START on a DYNAMIC task, the two LABEL_SUBMITs on the FULL one),
and the same two for reset(). Each is sampled up to 300 times or for about a second (at least 3 times when
that fits in 3 s: a restore that takes seconds is sampled once or twice).
Targets: every median <= 1 ms; restore idle at 100k/128 DYNAMIC over restore idle at 1k/0 tasks <= 3.

Run: python benchmarks/bench_reset.py [--quick]   (--quick leaves out 100k/128 DYNAMIC, the slowest to build)
"""

from __future__ import annotations

import argparse

from baselines import LARGEST, Baseline, baselines, small_test
from harness import Check, finish, missing_rpcs, peak_rss_mb, ratio_check, sampled_ms, unmeasured

TARGET_MS, TARGET_RATIO = 1.0, 3.0
BUDGET = {"repeats": 300, "budget_seconds": 1.0}


def measure(baseline: Baseline) -> dict[str, float]:
    """The four medians (ms) at `baseline`; leaves the fake at it."""
    fake, body = baseline.fake, small_test(baseline)
    medians = {
        "reset": sampled_ms(fake.reset, **BUDGET),
        "reset after a test": sampled_ms(fake.reset, before=body, **BUDGET),
    }
    snapshot = fake.snapshot()
    medians["restore"] = sampled_ms(lambda: fake.restore(snapshot), **BUDGET)
    medians["restore after a test"] = sampled_ms(lambda: fake.restore(snapshot), before=body, **BUDGET)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="leave out 100k inputs x 128 DYNAMIC tasks")
    quick = parser.parse_args().quick
    missing = missing_rpcs("PostTasks", "PutTaskAssignments", "PostConcepts")
    if missing:
        finish("reset", [unmeasured("reset at users' baselines", missing)])
    checks: list[Check] = []
    restores: dict[str, float] = {}
    built: list[str] = []
    largest = ""
    for baseline in baselines(largest=not quick):
        medians = measure(baseline)
        restores[baseline.name] = medians["restore"]
        built.append(f"{baseline.name} {baseline.build_seconds:.1f} s")
        target = "" if checks else f"medians, target <= {TARGET_MS} ms each: "
        text = (
            f"{target}{baseline.name}: restore {medians['restore']:.3f} ms"
            f" (after a test {medians['restore after a test']:.3f}),"
            f" reset {medians['reset']:.3f} ({medians['reset after a test']:.3f})"
        )
        checks.append(Check(text, max(medians.values()) <= TARGET_MS))
        if (baseline.inputs, baseline.dynamic_tasks) == LARGEST:
            largest = (
                f"{baseline.name} took {baseline.build_seconds:.1f} s to build, RSS then {baseline.rss_mb:.0f} MB; "
            )
    small, large = "1k/0 DYNAMIC", f"{LARGEST[0] // 1000}k/{LARGEST[1]} DYNAMIC"
    if quick:
        checks.append(Check(f"restore {large} / {small}: {large} left out (--quick)", None))
    else:
        ratio = restores[large] / restores[small]
        checks.append(ratio_check(f"restore {large} / {small} =", ratio, at_most=TARGET_RATIO))
    built_text = ", ".join(built)
    checks.append(
        Check(f"{largest}build times (each on the one before): {built_text}; peak RSS {peak_rss_mb():.0f} MB", True)
    )
    finish("reset", checks)


if __name__ == "__main__":
    main()
