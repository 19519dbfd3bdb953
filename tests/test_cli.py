"""The standalone server: `fake-clarifai serve` as a subprocess."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fake_clarifai", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_answers_a_real_client_and_stops_on_sigterm(tmp_path: Path) -> None:
    seed = {"users": [{"id": "cli-user", "pats": ["cli-pat"]}], "apps": [{"user_id": "cli-user", "id": "cli-app"}]}
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    port = free_port()
    process = start("--port", str(port), "--seed", str(seed_file))
    try:
        banner = process.stdout.readline()
        assert banner.strip() == f"fake-clarifai serving clarifai.api.V2 on 127.0.0.1:{port}"
        assert process.stdout.readline().strip() == "user_id=cli-user app_id=cli-app PAT=cli-pat"
        stub = service_pb2_grpc.V2Stub(ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=port))
        response = stub.GetApp(
            service_pb2.GetAppRequest(user_app_id=resources_pb2.UserAppIDSet(user_id="cli-user", app_id="cli-app")),
            metadata=(("authorization", "Key cli-pat"),),
        )
        assert response.status.code == status_code_pb2.SUCCESS
        assert response.app.id == "cli-app"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert out.strip().endswith("fake-clarifai stopped")
    finally:
        process.kill()


def test_bad_seed_file_fails_naming_the_path(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"users": [{"id": ""}]}))
    process = start("--port", str(free_port()), "--seed", str(seed_file))
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"{seed_file}: users[0].id: expected a non-empty string, got ''" in err
