"""The README's test examples run, as written, in a downstream project with no conftest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_test_blocks() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [block for block in blocks if "\ndef test_" in f"\n{block}"]


def test_the_readme_test_examples_pass(tmp_path: Path) -> None:
    blocks = readme_test_blocks()
    assert len(blocks) >= 2, "the README should show at least the quick start and the task example"
    for i, block in enumerate(blocks):
        (tmp_path / f"test_readme_{i}.py").write_text(block, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(blocks)} passed" in result.stdout
