"""The pytest11 entry point: a project with no conftest gets the fixtures just by installing the package."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_fixtures_reach_a_project_without_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_downstream.py").write_text(
        textwrap.dedent(
            """
            from clarifai_grpc.grpc.api import service_pb2
            from clarifai_grpc.grpc.api.status import status_code_pb2


            def test_list_apps(clarifai_stub, clarifai_metadata, clarifai_app):
                response = clarifai_stub.GetApp(
                    service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata
                )
                assert response.status.code == status_code_pb2.SUCCESS
                assert response.app.id == clarifai_app.app_id
            """
        )
    )
    assert not (tmp_path / "conftest.py").exists()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
