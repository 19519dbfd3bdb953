"""The Node.js gRPC client (npm `clarifai-nodejs-grpc`) against a TLS fake, unmodified: `ClarifaiStub.grpc()`
with the environment `tls_env()` gives (CLARIFAI_GRPC_BASE, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH).

`.ci/run` installs the client into `.ci-node/` (gitignored); elsewhere point FAKE_CLARIFAI_NODE_MODULES at a
`node_modules` folder holding it. Skipped, saying why, without node or the client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "node" / "weighted_task.js"
NODE_MODULES = Path(os.environ.get("FAKE_CLARIFAI_NODE_MODULES", ROOT / ".ci-node" / "node_modules"))


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the Node.js client test needs node >= 18")
    if not (NODE_MODULES / "clarifai-nodejs-grpc").is_dir():
        pytest.skip(f"clarifai-nodejs-grpc is not installed in {NODE_MODULES}: run .ci/run, or npm install it there")
    return found


def test_a_weighted_partitioned_task_is_drained_from_node(node, clarifai_tls_fake):
    env = {**os.environ, **clarifai_tls_fake.tls_env(), "NODE_PATH": str(NODE_MODULES)}
    run = subprocess.run([node, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    # weights 2:1 over six inputs, one worker per input: 4 and 2 (largest remainder), all submitted
    assert {w: len(ids) for w, ids in result["labeled"].items()} == {"labeler-1": 4, "labeler-2": 2}
    counts = clarifai_tls_fake.task_assignments("owner", "main", result["task_id"])
    assert {w: {state for _, state in work} for w, work in counts.items()} == {
        "labeler-1": {"TASK_ASSIGNMENT_SUCCESS"},
        "labeler-2": {"TASK_ASSIGNMENT_SUCCESS"},
    }


def test_the_readme_node_example_runs(node, clarifai_tls_fake):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```js\n(.*?)```", readme, flags=re.S)
    env = {**os.environ, **clarifai_tls_fake.tls_env(), "NODE_PATH": str(NODE_MODULES), "CLARIFAI_PAT": "owner-pat"}
    run = subprocess.run([node, "-e", example], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "main"
