"""The standalone server: `fake-clarifai serve` as a subprocess."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai.cli import main
from fake_clarifai.server import FakeClarifai


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


def listening_socket() -> socket.socket:
    """A socket listening on a free loopback port: that port is in use until it is closed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            json.dumps({"users": [{"id": "solo", "pats": ["p"]}]}),
            "apps: user 'solo' owns no app: the default identity is its first app",
        ),
        (json.dumps({"users": []}), "users: no user: the default identity is the first user"),
        (json.dumps({}), "users: no user: the default identity is the first user"),
        (
            json.dumps({"users": [{"id": "solo"}], "apps": [{"user_id": "solo", "id": "a"}]}),
            "users[0].pats: user 'solo' has no PAT: the default identity needs one",
        ),
        (b'{"users": [{"id": "\xff"}]}', "$: not UTF-8: byte 0xff at offset 19"),
        ("[1, 2", "$: not JSON: Expecting ',' delimiter at line 1 column 6"),
        (
            '{"users": [{"id": "u", "pats": ["p"]}], "apps": [{"user_id": "u", "id": "a", '
            '"inputs": [{"id": "i", "metadata": {"score": NaN}}]}]}',
            "$: not JSON: NaN is not a JSON number",
        ),
    ],
)
def test_a_seed_the_server_cannot_serve_is_a_bad_seed_rc_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, problem: str
) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["serve", "--port", "0", "--seed", str(seed_file)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"fake-clarifai: bad seed: {seed_file}: {problem}\n")


@pytest.mark.parametrize("flag", ["--port", "--http-port"])
def test_a_port_in_use_is_one_line_rc_2(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    with listening_socket() as taken:
        port = taken.getsockname()[1]
        args = ["--port", "0", flag, str(port)] if flag == "--http-port" else [flag, str(port)]
        assert main(["serve", *args]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"fake-clarifai: fake_clarifai cannot bind 127.0.0.1:{port}: Address already in use\n")


def test_a_failed_start_releases_everything_it_bound() -> None:
    grpc_port = free_port()
    with listening_socket() as taken:
        fake = FakeClarifai(port=grpc_port, http_port=taken.getsockname()[1])
        with pytest.raises(OSError, match="Address already in use"):
            fake.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", grpc_port))  # the gRPC port it had bound is free again
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.port
    assert fake.start().port == grpc_port  # and it can start once the port is free
    fake.stop()
