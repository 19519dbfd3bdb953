"""Concepts over the wire: PostConcepts, GetConcept, ListConcepts, PatchConcepts (BEHAVIOUR.md §3)."""

from __future__ import annotations

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, outsider_is_refused, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.struct_pb2 import Struct

Concept = resources_pb2.Concept


def post(stub, *concepts):
    return stub.PostConcepts(service_pb2.PostConceptsRequest(user_app_id=MAIN, concepts=concepts), metadata=OWNER)


def get(stub, concept_id):
    return stub.GetConcept(service_pb2.GetConceptRequest(user_app_id=MAIN, concept_id=concept_id), metadata=OWNER)


def listed_ids(stub, **params) -> list[str]:
    response = ok(stub.ListConcepts(service_pb2.ListConceptsRequest(user_app_id=MAIN, **params), metadata=OWNER))
    return [c.id for c in response.concepts]


def patch(stub, action, *concepts):
    request = service_pb2.PatchConceptsRequest(user_app_id=MAIN, action=action, concepts=concepts)
    return stub.PatchConcepts(request, metadata=OWNER)


def metadata(**values) -> Struct:
    struct = Struct()
    struct.update(values)
    return struct


def test_posted_concepts_are_stored_and_read_back(clarifai_stub):
    response = ok(post(clarifai_stub, Concept(id="boat", name="Boat"), Concept(id="tree")))
    assert [(c.id, c.name, c.app_id, c.user_id) for c in response.concepts] == [
        ("boat", "Boat", "main", "owner"),
        ("tree", "tree", "main", "owner"),
    ]
    assert response.concepts[0].created_at.seconds > 0
    assert ok(get(clarifai_stub, "boat")).concept == response.concepts[0]
    assert listed_ids(clarifai_stub) == ["water", "sky", "boat", "tree"]


def test_list_pages_in_creation_order_and_filters_by_id_fragment(clarifai_stub):
    ok(post(clarifai_stub, *(Concept(id=f"c{n}") for n in range(5))))
    everything = ["water", "sky", "c0", "c1", "c2", "c3", "c4"]
    pages = [listed_ids(clarifai_stub, page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert pages == [everything[0:3], everything[3:6], everything[6:], []]
    assert listed_ids(clarifai_stub, page=0, per_page=3) == pages[0]
    assert listed_ids(clarifai_stub, id="WAT") == ["water"]
    assert listed_ids(clarifai_stub, id="c", page=2, per_page=2) == ["c2", "c3"]


def test_page_size_defaults_to_128_and_is_capped_at_1000(clarifai_stub):
    ok(post(clarifai_stub, *(Concept(id=f"c{n:04}") for n in range(1001))))
    everything = ["water", "sky", *(f"c{n:04}" for n in range(1001))]
    assert listed_ids(clarifai_stub) == everything[:128]
    assert listed_ids(clarifai_stub, page=2) == everything[128:256]
    assert listed_ids(clarifai_stub, per_page=5000) == everything[:1000]
    assert listed_ids(clarifai_stub, page=2, per_page=5000) == everything[1000:]


def test_patch_overwrite_replaces_editable_fields_and_merge_changes_only_given_ones(clarifai_stub):
    ok(post(clarifai_stub, Concept(id="boat", name="Boat", definition="floats", metadata=metadata(a=1, b=2))))
    merged = ok(patch(clarifai_stub, "merge", Concept(id="boat", metadata=metadata(b=3, c=4)))).concepts[0]
    assert (merged.name, merged.definition, dict(merged.metadata)) == ("Boat", "floats", {"a": 1, "b": 3, "c": 4})
    overwritten = ok(patch(clarifai_stub, "overwrite", Concept(id="boat", name="Ship"))).concepts[0]
    assert (overwritten.name, overwritten.definition, dict(overwritten.metadata)) == ("Ship", "", {})
    stored = ok(get(clarifai_stub, "boat")).concept
    assert stored == overwritten
    assert (stored.app_id, stored.user_id, stored.created_at) == ("main", "owner", merged.created_at)


def test_overwrite_without_a_name_names_the_concept_after_its_id(clarifai_stub):
    assert ok(patch(clarifai_stub, "overwrite", Concept(id="water"))).concepts[0].name == "water"


@pytest.mark.parametrize(
    ("concepts", "details"),
    [
        ([Concept(id="boat"), Concept(id="water")], "concepts[1].id 'water' already exists in the app"),
        ([Concept(id="boat"), Concept(id="boat")], "concepts[1].id 'boat' appears twice in the request"),
        ([Concept(id="boat"), Concept(name="no id")], "concepts[1].id is empty"),
    ],
    ids=["existing id", "repeated id", "empty id"],
)
def test_a_batch_with_one_bad_concept_stores_nothing(clarifai_stub, clarifai_fake, concepts, details):
    with unchanged(clarifai_fake):
        assert_error(post(clarifai_stub, *concepts), Code.CONCEPTS_INVALID_REQUEST, details)
    assert_error(get(clarifai_stub, "boat"), Code.CONN_DOES_NOT_EXIST, "concept 'boat' does not exist")


def test_get_unknown_or_empty_id(clarifai_stub):
    assert_error(get(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "concept 'nope' does not exist")
    assert get(clarifai_stub, "nope").status.description == "Resource does not exist"
    assert_error(get(clarifai_stub, ""), Code.CONCEPTS_INVALID_REQUEST, "concept_id is empty")


@pytest.mark.parametrize(
    ("action", "concepts", "code", "details"),
    [
        (
            "overwrite",
            [Concept(id="water", name="W"), Concept(id="nope")],
            Code.CONN_DOES_NOT_EXIST,
            "concept 'nope' does not exist",
        ),
        (
            "overwrite",
            [Concept(id="water", name="W"), Concept(name="x")],
            Code.CONCEPTS_INVALID_REQUEST,
            "concepts[1].id is empty",
        ),
        (
            "merge",
            [Concept(id="water", name="W"), Concept(id="water", name="V")],
            Code.CONCEPTS_INVALID_REQUEST,
            "concepts[1].id 'water' appears twice in the request",
        ),
        (
            "remove",
            [Concept(id="water", name="W")],
            Code.CONCEPTS_INVALID_REQUEST,
            "action 'remove' is not supported: use one of merge, overwrite",
        ),
        (
            "",
            [Concept(id="water", name="W")],
            Code.CONCEPTS_INVALID_REQUEST,
            "action '' is not supported: use one of merge, overwrite",
        ),
    ],
    ids=["unknown id", "empty id", "repeated id", "unsupported action", "no action"],
)
def test_a_bad_patch_changes_nothing(clarifai_stub, clarifai_fake, action, concepts, code, details):
    with unchanged(clarifai_fake):
        assert_error(patch(clarifai_stub, action, *concepts), code, details)


@pytest.mark.parametrize("method", ["PostConcepts", "GetConcept", "ListConcepts", "PatchConcepts"])
def test_outsider_is_refused(clarifai_fake, clarifai_stub, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)
