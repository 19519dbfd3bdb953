"""Searches over the wire: PostInputsSearches, PostAnnotationsSearches, saved searches (PostSearches with save,
ListSearches, GetSearch, DeleteSearch) and tasks whose input source is SAVED_SEARCH.

Sources: `Search.save` "If true, save this search, and exit without executing the search" and `Filter.negate`
[proto, resources_pb2.pyi]; the filters are the ones the clarifai SDK's `Search.query` builds (search.py:
`Filter(annotation=Annotation(data=...), input=Input(data kinds, dataset_ids, status))`).
"""

from __future__ import annotations

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf.struct_pb2 import Struct

from fake_clarifai.invariants import check_invariants

r = resources_pb2
TaskInputSource = r.TaskInputSource


def concept_filter(*concepts: tuple[str, float], negate: bool = False) -> r.Filter:
    data = r.Data(concepts=[r.Concept(id=c, value=v) for c, v in concepts])
    return r.Filter(annotation=r.Annotation(data=data), negate=negate)


def metadata_filter(**values) -> r.Filter:
    metadata = Struct()
    metadata.update(values)
    return r.Filter(annotation=r.Annotation(data=r.Data(metadata=metadata)))


def input_filter(**fields) -> r.Filter:
    return r.Filter(input=r.Input(**fields))


def search(*filters: r.Filter, ranks=(), **fields) -> r.Search:
    return r.Search(query=r.Query(filters=filters, ranks=ranks), **fields)


def hit_ids(response) -> list[str]:
    return [hit.input.id for hit in ok(response).hits]


def inputs_search(stub, *searches, **params):
    request = service_pb2.PostInputsSearchesRequest(user_app_id=MAIN, searches=searches, **params)
    return stub.PostInputsSearches(request, metadata=OWNER)


@pytest.fixture
def library(clarifai_fake, clarifai_stub):
    """img-wet (water; metadata split=train, nested camera.make=acme), img-dry (not water), txt-sky (sky; in ds)."""
    images = [
        r.Input(id="img-wet", data=r.Data(image=r.Image(url="https://x.test/w.jpg"), concepts=[r.Concept(id="water",
                value=1)])),
        r.Input(id="img-dry", data=r.Data(image=r.Image(url="https://x.test/d.jpg"), concepts=[r.Concept(id="water",
                value=0)])),
        r.Input(id="txt-sky", data=r.Data(text=r.Text(raw="blue"), concepts=[r.Concept(id="sky", value=1)])),
    ]  # fmt: skip
    images[0].data.metadata.update({"split": "train", "camera": {"make": "acme", "year": 2020}})
    clarifai_fake.add_dataset("owner", "main", "ds")
    ok(clarifai_stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=images), metadata=OWNER))
    member = r.DatasetInput(input=r.Input(id="txt-sky"))
    request = service_pb2.PostDatasetInputsRequest(user_app_id=MAIN, dataset_id="ds", dataset_inputs=[member])
    ok(clarifai_stub.PostDatasetInputs(request, metadata=OWNER))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], ["img-wet", "img-dry", "txt-sky"]),
        ([concept_filter(("water", 1))], ["img-wet"]),
        ([concept_filter(("water", 0))], ["img-dry"]),  # value 0: labeled as not water
        ([concept_filter(("water", 1), ("sky", 1))], ["img-wet", "txt-sky"]),  # ORed within one filter
        ([concept_filter(("water", 1)), concept_filter(("sky", 1))], []),  # filters are ANDed
        ([concept_filter(("water", 1), negate=True)], ["img-dry", "txt-sky"]),
        ([metadata_filter(split="train")], ["img-wet"]),
        ([metadata_filter(camera={"make": "acme"})], ["img-wet"]),  # nested objects: contained
        ([metadata_filter(split="test")], []),
        ([input_filter(data=r.Data(text=r.Text()))], ["txt-sky"]),
        ([input_filter(data=r.Data(image=r.Image(), text=r.Text()))], ["img-wet", "img-dry", "txt-sky"]),
        ([input_filter(dataset_ids=["ds"])], ["txt-sky"]),
        ([input_filter(status=status_pb2.Status(code=Code.INPUT_DOWNLOAD_SUCCESS))],
         ["img-wet", "img-dry", "txt-sky"]),
    ],
    ids=["no filter", "concept", "negative concept", "concepts OR", "filters AND", "negate", "metadata",
         "nested metadata", "metadata no match", "input type", "input types OR", "dataset", "status"],
)  # fmt: skip
def test_inputs_search_filters(clarifai_stub, library, filters, expected):
    assert hit_ids(inputs_search(clarifai_stub, search(*filters))) == expected


def test_hits_are_paged_and_scored_one(clarifai_stub, library):
    response = ok(inputs_search(clarifai_stub, search(), pagination=service_pb2.Pagination(page=2, per_page=2)))
    assert [(h.input.id, h.score) for h in response.hits] == [("txt-sky", 1.0)]


