"""Fuzzing every emulated RPC (BEHAVIOUR.md §1): hypothesis builds requests from the request's descriptor — random
field values, ids of the wrong kind, huge and non-ASCII strings, unknown enum numbers — on their own or
merged into a valid request. Every answer must be gRPC OK with a known Clarifai status that is not FAILURE
(FAILURE means a handler raised), the server must still answer GetApp, and the state must pass
`check_invariants` after each example."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from functools import cache

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from rpc_world import MAIN, Populated, World, populate, valid_request

from fake_clarifai.errors import DETAILS_LIMIT, Code
from fake_clarifai.invariants import check_invariants
from fake_clarifai.server import FakeClarifai
from fake_clarifai.services import load_all
from fake_clarifai.wire import request_class

ROUTES = load_all()
KNOWN_CODES = frozenset(Code.values())
MAX_DEPTH = 3
FIELDS_PER_LEVEL = (4, 3, 2, 2)
SPECIAL_STRINGS = ("", " ", "me", "..", "../main", "ñandú 水 🙂", "\x00", "%s%n", "Key owner-pat", "in-1 ", "MAIN")
# mostly callers who may use owner/main, so that most requests reach the handler
CALLER_TOKENS = ("owner-pat",) * 6 + ("labeler-1-pat", "main-app-key", "outsider-pat", "")

F = FieldDescriptor
INTEGER_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}


@pytest.fixture(scope="module")
def world(clarifai_server: FakeClarifai) -> Iterator[Populated]:
    yield populate(clarifai_server)
    clarifai_server.reset()


@pytest.fixture(scope="module")
def stub(clarifai_server: FakeClarifai) -> service_pb2_grpc.V2Stub:
    return clarifai_server.stub()


@cache
def strings(ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    huge = st.builds(lambda unit, n: unit * n, st.sampled_from(["x", "é", "水", "🙂"]), st.integers(5_000, 60_000))
    return st.one_of(st.sampled_from(ids), st.sampled_from(SPECIAL_STRINGS), st.text(max_size=20), huge)


@cache
def scalars(field: FieldDescriptor, ids: tuple[str, ...]) -> st.SearchStrategy[object]:
    if field.type == F.TYPE_STRING:
        return strings(ids)
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=16)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return st.floats(width=32 if field.type == F.TYPE_FLOAT else 64)
    if field.type == F.TYPE_ENUM:
        known = st.sampled_from([value.number for value in field.enum_type.values])
        return known if field.enum_type.is_closed else st.one_of(known, st.integers(-3, 2**31 - 1))
    low, high = INTEGER_RANGES[field.type]
    return st.one_of(st.integers(-2, 1_100).filter(lambda n: low <= n <= high), st.integers(low, high))


@cache
def values(field: FieldDescriptor, ids: tuple[str, ...], depth: int) -> st.SearchStrategy[object]:
    if field.type == F.TYPE_MESSAGE:
        return messages(field.message_type, ids, depth + 1)
    return scalars(field, ids)


def is_map(field: FieldDescriptor) -> bool:
    return field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


@cache
def messages(descriptor: Descriptor, ids: tuple[str, ...], depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of `descriptor` with a few random fields set (fewer the deeper), nested up to MAX_DEPTH."""
    cls = message_factory.GetMessageClass(descriptor)
    if depth > MAX_DEPTH or not descriptor.fields:
        return st.builds(cls)
    chosen = st.lists(
        st.sampled_from(list(descriptor.fields)), max_size=FIELDS_PER_LEVEL[depth], unique_by=lambda f: f.name
    )

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        message = cls()
        for field in draw(chosen):
            target = getattr(message, field.name)
            if is_map(field):
                key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
                for k, v in draw(st.dictionaries(scalars(key, ids), values(value, ids, depth), max_size=2)).items():
                    if value.type == F.TYPE_MESSAGE:
                        target[k].CopyFrom(v)
                    else:
                        target[k] = v
            elif field.is_repeated:
                items = draw(st.lists(values(field, ids, depth), max_size=3 if depth < 2 else 1))
                target.extend(items)
            elif field.type == F.TYPE_MESSAGE:
                target.CopyFrom(draw(values(field, ids, depth)))
            else:
                setattr(message, field.name, draw(scalars(field, ids)))
        return message

    return build()


@cache
def fuzzed_requests(method: str, world: World) -> st.SearchStrategy[Message]:
    """Random requests merged into a valid request, with user_app_id owner/main, or (1 in 5) as they are."""
    random_requests = messages(request_class(method).DESCRIPTOR, world.ids())

    def in_main(request: Message) -> Message:
        if "user_app_id" in request.DESCRIPTOR.fields_by_name:
            request.user_app_id.CopyFrom(MAIN)
        return request

    def into_valid(request: Message) -> Message:
        valid = valid_request(method, world)
        valid.MergeFrom(request)
        return valid

    in_valid, in_app = random_requests.map(into_valid), random_requests.map(in_main)
    return st.one_of(in_valid, in_app, in_valid, in_app, random_requests)


