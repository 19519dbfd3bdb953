"""Responses assembled from cached record encodings (fake_clarifai.services.assembled), and the wire's
bytes path: requests parsed by the wire, responses serialized once for gRPC and the journal."""

from __future__ import annotations

import grpc
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai import wire
from fake_clarifai.services import ROUTES, Route, assembled
from fake_clarifai.services.assembled import assemble
from fake_clarifai.store import Store

SUCCESS = status_code_pb2.SUCCESS

texts = st.text(max_size=300)  # names past 127 and 16383 bytes of UTF-8 take 2- and 3-byte varint lengths
apps = st.builds(resources_pb2.App, id=st.text(max_size=40), name=texts, description=st.text(max_size=20_000))


def sent(response: assembled.Assembled) -> bytes:
    """The bytes the wire sends for `response`."""
    return response.head.SerializeToString() + response.tail


def status() -> status_pb2.Status:
    return status_pb2.Status(code=SUCCESS, description="Ok", req_id="r-1")


# -- the encoding --------------------------------------------------------------------------------
@given(st.lists(apps, max_size=12))
def test_a_repeated_field_is_sent_as_the_message_built_field_by_field_would_be(records):
    head = service_pb2.MultiAppResponse(status=status())
    built = service_pb2.MultiAppResponse(status=status(), apps=records)
    data = sent(assemble(head, apps=records))
    assert data == built.SerializeToString()
    assert service_pb2.MultiAppResponse.FromString(data) == built


@given(apps)
def test_a_singular_field_is_sent_as_the_message_built_field_by_field_would_be(record):
    data = sent(assemble(service_pb2.SingleAppResponse(status=status()), app=record))
    assert data == service_pb2.SingleAppResponse(status=status(), app=record).SerializeToString()


@pytest.mark.parametrize("size", [0, 125, 126, 16_380, 16_381, 2_097_150])
def test_records_around_the_varint_length_boundaries_are_sent_intact(size):
    # the record App(id="x" * size) is 127 / 128 bytes long at 125 / 126, 16383 / 16384 at 16_380 / 16_381, and
    # 2_097_154 (a 4-byte length) at 2_097_150
    records = [resources_pb2.App(id="x" * size), resources_pb2.App(id="y")]
    data = sent(assemble(service_pb2.MultiAppResponse(status=status()), apps=records))
    assert data == service_pb2.MultiAppResponse(status=status(), apps=records).SerializeToString()


def test_no_records_leave_the_head_alone():
    response = assemble(service_pb2.MultiTaskResponse(), tasks=[])
    assert response.tail == b""
    assert response.head == service_pb2.MultiTaskResponse()


def test_the_same_record_twice_is_sent_twice():
    app = resources_pb2.App(id="twice")
    data = sent(assemble(service_pb2.MultiAppResponse(), apps=[app, app]))
    assert [a.id for a in service_pb2.MultiAppResponse.FromString(data).apps] == ["twice", "twice"]


def test_a_changed_record_is_a_new_object_and_is_sent_as_changed():
    stored = resources_pb2.App(id="a", name="before")
    assemble(service_pb2.MultiAppResponse(), apps=[stored])
    changed = resources_pb2.App()
    changed.CopyFrom(stored)
    changed.name = "after"
    data = sent(assemble(service_pb2.MultiAppResponse(), apps=[changed]))
    assert service_pb2.MultiAppResponse.FromString(data).apps[0].name == "after"


def test_a_full_cache_is_emptied_and_encodings_stay_right(monkeypatch):
    monkeypatch.setattr(assembled, "CACHE_LIMIT", 3)
    records = [resources_pb2.Concept(id=f"c-{n}") for n in range(7)]
    for _ in range(3):
        data = sent(assemble(service_pb2.MultiConceptResponse(), concepts=records))
        assert [c.id for c in service_pb2.MultiConceptResponse.FromString(data).concepts] == [r.id for r in records]
    cache = assembled._cache_of(resources_pb2.Concept)
    assert len(cache.records) <= 3
    assert set(cache.encodings) == {id(r) for r in cache.records}


