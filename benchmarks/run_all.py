"""Every benchmark (each `bench_*.py` here), one fresh process each, in turn; their summary lines, then one
line of totals; each line ends with the seconds it took. Exits non-zero when any benchmark missed a target or
could not measure one.

Run: python benchmarks/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGUMENTS = {"bench_rpc_overhead": ["--runs", "5"]}  # every one of 5 consecutive runs must meet its targets


def main() -> None:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    started = time.perf_counter()
    for script in scripts:
        began = time.perf_counter()
        command = [sys.executable, str(script), *ARGUMENTS.get(script.stem, [])]
        result = subprocess.run(command, capture_output=True, text=True)
        line = result.stdout.strip() or f"{script.stem}: no summary line"
        print(f"{line} ({time.perf_counter() - began:.0f} s)", flush=True)
        if result.returncode:
            failed.append(script.stem)
            if result.stderr.strip():
                print(f"  {script.stem} exited {result.returncode}: {result.stderr.strip().splitlines()[-1]}")
    met = len(scripts) - len(failed)
    not_met = f"; not: {', '.join(failed)}" if failed else ""
    elapsed = time.perf_counter() - started
    print(f"run_all: {met}/{len(scripts)} benchmarks met every target{not_met} ({elapsed:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
