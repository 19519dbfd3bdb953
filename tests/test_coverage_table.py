"""The implementation-coverage table (BEHAVIOUR.md §8): generated from the descriptors and routes, committed fresh."""

from __future__ import annotations

from pathlib import Path

from clarifai_grpc.grpc.api import service_pb2

from fake_clarifai import coverage
from fake_clarifai.services import load_all

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "COVERAGE.md"
V2 = service_pb2.DESCRIPTOR.services_by_name["V2"]


def table_rows(text: str) -> dict[str, list[str]]:
    """RPC -> its cells, from the markdown table."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    rows = [line.strip("|").split(" | ") for line in lines[1:]]  # after the header
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_the_committed_table_is_what_the_code_generates():
    assert COMMITTED.read_text(encoding="utf-8") == coverage.render(), (
        "docs/COVERAGE.md is stale: run `python -m fake_clarifai.coverage` and commit it"
    )


def test_the_readme_block_is_what_the_code_generates():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert coverage.render_summary() in readme, (
        "README.md's coverage block is stale: run `python -m fake_clarifai.coverage` and commit it"
    )


def test_the_readme_block_lists_every_emulated_rpc_once_by_module():
    block = coverage.render_summary()
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    listed = [name for row in rows for name in row.split(" | ")[1].rstrip(" |").split(", ")]
    assert sorted(listed) == sorted(load_all())
    assert "| `tasks` | PostTasks, GetTask, ListTasks, PatchTasks, DeleteTasks |" in rows


def test_every_v2_rpc_has_one_row_and_emulated_ones_name_their_module():
    rows = table_rows(coverage.render())
    assert list(rows) == [m.name for m in V2.methods]
    routes = load_all()
    emulated = {name for name, cells in rows.items() if cells[1] != "no"}
    assert emulated == set(routes)
    assert rows["PostTasks"][1] == "yes (`tasks`)"
    assert rows["GetApp"][1] == "yes (`apps`)"


def test_rows_show_types_and_the_http_bindings_of_the_descriptors():
    rows = table_rows(coverage.render())
    assert rows["PostTasks"][0] == "PostTasksRequest → MultiTaskResponse"
    assert rows["PostTasks"][2] == (
        "`POST /v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/tasks`<br>`POST /v2/tasks`"
    )
    assert rows["GetTask"][2] == (
        "`GET /v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/tasks/{task_id}`<br>`GET /v2/tasks/{task_id}`"
    )
    assert rows["StreamModelOutputs"][0] == "stream PostModelOutputsRequest → stream MultiOutputResponse"


def test_the_cli_writes_the_table_and_check_reports_staleness(tmp_path, capsys):
    target = tmp_path / "docs" / "COVERAGE.md"
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{coverage.README_START}\nold\n{coverage.README_END}\n\nafter\n", encoding="utf-8")
    args = ["--output", str(target), "--readme", str(readme)]
    assert coverage.main(["--check", *args]) == 1
    assert coverage.main(args) == 0
    assert target.read_text(encoding="utf-8") == coverage.render()
    assert readme.read_text(encoding="utf-8") == f"# x\n\n{coverage.render_summary()}\n\nafter\n"
    assert coverage.main(["--check", *args]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("| PostTasks |", "| PostTask |"), encoding="utf-8")
    assert coverage.main(["--check", *args]) == 1
    assert "is stale: run python -m fake_clarifai.coverage" in capsys.readouterr().err
