"""Hostile and careless clients of the JSON/HTTP gateway, over raw sockets on loopback.

Every answer is asserted exactly (HTTP code, grpc-gateway JSON body), the store and the journal are
unchanged by what the gateway refuses, and nothing reaches stderr. Each socket has a 5 s timeout; the
fake's idle timeout is 0.5 s, so the whole module takes a few seconds.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf import struct_pb2

from fake_clarifai.errors import Code
from fake_clarifai.gateway import GatewayLimits, json_stub
from fake_clarifai.seed import DEFAULT_SEED
from fake_clarifai.server import FakeClarifai

LIMIT = 64 * 1024
IDLE = 0.5
CONNECTIONS = 4
INPUTS = "/v2/users/owner/apps/main/inputs"
AUTH = "Authorization: Key owner-pat\r\n"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeClarifai]:
    limits = GatewayLimits(max_connections=CONNECTIONS, idle_timeout=IDLE)
    with FakeClarifai(max_message_bytes=LIMIT, gateway_limits=limits, http_port=0) as fake:
        fake.load_seed(DEFAULT_SEED)
        fake.save_baseline()
        yield fake


@pytest.fixture(autouse=True)
def unchanged(fake: FakeClarifai, capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Each test leaves the store as it found it, journals no write that succeeded, and prints nothing."""
    fake.reset()
    before = fake.dump_state()
    yield
    assert fake.dump_state() == before
    assert [c.method for c in fake.journal if c.succeeded and not c.method.startswith(("List", "Get"))] == []
    assert capfd.readouterr().err == ""


def connect(fake: FakeClarifai) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", int(fake.http_url.rsplit(":", 1)[1])), timeout=5)
    return connection


