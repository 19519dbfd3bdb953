"""TLS: unmodified `ClarifaiChannel.get_grpc_channel()` code, in its own process, reaches the fake through
`CLARIFAI_GRPC_BASE` and `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` only — including Clarifai's own docs examples."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from subprocess import PIPE

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

from fake_clarifai.errors import Code
from fake_clarifai.server import FakeClarifai

DOCS = Path(__file__).parents[2] / "shared/reference/clarifai-tasks-api-docs.txt"
APP = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
OWNER = FakeClarifai.metadata("owner-pat")

# Our own client, written the way Clarifai's examples are: the channel from the environment only.
GET_APP_CLIENT = """
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
import grpc

stub = service_pb2_grpc.V2Stub(ClarifaiChannel.get_grpc_channel())
try:
    response = stub.GetApp(
        service_pb2.GetAppRequest(user_app_id=resources_pb2.UserAppIDSet(user_id="owner", app_id="main")),
        metadata=(("authorization", "Key owner-pat"),),
    )
    print(response.status.code, response.app.id)
except grpc.RpcError as error:
    print(error.code().name)
"""


def client_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its CLARIFAI_* and GRPC_* variables, plus `extra`."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CLARIFAI_", "GRPC_"))} | dict(extra)


def run_client(code: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new Python process with `env` (see `client_environment`)."""
    script = cwd / "client.py"
    script.write_text(code)
    return subprocess.run(
        [sys.executable, str(script)], env=client_environment(env), cwd=cwd, capture_output=True, text=True, timeout=120
    )


# -- the harness ------------------------------------------------------------------------------------
def test_unmodified_get_grpc_channel_code_reaches_the_tls_fake_through_the_environment(
    clarifai_tls_fake: FakeClarifai, tmp_path: Path
) -> None:
    env = clarifai_tls_fake.tls_env()
    assert env == {
        "CLARIFAI_GRPC_BASE": f"localhost:{clarifai_tls_fake.port}",
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": clarifai_tls_fake.ca_file,
    }
    assert Path(clarifai_tls_fake.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")
    result = run_client(GET_APP_CLIENT, env, tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"{Code.SUCCESS} main"), result.stderr


def test_without_the_throwaway_ca_the_handshake_fails(clarifai_tls_fake: FakeClarifai, tmp_path: Path) -> None:
    env = {"CLARIFAI_GRPC_BASE": clarifai_tls_fake.tls_env()["CLARIFAI_GRPC_BASE"]}
    result = run_client(GET_APP_CLIENT, env, tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "UNAVAILABLE"), result.stderr


def test_in_process_the_tls_stub_passes_the_ca_explicitly(clarifai_tls_stub: service_pb2_grpc.V2Stub) -> None:
    response = clarifai_tls_stub.ListApps(service_pb2.ListAppsRequest(), metadata=OWNER)
    assert response.status.code == Code.SUCCESS
    assert [app.id for app in response.apps] == ["main"]


def test_the_tls_fake_has_its_own_state(
    clarifai_tls_fake: FakeClarifai, clarifai_fake: FakeClarifai, clarifai_tls_stub: service_pb2_grpc.V2Stub
) -> None:
    clarifai_tls_fake.add_app("owner", "tls-only")
    response = clarifai_tls_stub.GetApp(
        service_pb2.GetAppRequest(user_app_id=resources_pb2.UserAppIDSet(user_id="owner", app_id="tls-only")),
        metadata=OWNER,
    )
    assert response.status.code == Code.SUCCESS
    assert clarifai_fake.store.app("owner", "tls-only") is None


def test_serve_tls_prints_the_exact_environment_for_unmodified_clients(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_clarifai", "serve", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = re.fullmatch(
            r"fake-clarifai serving clarifai.api.V2 on 127\.0\.0\.1:(\d+) \(TLS\)\n", process.stdout.readline()
        )
        assert banner is not None
        env: dict[str, str] = {}
        while "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH" not in env and (line := process.stdout.readline()):
            if match := re.fullmatch(r"\s*export (\w+)=(\S+)\s*", line):
                env[match.group(1)] = match.group(2)
        assert env["CLARIFAI_GRPC_BASE"] == f"localhost:{banner.group(1)}"
        result = run_client(GET_APP_CLIENT, env, tmp_path)
        assert (result.returncode, result.stdout.strip()) == (0, f"{Code.SUCCESS} main"), result.stderr
        ca_file = Path(env["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not ca_file.exists()
    finally:
        process.kill()


# -- Clarifai's docs examples -----------------------------------------------------------------------
BANNER = re.compile(r"^#{20,}$")
CONSTANT = re.compile(r"^([A-Z][A-Z0-9_]*) = .*$")
HEADER_END = "# YOU DO NOT NEED TO CHANGE ANYTHING BELOW THIS LINE"


def docs_examples(text: str) -> list[str]:
    """The Python examples of the docs page, as printed there (each starts with a banner of '#')."""
    lines = text.splitlines()
    starts = [
        i for i, line in enumerate(lines[:-1]) if BANNER.match(line) and lines[i + 1].startswith("# In this section")
    ]
    return [code_prefix(lines[start:end]) for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)]


def code_prefix(lines: list[str]) -> str:
    """The longest run of whole paragraphs that is Python once its `if` blocks are re-indented and does not
    end in a bare name (the next section's heading, such as "Update", parses as one)."""
    ends = [i for i, line in enumerate(lines) if not line.strip()] + [len(lines)]
    for end in reversed(ends):
        source = reindent_if_blocks("\n".join(lines[:end])) + "\n"
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        last = tree.body[-1] if tree.body else None
        if last is not None and not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Name)):
            return source
    raise AssertionError(f"no Python found in the example starting {lines[:3]}")


