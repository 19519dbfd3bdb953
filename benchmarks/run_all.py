"""Every benchmark (each `bench_*.py` here), one fresh process each, in turn; their summary lines, then one
line of totals. Exits non-zero when any benchmark missed a target or could not measure one.

Run: python benchmarks/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    for script in scripts:
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        print(result.stdout.strip() or f"{script.stem}: no summary line", flush=True)
        if result.returncode:
            failed.append(script.stem)
            if result.stderr.strip():
                print(f"  {script.stem} exited {result.returncode}: {result.stderr.strip().splitlines()[-1]}")
    met = len(scripts) - len(failed)
    print(
        f"run_all: {met}/{len(scripts)} benchmarks met every target" + (f"; not: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
