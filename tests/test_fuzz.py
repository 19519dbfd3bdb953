"""Fuzzing every emulated RPC (SPEC §1): hypothesis builds requests from the request's descriptor — random
field values, ids of the wrong kind, huge and non-ASCII strings, unknown enum numbers — on their own or
merged into a valid request. Every answer must be gRPC OK with a known Clarifai status that is not FAILURE
(FAILURE means a handler raised), the server must still answer GetApp, and the state must pass
`check_invariants` after each example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from rpc_world import MAIN, Populated, World, populate, valid_request

from fake_clarifai.errors import Code
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
    assert re.fullmatch(r"[0-9a-f]{32}", response.status.req_id)
    check_invariants(clarifai_server)
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