def reindent_if_blocks(source: str) -> str:
    """The one mechanical repair: the text dump lost the indentation of the `if ...:` blocks at the end of
    each example, so the lines after a top-level `if ...:` up to the next blank line get 4 spaces back."""
    repaired, in_block = [], False
    for line in source.splitlines():
        if not line.strip():
            in_block = False
        elif in_block:
            line = "    " + line
        elif line.startswith("if ") and line.rstrip().endswith(":"):
            in_block = True
        repaired.append(line)
    return "\n".join(repaired)


def with_constants(example: str, values: Mapping[str, str]) -> str:
    """`example` with every constant of its header (above "YOU DO NOT NEED TO CHANGE...") set from `values`;
    everything else byte for byte as extracted."""
    lines = example.splitlines(keepends=True)
    header_end = next(i for i, line in enumerate(lines) if line.startswith(HEADER_END))
    for i in range(header_end):
        if match := CONSTANT.match(lines[i].rstrip("\n")):
            name = match.group(1)
            if name not in values:
                raise KeyError(f"the docs example sets {name}, which this test gives no value: {lines[i]!r}")
            lines[i] = f"{name} = {values[name]!r}\n"
    return "".join(lines)


def post_task(stub: service_pb2_grpc.V2Stub, task_id: str, worker: str, reviewer: str | None = None) -> None:
    task = resources_pb2.Task(
        id=task_id,
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name=task_id,
        worker=resources_pb2.TaskWorker(
            strategy=resources_pb2.TaskWorker.DYNAMIC,
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=worker))],
        ),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )
    if reviewer is not None:
        task.review.CopyFrom(
            resources_pb2.TaskReview(
                strategy=resources_pb2.TaskReview.MANUAL,
                manual_strategy_info=resources_pb2.TaskReviewManualStrategyInfo(sample_percentage=1),
                users=[resources_pb2.User(id=reviewer)],
            )
        )
    response = stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=APP, tasks=[task]), metadata=OWNER)
    assert response.status.code == Code.SUCCESS, response.status