def test_annotation_search_judges_each_annotation_by_its_own_data(clarifai_stub, library):
    annotation = r.Annotation(id="a-1", input_id="img-dry", data=r.Data(concepts=[r.Concept(id="sky", value=1)]))
    request = service_pb2.PostAnnotationsRequest(user_app_id=MAIN, annotations=[annotation])
    ok(clarifai_stub.PostAnnotations(request, metadata=OWNER))
    found = ok(clarifai_stub.PostAnnotationsSearches(
        service_pb2.PostAnnotationsSearchesRequest(user_app_id=MAIN, searches=[search(concept_filter(("sky", 1)))]),
        metadata=OWNER))  # fmt: skip
    # txt-sky was posted with sky, so its input-level annotation holds sky too [docs: Annotations page]
    hits = [(h.annotation.input_level, h.input.id) for h in found.hits]
    assert hits == [(True, "txt-sky"), (False, "img-dry")]
    assert found.hits[1].annotation.id == "a-1"
    # an input search sees the input's annotations too
    assert hit_ids(inputs_search(clarifai_stub, search(concept_filter(("sky", 1))))) == ["img-dry", "txt-sky"]


@pytest.mark.parametrize(
    ("searches", "details"),
    [
        ([search(ranks=[r.Rank(annotation=r.Annotation(data=r.Data(image=r.Image(url="https://x.test/q.jpg"))))])],
         "searches[0].query.ranks[0]: ranking by similarity is not emulated by fake_clarifai; use query.filters "
         "(concepts, metadata, input types, datasets, status)"),
        ([r.Search(query=r.Query(ands=[r.And(input=r.Input(data=r.Data(image=r.Image(url="https://x.test/q.jpg"))))]))],
         "searches[0].query.ands: this search term is not emulated by fake_clarifai; use query.filters (concepts, "
         "metadata, input types, datasets, status)"),
        ([search(r.Filter(annotation=r.Annotation(data=r.Data(geo=r.Geo(geo_limit=r.GeoLimit(type="withinKilometers",
                                                                                              value=1))))))],
         "searches[0].query.filters[0].annotation.data.geo: this search term is not emulated by fake_clarifai; use "
         "query.filters (concepts, metadata, input types, datasets, status)"),
        ([search(input_filter(data=r.Data(image=r.Image(url="https://x.test/q.jpg"))))],
         "searches[0].query.filters[0].input.data.image: this search term is not emulated by fake_clarifai; use "
         "query.filters (concepts, metadata, input types, datasets, status)"),
        ([search(r.Filter(last_updated_time_range=r.TimeRange()))],
         "searches[0].query.filters[0].last_updated_time_range: this search term is not emulated by fake_clarifai; "
         "use query.filters (concepts, metadata, input types, datasets, status)"),
        ([], "searches has 0 entries: send exactly one search"),
        ([search(), search()], "searches has 2 entries: send exactly one search"),
    ],
    ids=["similarity rank", "legacy ands", "geo", "image url", "time range", "no search", "two searches"],
)  # fmt: skip
def test_searches_the_fake_cannot_answer_truthfully_are_refused(clarifai_stub, clarifai_fake, library, searches,
                                                                details):  # fmt: skip
    with unchanged(clarifai_fake):
        assert_error(inputs_search(clarifai_stub, *searches), Code.CONN_INVALID_REQUEST, details)


def test_an_empty_rank_as_the_sdk_sends_by_default_is_no_rank(clarifai_stub, library):
    # the SDK's query() defaults to ranks=[{}], which it sends as Rank(annotation=Annotation())
    found = inputs_search(clarifai_stub, search(concept_filter(("sky", 1)), ranks=[r.Rank(annotation=r.Annotation())]))
    assert hit_ids(found) == ["txt-sky"]


# -- saved searches ----------------------------------------------------------------------------------
def post_searches(stub, *searches, **params):
    return stub.PostSearches(service_pb2.PostSearchesRequest(user_app_id=MAIN, searches=searches, **params),
                             metadata=OWNER)  # fmt: skip


def test_a_saved_search_is_stored_without_running_then_got_listed_and_deleted(clarifai_stub, clarifai_fake, library):
    saved = ok(post_searches(clarifai_stub, search(concept_filter(("water", 1)), id="wet", save=True)))
    assert (list(saved.hits), saved.searches[0].id, saved.searches[0].application_id) == ([], "wet", "main")
    got = ok(clarifai_stub.GetSearch(service_pb2.GetSearchRequest(user_app_id=MAIN, id="wet"), metadata=OWNER))
    assert got.search == saved.searches[0]
    listed = ok(clarifai_stub.ListSearches(service_pb2.ListSearchesRequest(user_app_id=MAIN), metadata=OWNER))
    assert [s.id for s in listed.searches] == ["wet"]
    ok(clarifai_stub.DeleteSearch(service_pb2.DeleteSearchRequest(user_app_id=MAIN, id="wet"), metadata=OWNER))
    assert clarifai_fake.store.app("owner", "main").searches == {}
    # without save, PostSearches runs the search; so it does for the deprecated request-level `query`
    # (clarifai-python-grpc's test_input_search_legacy still sends it)
    assert hit_ids(post_searches(clarifai_stub, search(concept_filter(("water", 1))))) == ["img-wet"]
    legacy = service_pb2.PostSearchesRequest(user_app_id=MAIN, query=r.Query(filters=[concept_filter(("sky", 1))]))
    assert hit_ids(clarifai_stub.PostSearches(legacy, metadata=OWNER)) == ["txt-sky"]