def test_a_record_of_another_type_is_refused_even_when_its_encoding_is_cached():
    task = resources_pb2.Task(id="t")
    assemble(service_pb2.MultiTaskResponse(), tasks=[task])
    with pytest.raises(TypeError, match=r"MultiAppResponse.apps holds clarifai.api.App messages, got Task"):
        assemble(service_pb2.MultiAppResponse(), apps=[task])


@pytest.mark.parametrize(
    ("head", "records", "error", "message"),
    [
        (service_pb2.MultiAppResponse(), {"appz": []}, ValueError, "MultiAppResponse has no message field 'appz'"),
        (
            service_pb2.SingleTaskCountResponse(),
            {"app_id": "main"},
            ValueError,
            "SingleTaskCountResponse has no message field 'app_id'",
        ),
        (
            service_pb2.MultiAppResponse(apps=[resources_pb2.App(id="a")]),
            {"apps": [resources_pb2.App(id="b")]},
            ValueError,
            "MultiAppResponse.apps is set in the head and assembled too",
        ),
        (
            service_pb2.SingleAppResponse(app=resources_pb2.App(id="a")),
            {"app": resources_pb2.App(id="b")},
            ValueError,
            "SingleAppResponse.app is set in the head and assembled too",
        ),
        (service_pb2.SingleAppResponse(), {"app": "main"}, TypeError, "holds clarifai.api.App messages, got str"),
    ],
)
def test_misuse_is_refused(head, records, error, message):
    with pytest.raises(error, match=message):
        assemble(head, **records)


# -- assemblers: a response of one field's records ---------------------------------------------------
APP_PAGE = assembled.assembler(service_pb2.MultiAppResponse, "apps")
ONE_APP = assembled.assembler(service_pb2.SingleAppResponse, "app")


def sent_alone(response: assembled.Assembled, response_type) -> bytes:
    """The bytes the wire sends for an assembler's response (its head is the status alone)."""
    assert response.head is None
    return response_type(status=status()).SerializeToString() + response.tail


@given(st.lists(apps, max_size=12))
def test_an_assembled_page_is_sent_as_the_message_built_field_by_field_would_be(records):
    for _ in range(2):  # the second time from the pages sent
        data = sent_alone(APP_PAGE(records), service_pb2.MultiAppResponse)
        assert data == service_pb2.MultiAppResponse(status=status(), apps=records).SerializeToString()


@given(apps)
def test_an_assembled_single_record_is_sent_as_the_message_built_would_be(record):
    data = sent_alone(ONE_APP(record), service_pb2.SingleAppResponse)
    assert data == service_pb2.SingleAppResponse(status=status(), app=record).SerializeToString()


def test_a_page_with_a_record_replaced_in_the_middle_is_sent_as_changed():
    records = [resources_pb2.App(id=f"a-{n}") for n in range(5)]
    APP_PAGE(iter(records))
    changed = resources_pb2.App(id="a-2", name="changed")
    page = [*records[:2], changed, *records[3:]]
    apps_sent = service_pb2.MultiAppResponse.FromString(sent_alone(APP_PAGE(page), service_pb2.MultiAppResponse)).apps
    assert list(apps_sent) == page


def _pages_sent():
    """The pages APP_PAGE remembers (its closure's `_Pages`)."""
    cell = next(c.cell_contents for c in APP_PAGE.__closure__ if isinstance(c.cell_contents, assembled._Pages))
    return cell.sent


def test_the_pages_sent_are_bounded_and_stay_right(monkeypatch):
    monkeypatch.setattr(assembled, "PAGES_LIMIT", 3)
    monkeypatch.setattr(assembled, "PAGES_BYTES", 100)
    pages = [[resources_pb2.App(id=f"p{p}-{n}") for n in range(p + 1)] for p in range(8)]
    pages.append([resources_pb2.App(id="big", description="x" * 200)])
    for _ in range(2):
        for page in pages:
            data = sent_alone(APP_PAGE(page), service_pb2.MultiAppResponse)
            assert list(service_pb2.MultiAppResponse.FromString(data).apps) == page
    sent = _pages_sent()
    assert len(sent) <= 3 and sum(len(tail) for _, tail in sent.values()) <= 100