def read_answer(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response: status code, headers (lower-case names), body (by its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise AssertionError(f"the connection closed before a full answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers["content-length"]):
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def exchange(fake: FakeClarifai, raw: bytes) -> tuple[int, dict[str, str], Any]:
    with connect(fake) as connection:
        connection.sendall(raw)
        code, headers, body = read_answer(connection)
    return code, headers, json.loads(body) if body else None


def closed_by_server(connection: socket.socket) -> bool:
    """True when the server closes the connection (EOF) within the socket's timeout."""
    try:
        return connection.recv(65536) == b""
    except ConnectionResetError:
        return True


def error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": []}


def post(length: str, body: bytes = b"", extra: str = "") -> bytes:
    return f"POST {INPUTS} HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: {length}\r\n{extra}\r\n".encode() + body


def with_metadata(**values: object) -> struct_pb2.Struct:
    metadata = struct_pb2.Struct()
    metadata.update(values)
    return metadata


# -- the door: numbers and enums ---------------------------------------------------------------------
NAN, INF = float("nan"), float("inf")
OWNER_APP = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")


def weighted_task(weight: float) -> resources_pb2.Task:
    return resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        concept_ids=["water"],
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        worker=resources_pb2.TaskWorker(
            strategy=resources_pb2.TaskWorker.PARTITIONED,
            user_ids=["labeler-1"],
            partitioned_strategy_info=resources_pb2.TaskWorkerPartitionedStrategyInfo(
                type=resources_pb2.TaskWorkerPartitionedStrategyInfo.WEIGHTED,
                workers_per_input=1,
                weights=with_metadata(**{"labeler-1": weight}),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("method", "message", "details"),
    [
        (
            "PostInputs",
            service_pb2.PostInputsRequest(
                inputs=[resources_pb2.Input(id="n", data=resources_pb2.Data(metadata=with_metadata(score=NAN)))]
            ),
            "inputs[0].data.metadata.score is NaN: numbers must be finite",
        ),
        (
            "PostInputs",
            service_pb2.PostInputsRequest(
                inputs=[
                    resources_pb2.Input(id="n", data=resources_pb2.Data(metadata=with_metadata(a={"b": [1, -INF]})))
                ]
            ),
            "inputs[0].data.metadata.a.b[1] is -Infinity: numbers must be finite",
        ),
        (
            "PostTasks",
            service_pb2.PostTasksRequest(tasks=[weighted_task(NAN)]),
            ("tasks[0].worker.partitioned_strategy_info.weights.labeler-1 is NaN: numbers must be finite"),
        ),
        (
            "PostTasks",
            service_pb2.PostTasksRequest(tasks=[weighted_task(INF)]),
            ("tasks[0].worker.partitioned_strategy_info.weights.labeler-1 is Infinity: numbers must be finite"),
        ),
        (
            "PostAnnotations",
            service_pb2.PostAnnotationsRequest(
                annotations=[
                    resources_pb2.Annotation(
                        input_id="ghost",
                        data=resources_pb2.Data(concepts=[resources_pb2.Concept(id="water", value=NAN)]),
                    )
                ]
            ),
            "annotations[0].data.concepts[0].value is NaN: numbers must be finite",
        ),
        (
            "PostInputs",
            service_pb2.PostInputsRequest(inputs=[resources_pb2.Input(id="e")], input_id_conflict_resolution=99),
            "input_id_conflict_resolution 99 is not a value of clarifai.api.InputIDConflictResolution: "
            "use INPUT_ID_CONFLICT_RESOLUTION_NOT_SET, SKIP, SUFFIX",
        ),
    ],
    ids=["metadata NaN", "nested metadata -inf", "weight NaN", "weight inf", "concept value NaN", "enum 99"],
)
def test_the_door_refuses_non_finite_numbers_and_unknown_enum_values(
    fake: FakeClarifai, method: str, message: Any, details: str
) -> None:
    message.user_app_id.CopyFrom(OWNER_APP)
    response = getattr(fake.stub(), method)(message, metadata=fake.metadata("owner-pat"))
    assert (Code.Name(response.status.code), response.status.details) == ("CONN_INVALID_REQUEST", details)


def test_json_readers_of_the_inputs_still_read_them(fake: FakeClarifai) -> None:
    refused = service_pb2.PostInputsRequest(
        user_app_id=OWNER_APP,
        inputs=[resources_pb2.Input(id="n", data=resources_pb2.Data(metadata=with_metadata(score=NAN)))],
    )
    assert fake.stub().PostInputs(refused, metadata=fake.metadata("owner-pat")).status.code == Code.CONN_INVALID_REQUEST
    request = service_pb2.ListInputsRequest(user_app_id=OWNER_APP)
    response = json_stub(fake.http_url).ListInputs(request, metadata=fake.metadata("owner-pat"))
    assert response.status.code == Code.SUCCESS


def test_a_60_kb_id_is_echoed_cut_to_200_characters(fake: FakeClarifai) -> None:
    request = service_pb2.GetTaskRequest(user_app_id=OWNER_APP, task_id="t" * 60_000)
    response = fake.stub().GetTask(request, metadata=fake.metadata("owner-pat"))
    assert response.status.details == f"task '{'t' * 200}…' does not exist"


# -- size and length ---------------------------------------------------------------------------------
def test_a_body_over_the_grpc_limit_answers_413_unread(fake: FakeClarifai) -> None:
    code, headers, body = exchange(fake, post(str(LIMIT + 1)))
    assert (code, headers["connection"]) == (413, "close")
    assert body == error(8, f"request body of {LIMIT + 1} bytes is larger than the limit of {LIMIT} bytes")


def test_a_client_that_sends_the_whole_oversized_body_still_reads_the_413(fake: FakeClarifai) -> None:
    body = b"x" * (LIMIT * 4)
    code, _, answer = exchange(fake, post(str(len(body)), body))
    assert (code, answer) == (
        413,
        error(8, f"request body of {len(body)} bytes is larger than the limit of {LIMIT} bytes"),
    )


def test_the_same_request_over_grpc_is_refused_at_the_same_limit(fake: FakeClarifai) -> None:
    request = service_pb2.PostInputsRequest(
        inputs=[resources_pb2.Input(id="big", data=resources_pb2.Data(text=resources_pb2.Text(raw="x" * LIMIT)))]
    )
    with pytest.raises(grpc.RpcError) as raised:
        fake.stub().PostInputs(request, metadata=fake.metadata("owner-pat"))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("length", "message"),
    [
        ("-1", "invalid Content-Length -1"),
        ("abc", "invalid Content-Length abc"),
        ("+5", "invalid Content-Length +5"),
        ("1e3", "invalid Content-Length 1e3"),
        ("2, 3", "invalid Content-Length 2, 3"),
    ],
)
def test_a_content_length_that_is_not_a_decimal_number_answers_400(
    fake: FakeClarifai, length: str, message: str
) -> None:
    code, _, body = exchange(fake, post(length))
    assert (code, body) == (400, error(3, message))


def test_two_different_content_lengths_answer_400(fake: FakeClarifai) -> None:
    code, _, body = exchange(fake, post("2", b"{}", "Content-Length: 3\r\n"))
    assert (code, body) == (400, error(3, "invalid Content-Length 2, 3"))


def test_an_announced_4_gb_body_is_refused_before_any_byte_is_read(fake: FakeClarifai) -> None:
    length = 4 * 1024**3
    code, _, body = exchange(fake, post(str(length)))
    assert (code, body) == (413, error(8, f"request body of {length} bytes is larger than the limit of {LIMIT} bytes"))
    code, _, body = exchange(fake, post(str(2**63)))
    assert code == 413


def test_a_body_shorter_than_announced_answers_400_when_the_client_stops_sending(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        connection.sendall(post("10", b"{}"))
        connection.shutdown(socket.SHUT_WR)
        code, _, body = read_answer(connection)
    assert (code, json.loads(body)) == (400, error(3, "the body ended after 2 of 10 bytes"))


def test_a_body_that_stalls_answers_408_after_the_idle_timeout(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        connection.sendall(post("10", b"{}"))
        code, _, body = read_answer(connection)
    assert (code, json.loads(body)) == (408, error(4, f"no body byte for {IDLE} s"))


# -- transfer codings --------------------------------------------------------------------------------
def test_a_chunked_body_is_refused_with_411_never_read_as_empty(fake: FakeClarifai) -> None:
    chunked = f"POST {INPUTS} HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
    code, headers, body = exchange(fake, chunked.encode())
    assert (code, headers["connection"]) == (411, "close")
    assert body == error(3, "chunked bodies are not accepted: send Content-Length")


def test_another_transfer_coding_answers_501(fake: FakeClarifai) -> None:
    raw = f"POST {INPUTS} HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: gzip\r\n\r\n"
    code, _, body = exchange(fake, raw.encode())
    assert (code, body) == (501, error(12, "unsupported Transfer-Encoding gzip"))


# -- JSON --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[" * 50_000, "PostInputs: the body nests arrays and objects more than 100 levels deep"),
        (b'{"a":' * 101 + b"1" + b"}" * 101, "PostInputs: the body nests arrays and objects more than 100 levels deep"),
        (b'{"inputs": [{"id": NaN}]}', "PostInputs: the body is not JSON: NaN is not a JSON number"),
        (b'{"inputs": -Infinity}', "PostInputs: the body is not JSON: -Infinity is not a JSON number"),
    ],
)
def test_bodies_json_cannot_hold_answer_400(fake: FakeClarifai, payload: bytes, message: str) -> None:
    code, _, body = exchange(fake, post(str(len(payload)), payload))
    assert (code, body) == (400, error(3, message))


# -- methods and malformed requests ------------------------------------------------------------------
@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "CONNECT", "BREW"])
def test_a_method_the_gateway_does_not_serve_answers_501_in_json(fake: FakeClarifai, method: str) -> None:
    code, headers, body = exchange(fake, f"{method} {INPUTS} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert (code, headers["content-type"]) == (501, "application/json")
    assert body == error(12, f"the gateway serves GET, POST, PATCH, PUT, DELETE, not {method}")


def test_head_answers_the_json_error_headers_without_a_body(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        connection.sendall(f"HEAD {INPUTS} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        code, headers, body = read_answer(connection)
        assert (code, headers["content-type"], body) == (501, "application/json", b"")
        assert int(headers["content-length"]) > 0
        assert closed_by_server(connection)


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b"GARBAGE\r\n\r\n", 400, "Bad request syntax ('GARBAGE')"),
        (b"GET / HTTP/9.9\r\n\r\n", 505, "Invalid HTTP version (9.9)"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long"),
    ],
)
def test_what_the_http_parser_refuses_is_answered_in_json(
    fake: FakeClarifai, raw: bytes, code: int, message: str
) -> None:
    answer_code, _, body = exchange(fake, raw)
    assert (answer_code, body["message"]) == (code, message)
    assert body == error(body["code"], message)


# -- connections -------------------------------------------------------------------------------------
def test_an_idle_connection_is_closed_after_the_idle_timeout(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        connection.sendall(b"GET /v2/nowh")  # half a request line, then nothing
        started = time.monotonic()
        assert closed_by_server(connection)
        assert IDLE * 0.8 < time.monotonic() - started < 4


def test_connections_beyond_the_limit_answer_503_and_the_slots_come_back(fake: FakeClarifai) -> None:
    held = [connect(fake) for _ in range(CONNECTIONS)]
    try:
        for connection in held:  # each has a serving thread once it answered a request
            connection.sendall(b"GET /v2/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(connection)[0] == 404
        code, headers, body = exchange(fake, b"GET /v2/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (code, headers["connection"]) == (503, "close")
        assert body == error(
            14, f"the gateway already serves {CONNECTIONS} connections (GatewayLimits.max_connections)"
        )
    finally:
        for connection in held:
            connection.close()
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        if exchange(fake, b"GET /v2/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 404:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the connection slots never came back")


def test_a_keep_alive_connection_serves_request_after_request(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        for _ in range(20):
            connection.sendall(b"GET /v2/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            code, headers, _ = read_answer(connection)
            assert (code, headers.get("connection")) == (404, None)


def test_a_client_dribbling_its_headers_is_cut_off_at_the_idle_timeout(fake: FakeClarifai) -> None:
    with connect(fake) as connection:
        connection.sendall(b"GET /v2/nowhere HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 4:
            try:
                connection.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
            connection.settimeout(0.01)
            try:
                closed = connection.recv(1) == b""
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed = True
        assert closed
        assert IDLE * 0.8 < time.monotonic() - started < IDLE + 1.5
