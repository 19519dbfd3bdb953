"""The README's test examples run, as written, in a downstream project with no conftest."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    passed = re.search(r"(\d+) passed", result.stdout)
    skipped = re.search(r"(\d+) skipped", result.stdout)  # the SDK example without the `sdk` extra
    assert passed is not None, result.stdout
    assert int(passed.group(1)) + int(skipped.group(1) if skipped else 0) == len(blocks), result.stdout


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_curl_examples_run_against_the_json_gateway(clarifai_fake) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    blocks = [block for block in readme_blocks("bash") if block.startswith("curl ")]
    assert blocks, "the README should show curl examples"
    env = {**os.environ, "CLARIFAI_HTTP": clarifai_fake.start_http()}
    output = b""
    for block in blocks:
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, capture_output=True, timeout=60)
        assert run.returncode == 0, run.stderr.decode()  # curl -f: an HTTP error fails the block
        output += run.stdout
    # what the examples did: the bytes kept and served back, the input answering a hosted URL (no base64
    # echoed), and clarifai/main's models listed with another user's PAT
    hosted = f"{env['CLARIFAI_HTTP']}/fake-clarifai/hosted/owner/main/img-1"
    assert clarifai_fake.store.app("owner", "main").inputs["img-1"].data.image.url == hosted
    assert hosted.encode() in output and b"aGVsbG8=" not in output
    assert b"}hello{" in output
    assert b'"id": "general-image-recognition"' in output