def test_an_empty_page_sends_nothing():
    assert APP_PAGE([]).tail == b"" and APP_PAGE(iter([])).tail == b""


def test_the_wires_success_head_is_the_status_as_protobuf_serializes_it():
    servicer = wire.FakeV2Servicer(Store())
    req_id = "0123456789abcdef0123456789abcdef"
    for endpoint in servicer._endpoints.values():
        built = endpoint.response_type(status=status_pb2.Status(code=SUCCESS, description="Ok", req_id=req_id))
        assert endpoint.success_head + req_id.encode() == built.SerializeToString(), endpoint.method


# -- through the wire -----------------------------------------------------------------------------
def test_a_handler_that_misuses_assemble_answers_failure_not_unknown(
    clarifai_stub, clarifai_metadata, clarifai_app, monkeypatch
):
    def misassembled(ctx, request):
        return assemble(service_pb2.SingleAppResponse(), app=resources_pb2.Task(id="t"))

    monkeypatch.setitem(ROUTES, "GetApp", Route(name="GetApp", handler=misassembled))
    response = clarifai_stub.GetApp(service_pb2.GetAppRequest(user_app_id=clarifai_app), metadata=clarifai_metadata)
    assert response.status.code == status_code_pb2.FAILURE
    assert response.status.details == (
        "internal error in fake_clarifai GetApp: TypeError: "
        "SingleAppResponse.app holds clarifai.api.App messages, got Task"
    )


def test_the_journal_keeps_an_assembled_response_as_sent_and_the_request_as_it_arrived(
    clarifai_stub, clarifai_metadata, clarifai_fake
):
    request = service_pb2.ListAppsRequest(per_page=5)
    response = clarifai_stub.ListApps(request, metadata=clarifai_metadata)
    assert response.status.code == SUCCESS
    assert [a.id for a in response.apps] == ["main"]
    call = clarifai_fake.journal.last("ListApps")
    assert (call.request, call.response, call.status_code) == (request, response, SUCCESS)


def test_an_in_process_call_answers_an_assembled_response_as_one_message(
    clarifai_stub, clarifai_metadata, clarifai_fake
):
    request = service_pb2.ListAppsRequest()
    over_grpc = clarifai_stub.ListApps(request, metadata=clarifai_metadata)
    in_process = clarifai_fake.servicer.call("ListApps", request, clarifai_metadata)
    assert isinstance(in_process, service_pb2.MultiAppResponse)
    assert clarifai_fake.journal.last().response == in_process
    assert in_process.status.req_id != over_grpc.status.req_id
    in_process.status.req_id = over_grpc.status.req_id
    assert in_process == over_grpc
    assert [a.id for a in in_process.apps] == ["main"]


def test_a_request_that_does_not_parse_ends_internal_before_faults_and_journal(clarifai_metadata, clarifai_fake):
    clarifai_fake.faults.clarifai_status("GetApp", status_code_pb2.CONN_THROTTLED)
    get_app = clarifai_fake.channel().unary_unary("/clarifai.api.V2/GetApp")
    with pytest.raises(grpc.RpcError) as raised:
        get_app(b"\xff\xff", metadata=clarifai_metadata)
    assert (raised.value.code(), raised.value.details()) == (
        grpc.StatusCode.INTERNAL,
        "Exception deserializing request!",
    )
    assert len(clarifai_fake.journal) == 0
    assert len(clarifai_fake.faults.pending("GetApp")) == 1


def test_each_read_of_the_journal_gives_equal_calls(clarifai_stub, clarifai_metadata, clarifai_fake):
    clarifai_stub.ListApps(service_pb2.ListAppsRequest(), metadata=clarifai_metadata)
    assert clarifai_fake.journal.calls() == clarifai_fake.journal.calls()
    assert hash(clarifai_fake.journal.last()) == hash(clarifai_fake.journal.last())