@pytest.mark.parametrize("method", sorted(ROUTES))
@given(data=st.data())
def test_no_request_breaks_the_fake(method, data, world, stub, clarifai_server):
    clarifai_server.restore(world.snapshot)
    request = data.draw(fuzzed_requests(method, world.world), label="request")
    token = data.draw(st.sampled_from(CALLER_TOKENS), label="token")
    metadata = clarifai_server.metadata(token) if token else ()

    response = getattr(stub, method)(request, metadata=metadata)  # a gRPC error raises here and fails the test

    assert response.status.code in KNOWN_CODES, response.status
    assert response.status.code != status_code_pb2.FAILURE, response.status.details
    assert response.status.description
    assert len(response.status.details) <= DETAILS_LIMIT + 1, "details echo a value uncut"
    assert re.fullmatch(r"[0-9a-f]{32}", response.status.req_id)
    check_invariants(clarifai_server)
    json.dumps(clarifai_server.dump_state(), allow_nan=False)  # no writer stored what a JSON reader chokes on
    if method == "DeleteApp" and response.status.code == status_code_pb2.SUCCESS:
        return  # owner/main is gone, as asked
    health = stub.GetApp(service_pb2.GetAppRequest(user_app_id=MAIN), metadata=clarifai_server.metadata("owner-pat"))
    assert health.status.code == status_code_pb2.SUCCESS
    assert health.app == clarifai_server.store.app("owner", "main").app


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@pytest.mark.parametrize(
    "wanted",
    [
        lambda task: task.worker.partitioned_strategy_info.workers_per_input != 0,
        lambda task: task.type not in resources_pb2.Task.TaskType.values(),
        lambda task: len(task.name) > 1_000,
        lambda task: task.input_source.id == "in-1",
    ],
    ids=["a field two levels down", "an unknown enum number", "a huge string", "an id of the world"],
)
def test_the_generator_reaches(wanted):
    """The request strategy is not vacuous: it finds each kind of value the fuzzing relies on."""
    tasks = messages(resources_pb2.Task.DESCRIPTOR, ("in-1",))
    found = find(tasks, wanted, settings=settings(max_examples=2_000, database=None, phases=[Phase.generate]))
    assert wanted(found)


# -- raw HTTP to the gateway -----------------------------------------------------------------------
HTTP_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "BREW", "get")
HTTP_PATHS = ("/v2/users/owner/apps/main/tasks", "/v2/users/owner/apps/main/inputs", "/v2/nowhere", "/", "*")


@st.composite
def raw_http_requests(draw: st.DrawFn) -> bytes:
    """One whole HTTP request: any method, a route or not, odd headers, a body whose length is announced
    right, wrongly (text, signs, over the limit) or not at all — never more than sent, so no answer waits
    on the idle timeout."""
    method = draw(st.sampled_from(HTTP_METHODS))
    path = draw(st.one_of(st.sampled_from(HTTP_PATHS), st.text("abc/?=&%.{}", max_size=30).map(lambda t: "/" + t)))
    body = draw(st.one_of(st.binary(max_size=64), st.sampled_from([b"{}", b"[" * 5_000, b'{"a": NaN}', b"\xff\xfe"])))
    length = draw(
        st.one_of(st.none(), st.just(str(len(body))), st.sampled_from(["-1", "abc", "1e3", " ", "99999999999"]))
    )
    headers = ["Host: x", "Authorization: Key owner-pat"]
    if length is not None:
        headers.append(f"Content-Length: {length}")
    headers += draw(
        st.lists(
            st.sampled_from(
                ["Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Expect: 100-continue", "Connection: close"]
            ),
            max_size=2,
        )
    )
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTX"]))
    return f"{method} {path} {version}\r\n{''.join(h + chr(13) + chr(10) for h in headers)}\r\n".encode() + body


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # capfd: read each time
@given(raw=raw_http_requests())
def test_no_raw_http_request_breaks_the_gateway(raw, clarifai_server, world, capfd):
    clarifai_server.restore(world.snapshot)
    host, port = clarifai_server.start_http().removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(raw)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    while answer.startswith(b"HTTP/1.1 100 "):  # Expect: 100-continue, then the answer
        answer = answer.partition(b"\r\n\r\n")[2]
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert re.match(rb"HTTP/1\.[01] [2-5]\d\d ", head), answer[:200]
    code = int(head.split()[1])
    length = re.search(rb"\r\nContent-Length: (\d+)", head)
    assert length, head  # every answer announces its length (bytes after it answer a pipelined request)
    body = rest[: int(length.group(1))]
    if body:
        document = json.loads(body)
        assert isinstance(document, dict) and ("code" in document or "status" in document), document
    assert code != 500, body
    check_invariants(clarifai_server)
    assert capfd.readouterr().err == ""