def seed_for_the_docs(fake: FakeClarifai, stub: service_pb2_grpc.V2Stub) -> dict[str, str]:
    """Inputs, a dataset, a model and tasks for the examples; returns the examples' constants."""
    for i in range(4):
        fake.add_input("owner", "main", f"docs-in-{i}", url=f"https://example.com/docs-{i}.jpg")
    fake.add_dataset("owner", "main", "docs-dataset", input_ids=["docs-in-0", "docs-in-1"])
    fake.add_model("owner", "main", "docs-model", version_id="docs-model-v1", predictions={"docs-in-0": {"water": 0.9}})
    post_task(stub, "docs-get-and-patch", worker="labeler-2")
    post_task(stub, "docs-listed", worker="labeler-1", reviewer="reviewer")
    post_task(stub, "docs-unlisted", worker="labeler-2")
    post_task(stub, "docs-delete-1", worker="labeler-3")
    post_task(stub, "docs-delete-2", worker="labeler-3")
    return {
        "USER_ID": "owner",
        "PAT": "owner-pat",
        "APP_ID": "main",
        "CONCEPT_ID": "water",
        "WORKER_USER_ID": "labeler-1",
        "REVIEWER_USER_ID": "reviewer",
        "REVIEW_USER_ID": "reviewer",
        "DATASET_ID": "docs-dataset",
        "USER_ID_1": "labeler-1",
        "USER_ID_2": "labeler-2",
        "USER_ID_3": "labeler-3",
        "USER_ID_4": "reviewer",
        "MODEL_ID": "docs-model",
        "MODEL_VERSION_ID": "docs-model-v1",
        "TASK_ID": "docs-get-and-patch",
        "TASK_ID_1": "docs-delete-1",
        "TASK_ID_2": "docs-delete-2",
    }


def test_the_docs_examples_run_unmodified_against_the_tls_fake(
    clarifai_tls_fake: FakeClarifai, clarifai_tls_stub: service_pb2_grpc.V2Stub, tmp_path: Path
) -> None:
    if not DOCS.exists():
        pytest.skip(f"{DOCS} is absent (CI clones shared/ beside the repo)")
    examples = docs_examples(DOCS.read_text(encoding="utf-8"))
    assert all("channel = ClarifaiChannel.get_grpc_channel()" in example for example in examples)
    calls = [re.findall(r"stub\.(\w+)\(", example) for example in examples]
    assert calls == [["PostTasks"]] * 3 + [["GetTask"]] + [["ListTasks"]] * 3 + [["PatchTasks"], ["DeleteTasks"]]
    constants = seed_for_the_docs(clarifai_tls_fake, clarifai_tls_stub)
    scripts = []
    for i, example in enumerate(examples):
        scripts.append(tmp_path / f"docs_example_{i}.py")
        scripts[-1].write_text(with_constants(example, constants))
    env = client_environment(clarifai_tls_fake.tls_env())
    # The examples touch disjoint tasks, so they run side by side; each is checked on its own below.
    processes = [
        subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path, stdout=PIPE, stderr=PIPE)
        for script in scripts
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for script, process, (_, err) in zip(scripts, processes, outputs, strict=True):
        assert process.returncode == 0, f"{script.name}:\n{err.decode()}"
    printed = [out.decode() for out, _ in outputs]

    tasks = {t.id: t for t in list_tasks(clarifai_tls_stub)}
    created = [t for t in tasks.values() if not t.id.startswith("docs-")]
    summaries = sorted(
        (
            t.name,
            resources_pb2.TaskWorker.TaskWorkerStrategy.Name(t.worker.strategy),
            t.input_source.id,
            resources_pb2.TaskReview.TaskReviewStrategy.Name(t.review.strategy),
        )
        for t in created
    )
    assert summaries == [
        ("Annotate water", "DYNAMIC", "docs-dataset", "MANUAL"),
        ("Annotate water", "PARTITIONED", "", "CONSENSUS"),
        ("Auto-Annotate water", "FULL", "docs-dataset", "NONE"),
    ]
    assert 'id: "docs-get-and-patch"' in printed[3]
    assert 'id: "docs-listed"' in printed[4] and 'id: "docs-unlisted"' in printed[4]
    assert 'id: "docs-listed"' in printed[5] and 'id: "docs-unlisted"' not in printed[5]
    assert 'id: "docs-listed"' in printed[6] and 'id: "docs-unlisted"' not in printed[6]
    patched = tasks["docs-get-and-patch"]
    assert (patched.name, patched.worker.strategy, patched.review.strategy) == (
        "Annotate water",
        resources_pb2.TaskWorker.PARTITIONED,
        resources_pb2.TaskReview.CONSENSUS,
    )
    assert "docs-delete-1" not in tasks and "docs-delete-2" not in tasks


def list_tasks(stub: service_pb2_grpc.V2Stub) -> list[resources_pb2.Task]:
    response = stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=APP, per_page=100), metadata=OWNER)
    assert response.status.code == Code.SUCCESS
    return list(response.tasks)
