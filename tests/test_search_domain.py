"""The pure filter engine of searches (`fake_clarifai.domain.search`), by properties."""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2 as r
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.domain.search import Candidate, contains, selects, unsupported_rank

CONCEPTS = ("water", "sky", "tree")
scalars = st.one_of(st.sampled_from(["a", "b"]), st.integers(0, 2), st.booleans())


@st.composite
def metadata(draw) -> dict:
    return draw(st.dictionaries(st.sampled_from(["k1", "k2"]), st.one_of(scalars, st.dictionaries(
        st.sampled_from(["n1", "n2"]), scalars, max_size=2)), max_size=2))  # fmt: skip


def data(concepts: list[tuple[str, float]], meta: dict, kind: str) -> r.Data:
    result = r.Data(concepts=[r.Concept(id=c, value=v) for c, v in concepts])
    result.metadata.update(meta)
    getattr(result, kind).SetInParent()
    return result


concept_lists = st.lists(st.tuples(st.sampled_from(CONCEPTS), st.sampled_from([0.0, 1.0])), max_size=3)
kinds = st.sampled_from(["image", "text", "video"])


@st.composite
def candidates(draw) -> Candidate:
    item = r.Input(id="in", data=data(draw(concept_lists), draw(metadata()), draw(kinds)))
    return Candidate(item, draw(st.lists(st.sampled_from(["ds-1", "ds-2"]), unique=True)), [item.data])


@st.composite
def filters(draw) -> r.Filter:
    wanted = r.Data(concepts=[r.Concept(id=c, value=v) for c, v in draw(concept_lists)])
    wanted.metadata.update(draw(metadata()))
    given_input = r.Input(dataset_ids=draw(st.lists(st.sampled_from(["ds-1", "ds-2"]), max_size=1)))
    for kind in draw(st.lists(kinds, max_size=2)):
        getattr(given_input.data, kind).SetInParent()
    return r.Filter(annotation=r.Annotation(data=wanted), input=given_input, negate=draw(st.booleans()))


@given(candidates(), filters(), filters())
def test_filters_are_anded_and_negate_flips_one(candidate, first, second):
    both = selects(r.Query(filters=[first, second]), candidate)
    assert both == (selects(r.Query(filters=[first]), candidate) and selects(r.Query(filters=[second]), candidate))
    flipped = r.Filter()
    flipped.CopyFrom(first)
    flipped.negate = not first.negate
    assert selects(r.Query(filters=[flipped]), candidate) != selects(r.Query(filters=[first]), candidate)


@given(candidates())
def test_no_filter_selects_everything_and_an_input_matches_its_own_labels(candidate):
    assert selects(r.Query(), candidate)
    own = r.Filter(annotation=r.Annotation(data=r.Data(concepts=candidate.input.data.concepts[:1])))
    own.annotation.data.metadata.CopyFrom(candidate.input.data.metadata)
    assert selects(r.Query(filters=[own]), candidate)


@given(metadata(), metadata())
def test_metadata_containment_is_reflexive_and_an_added_key_breaks_it(have, extra):
    stored = r.Data()
    stored.metadata.update(have)
    assert contains(stored.metadata, stored.metadata)
    wanted = r.Data()
    wanted.metadata.update({**have, "only-wanted": 1})
    assert not contains(stored.metadata, wanted.metadata)


def test_an_empty_rank_is_no_rank_and_a_real_one_is_named():
    empty = r.Query(ranks=[r.Rank(annotation=r.Annotation())])
    assert unsupported_rank(empty) is None
    real = r.Query(ranks=[r.Rank(), r.Rank(annotation=r.Annotation(data=r.Data(text=r.Text(raw="q"))))])
    assert unsupported_rank(real) == 1
