"""The pure lifecycle rules (BEHAVIOUR.md §6): transitions, MANUAL sampling, CONSENSUS settlement, counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.domain import review
from fake_clarifai.domain.review import (
    AWAITING_CONSENSUS_REVIEW,
    AWAITING_REVIEW,
    CONSENSUS,
    MANUAL,
    NONE,
    PENDING,
    REJECTED,
    SUCCESS,
    Decision,
    IllegalTransition,
    Labeler,
)
from fake_clarifai.errors import Code

ASSIGNMENT_STATES = [PENDING, AWAITING_REVIEW, AWAITING_CONSENSUS_REVIEW, SUCCESS, REJECTED]
STRATEGIES = [0, NONE, MANUAL, CONSENSUS]
ids = st.text("0123456789abcdef", min_size=1, max_size=32)
decisions = st.sampled_from(Decision)
worker_ids = st.sampled_from(["a", "b", "c", "d"])
label_sets = st.sampled_from([frozenset(), frozenset({"water"}), frozenset({"sky"}), frozenset({"water", "sky"})])


# -- transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "sampled", "expected"),
    [
        (0, True, SUCCESS),
        (NONE, True, SUCCESS),
        (MANUAL, True, AWAITING_REVIEW),
        (MANUAL, False, SUCCESS),
        (CONSENSUS, True, AWAITING_CONSENSUS_REVIEW),
        (CONSENSUS, False, AWAITING_CONSENSUS_REVIEW),
    ],
)
def test_submit_moves_a_pending_assignment_by_review_strategy(strategy, sampled, expected):
    assert review.submit(PENDING, strategy, sampled) == expected


@given(state=st.sampled_from([s for s in ASSIGNMENT_STATES if s != PENDING]), strategy=st.sampled_from(STRATEGIES))
def test_only_pending_assignments_can_be_submitted(state, strategy):
    with pytest.raises(IllegalTransition) as raised:
        review.submit(state, strategy, True)
    assert str(raised.value) == f"it is {Code.Name(state)}, not TASK_ASSIGNMENT_PENDING"


@pytest.mark.parametrize(
    ("decision", "expected"),
    [(Decision.APPROVE, SUCCESS), (Decision.REJECT, REJECTED), (Decision.REQUEST_CHANGES, PENDING)],
)
def test_a_reviewer_decides_an_assignment_awaiting_review(decision, expected):
    assert review.decide(AWAITING_REVIEW, decision) == expected


@given(
    state=st.sampled_from([s for s in ASSIGNMENT_STATES if s != AWAITING_REVIEW]), decision=st.sampled_from(Decision)
)
def test_only_assignments_awaiting_review_can_be_decided(state, decision):
    with pytest.raises(IllegalTransition) as raised:
        review.decide(state, decision)
    assert str(raised.value) == f"it is {Code.Name(state)}, not TASK_ASSIGNMENT_AWAITING_REVIEW"


@given(
    strategy=st.sampled_from([NONE, MANUAL]),
    sampled=st.booleans(),
    steps=st.lists(st.sampled_from(["submit", *Decision]), max_size=12),
)
def test_every_walk_ends_in_a_state_of_the_machine_and_success_and_rejected_are_final(strategy, sampled, steps):
    state = PENDING
    for step in steps:
        before = state
        try:
            state = review.submit(state, strategy, sampled) if step == "submit" else review.decide(state, step)
        except IllegalTransition:
            assert state == before
        if before in (SUCCESS, REJECTED):
            assert state == before
        assert state in ASSIGNMENT_STATES
        assert state != AWAITING_CONSENSUS_REVIEW


def test_annotation_states_follow_the_assignment():
    assert review.ANNOTATION_STATE == {
        PENDING: Code.ANNOTATION_PENDING,
        AWAITING_REVIEW: Code.ANNOTATION_AWAITING_REVIEW,
        AWAITING_CONSENSUS_REVIEW: Code.ANNOTATION_AWAITING_CONSENSUS_REVIEW,
        SUCCESS: Code.ANNOTATION_SUCCESS,
        REJECTED: Code.ANNOTATION_REVIEW_DENIED,
    }


# -- MANUAL sampling ---------------------------------------------------------------------------


@given(task_id=ids, assignment_id=ids, p=st.sampled_from([0.0, -0.5, 1.0, 1.5]))
def test_unset_or_out_of_range_sample_percentage_reviews_everything(task_id, assignment_id, p):
    assert review.sampled_for_review(task_id, assignment_id, p)


@given(task_id=ids, assignment_id=ids, p=st.floats(0, 1), q=st.floats(0, 1))
def test_sampling_is_a_pure_function_that_only_grows_with_p(task_id, assignment_id, p, q):
    low, high = sorted((p, q))
    if low > 0 and review.sampled_for_review(task_id, assignment_id, low):
        assert review.sampled_for_review(task_id, assignment_id, high)
    assert review.sampled_for_review(task_id, assignment_id, p) == review.sampled_for_review(task_id, assignment_id, p)


@given(task_id=ids, p=st.floats(0.05, 0.95))
def test_a_fraction_p_of_assignments_is_sampled(task_id, p):
    sampled = sum(review.sampled_for_review(task_id, f"{i:032x}", p) for i in range(4000))
    assert abs(sampled / 4000 - p) < 0.04  # 4000 draws: the binomial deviation is < 0.008


# -- CONSENSUS ---------------------------------------------------------------------------------


def run_consensus(labels: list[frozenset[str]], order: list[int], threshold: int) -> tuple[dict, dict, object]:
    """Submit labelers in `order`, settling after each submission as the service does."""
    states = {str(i): PENDING for i in range(len(labels))}
    annotation_states: dict[str, int] = {}
    agreed = None
    for index in order:
        states[str(index)] = review.submit(PENDING, CONSENSUS, True)
        annotation_states[str(index)] = review.ANNOTATION_STATE[states[str(index)]]
        labelers = [Labeler(str(i), states[str(i)], labels[i]) for i in range(len(labels))]
        settlement = review.settle(labelers, threshold, len(labels), agreed)
        for assignment_id, change in settlement.changes.items():
            states[assignment_id] = change.state
            annotation_states[assignment_id] = change.annotation_state
        agreed = settlement.agreed
    return states, annotation_states, agreed


def first_to_reach(labels: list[frozenset[str]], order: list[int], threshold: int) -> frozenset[str] | None:
    votes: dict[frozenset[str], int] = {}
    for index in order:
        votes[labels[index]] = votes.get(labels[index], 0) + 1
        if votes[labels[index]] >= threshold:
            return labels[index]
    return None


@st.composite
def consensus_runs(draw: st.DrawFn) -> tuple[list[frozenset[str]], list[int], int]:
    labels = draw(st.lists(label_sets, min_size=1, max_size=6))
    order = draw(st.permutations(range(len(labels))))
    submitted = draw(st.integers(0, len(labels)))
    threshold = draw(st.integers(1, len(labels) + 1))
    return labels, list(order[:submitted]), threshold


@given(consensus_runs())
def test_consensus_settles_on_the_first_labels_to_reach_the_threshold(run):
    labels, order, threshold = run
    states, annotation_states, agreed = run_consensus(labels, order, threshold)
    assert agreed == first_to_reach(labels, order, threshold)
    unsubmitted = set(states) - {str(i) for i in order}
    assert all(states[i] == PENDING for i in unsubmitted)
    for index in map(str, order):
        if agreed is not None:
            assert states[index] == SUCCESS
            accepted = labels[int(index)] == agreed
            assert annotation_states[index] == (Code.ANNOTATION_SUCCESS if accepted else Code.ANNOTATION_REVIEW_DENIED)
        elif not unsubmitted:
            assert (states[index], annotation_states[index]) == (AWAITING_REVIEW, Code.ANNOTATION_AWAITING_REVIEW)
        else:
            assert states[index] == AWAITING_CONSENSUS_REVIEW
            assert annotation_states[index] == Code.ANNOTATION_AWAITING_CONSENSUS_REVIEW


@given(
    labelers=st.lists(st.builds(Labeler, ids, st.sampled_from(ASSIGNMENT_STATES), label_sets), max_size=6),
    threshold=st.integers(1, 4),
    agreed=st.none() | label_sets,
)
def test_settle_never_touches_pending_or_decided_assignments(labelers, threshold, agreed):
    settlement = review.settle(labelers, threshold, len(labelers), agreed)
    touched = {labeler.assignment_id for labeler in labelers if labeler.state in review.OPEN_TO_CONSENSUS}
    assert set(settlement.changes) <= touched
    if agreed is not None:
        assert settlement.agreed == agreed


def test_docs_example_two_of_three_agree_and_the_input_is_approved():
    water, sky = frozenset({"water"}), frozenset({"sky"})
    states, annotation_states, agreed = run_consensus([water, sky, water], [0, 1, 2], threshold=2)
    assert agreed == water
    assert states == {"0": SUCCESS, "1": SUCCESS, "2": SUCCESS}
    assert annotation_states == {
        "0": Code.ANNOTATION_SUCCESS,
        "1": Code.ANNOTATION_REVIEW_DENIED,
        "2": Code.ANNOTATION_SUCCESS,
    }


def test_all_three_differ_goes_to_review_and_a_relabel_that_agrees_settles_it():
    water, sky, both = frozenset({"water"}), frozenset({"sky"}), frozenset({"water", "sky"})
    states, _, agreed = run_consensus([water, sky, both], [0, 1, 2], threshold=2)
    assert (agreed, set(states.values())) == (None, {AWAITING_REVIEW})
    states["2"] = review.decide(states["2"], Decision.REQUEST_CHANGES)
    assert review.settle([Labeler("2", PENDING, both)], 2, 3, None).changes == {}
    states["2"] = review.submit(states["2"], CONSENSUS, True)
    labelers = [Labeler("0", states["0"], water), Labeler("1", states["1"], sky), Labeler("2", states["2"], water)]
    settlement = review.settle(labelers, 2, 3, None)
    assert settlement.agreed == water
    assert settlement.changes == {
        "0": review.Change(SUCCESS, Code.ANNOTATION_SUCCESS),
        "1": review.Change(SUCCESS, Code.ANNOTATION_REVIEW_DENIED),
        "2": review.Change(SUCCESS, Code.ANNOTATION_SUCCESS),
    }


def test_an_input_waits_for_labelers_not_yet_handed_it():
    submitted = [Labeler("0", AWAITING_CONSENSUS_REVIEW, frozenset({"water"}))]
    assert review.settle(submitted, threshold=2, expected_labelers=3, agreed=None).changes == {}
    to_review = review.settle(submitted, threshold=2, expected_labelers=1, agreed=None).changes
    assert to_review == {"0": review.Change(AWAITING_REVIEW, Code.ANNOTATION_AWAITING_REVIEW)}


# -- counts ------------------------------------------------------------------------------------


def test_counts_per_worker_sums_tallies_into_the_five_fields():
    tallies = [
        ("labeler-1", PENDING, 2),
        ("labeler-1", SUCCESS, 1),
        ("labeler-1", PENDING, 1),
        ("labeler-2", REJECTED, 4),
        ("labeler-2", AWAITING_CONSENSUS_REVIEW, 1),
        ("outsider", SUCCESS, 9),
        ("labeler-2", Code.TASK_ASSIGNMENT_REVIEW_PENDING, 7),
    ]
    counts = review.counts_per_worker(["labeler-1", "labeler-2", "labeler-3"], tallies, review.ASSIGNMENT_COUNT_FIELD)
    zero = dict.fromkeys(review.COUNT_FIELDS, 0)
    assert counts == {
        "labeler-1": {**zero, "pending": 3, "success": 1},
        "labeler-2": {**zero, "review_denied": 4, "awaiting_consensus_review": 1},
        "labeler-3": zero,
    }


@given(
    workers=st.lists(worker_ids, unique=True),
    tallies=st.lists(
        st.tuples(
            worker_ids,
            st.sampled_from(list(review.ANNOTATION_STATE.values())),
            st.integers(0, 5),
        )
    ),
)
def test_counts_keep_every_worker_and_every_counted_item(workers, tallies):
    counts = review.counts_per_worker(workers, tallies, review.ANNOTATION_COUNT_FIELD)
    assert list(counts) == workers
    assert all(set(fields) == set(review.COUNT_FIELDS) for fields in counts.values())
    for worker in workers:
        assert sum(counts[worker].values()) == sum(n for w, _, n in tallies if w == worker)