@pytest.mark.parametrize(
    ("method", "request_message", "code", "details"),
    [
        ("PostSearches", service_pb2.PostSearchesRequest(searches=[search(id="wet", save=True)]),
         Code.CONN_INVALID_REQUEST, "searches[0].id 'wet' already exists in the app"),
        ("PostSearches", service_pb2.PostSearchesRequest(searches=[search(save=True)]), Code.CONN_INVALID_REQUEST,
         "searches[0].id is empty"),
        ("PostSearches", service_pb2.PostSearchesRequest(query=r.Query(), searches=[search()]),
         Code.CONN_INVALID_REQUEST, "query and searches are both set: send the search in searches[0] only"),
        ("GetSearch", service_pb2.GetSearchRequest(id="nope"), Code.CONN_DOES_NOT_EXIST,
         "saved search 'nope' does not exist"),
        ("DeleteSearch", service_pb2.DeleteSearchRequest(id=""), Code.CONN_INVALID_REQUEST, "id is empty"),
    ],
    ids=["existing id", "no id", "query and searches", "unknown get", "empty delete"],
)  # fmt: skip
def test_saved_search_refusals_change_nothing(clarifai_stub, clarifai_fake, method, request_message, code, details):
    ok(post_searches(clarifai_stub, search(id="wet", save=True)))
    request_message.user_app_id.CopyFrom(MAIN)
    with unchanged(clarifai_fake):
        assert_error(getattr(clarifai_stub, method)(request_message, metadata=OWNER), code, details)


# -- SAVED_SEARCH tasks ------------------------------------------------------------------------------
def saved_search_task(strategy: int) -> r.Task:
    task = r.Task(
        type=r.Task.CONCEPTS_CLASSIFICATION,
        input_source=TaskInputSource(type=TaskInputSource.SAVED_SEARCH, id="wet"),
        concepts=[r.TaskConcept(concept=r.Concept(id="water"))],
        review=r.TaskReview(strategy=r.TaskReview.NONE),
    )
    task.worker.strategy = strategy
    task.worker.workers.append(r.Worker(user=r.User(id="labeler-1")))
    return task


@pytest.mark.parametrize("strategy", [r.TaskWorker.PARTITIONED, r.TaskWorker.DYNAMIC], ids=["PARTITIONED", "DYNAMIC"])
def test_a_saved_search_task_draws_the_inputs_the_search_selects(clarifai_stub, clarifai_fake, library, strategy):
    ok(post_searches(clarifai_stub, search(concept_filter(("water", 1)), id="wet", save=True)))
    request = service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[saved_search_task(strategy)])
    created = ok(clarifai_stub.PostTasks(request, metadata=OWNER)).tasks[0]
    later = [r.Input(id="img-wet-2", data=r.Data(image=r.Image(url="https://x.test/w2.jpg"),
                                               concepts=[r.Concept(id="water", value=1)])),
             r.Input(id="img-other", data=r.Data(image=r.Image(url="https://x.test/o.jpg")))]  # fmt: skip
    ok(clarifai_stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=later), metadata=OWNER))
    start = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id=created.id, action=service_pb2.LABEL_START)
    batch = ok(clarifai_stub.PutTaskAssignments(start, metadata=clarifai_fake.metadata("labeler-1-pat")))
    # PARTITIONED keeps what creation dealt; DYNAMIC also draws matching inputs added later [BEHAVIOUR.md §5, policy]
    expected = ["img-wet"] if strategy == r.TaskWorker.PARTITIONED else ["img-wet", "img-wet-2"]
    assert [a.input.id for a in batch.task_assignments] == expected
    check_invariants(clarifai_fake)


def test_a_task_naming_an_unknown_saved_search_is_refused(clarifai_stub, clarifai_fake):
    with unchanged(clarifai_fake):
        response = clarifai_stub.PostTasks(service_pb2.PostTasksRequest(
            user_app_id=MAIN, tasks=[saved_search_task(r.TaskWorker.DYNAMIC)]), metadata=OWNER)  # fmt: skip
    assert_error(response, Code.CONN_INVALID_REQUEST, "tasks[0].input_source.id 'wet' is not a saved search of the app")
