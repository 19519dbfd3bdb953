"""The pure lifecycle rules (BEHAVIOUR.md §6): transitions, per-reviewer reviews, CONSENSUS settlement, counts."""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2
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
    REVIEW_DISMISSED,
    REVIEW_PENDING,
    REVIEW_SUCCESS,
    SUCCESS,
    Decision,
    IllegalTransition,
    Labeler,
)
from fake_clarifai.errors import Code

TaskReview = resources_pb2.TaskReview
ASSIGNMENT_STATES = [PENDING, AWAITING_REVIEW, AWAITING_CONSENSUS_REVIEW, SUCCESS, REJECTED]
STRATEGIES = [0, NONE, MANUAL, CONSENSUS]
ids = st.text("0123456789abcdef", min_size=1, max_size=32)
decisions = st.sampled_from(Decision)
worker_ids = st.sampled_from(["a", "b", "c", "d"])
label_sets = st.sampled_from([frozenset(), frozenset({"water"}), frozenset({"sky"}), frozenset({"water", "sky"})])


# -- transitions -------------------------------------------------------------------------------


def task_review(strategy: int, labelers: int = 2, reviewers: int = 0) -> TaskReview:
    return TaskReview(
        strategy=strategy,
        consensus_strategy_info=resources_pb2.TaskReviewConsensusStrategyInfo(
            approval_threshold_labelers=labelers, approval_threshold_reviewers=reviewers
        ),
    )


@pytest.mark.parametrize(
    ("given_review", "expected"),
    [
        (task_review(0), SUCCESS),
        (task_review(NONE), SUCCESS),
        (task_review(MANUAL), AWAITING_REVIEW),  # sample_percentage is "Deprecated: Not used" [proto]
        (TaskReview(strategy=MANUAL, manual_strategy_info={"sample_percentage": 0.01}), AWAITING_REVIEW),
        (task_review(CONSENSUS, labelers=1), AWAITING_CONSENSUS_REVIEW),
        (task_review(CONSENSUS, labelers=3), AWAITING_CONSENSUS_REVIEW),
        # approval_threshold_labelers 0: labeler consensus disabled [proto TaskReviewConsensusStrategyInfo]
        (task_review(CONSENSUS, labelers=0), AWAITING_REVIEW),
    ],
)
def test_submit_moves_a_pending_assignment_by_review_strategy(given_review, expected):
    assert review.submit(PENDING, given_review) == expected


@given(state=st.sampled_from([s for s in ASSIGNMENT_STATES if s != PENDING]), strategy=st.sampled_from(STRATEGIES))
def test_only_pending_assignments_can_be_submitted(state, strategy):
    with pytest.raises(IllegalTransition) as raised:
        review.submit(state, task_review(strategy))
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
    steps=st.lists(st.sampled_from(["submit", *Decision]), max_size=12),
)
def test_every_walk_ends_in_a_state_of_the_machine_and_success_and_rejected_are_final(strategy, steps):
    state = PENDING
    for step in steps:
        before = state
        try:
            state = review.submit(state, task_review(strategy)) if step == "submit" else review.decide(state, step)
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


# -- per-reviewer reviews ----------------------------------------------------------------------

reviewer_lists = st.lists(st.sampled_from(["r1", "r2", "r3", "r4"]), min_size=1, max_size=4, unique=True)
review_records = st.dictionaries(
    st.sampled_from(["r1", "r2", "r3"]), st.sampled_from([REVIEW_PENDING, REVIEW_SUCCESS, REVIEW_DISMISSED])
)


@given(reviewers=reviewer_lists, submissions=st.integers(0, 40))
def test_evenly_distributed_review_gives_each_reviewer_every_nth_submission(reviewers, submissions):
    # Review page: labeled inputs are evenly partitioned among the reviewers
    counts = dict.fromkeys(reviewers, 0)
    for turn in range(submissions):
        opened = review.open_reviews(reviewers, stacked=False, turn=turn)
        assert list(opened.values()) == [REVIEW_PENDING]
        counts[next(iter(opened))] += 1
    assert max(counts.values()) - min(counts.values()) <= 1


@given(reviewers=reviewer_lists, turn=st.integers(0, 10))
def test_stacked_review_gives_every_reviewer_a_pending_review(reviewers, turn):
    # labeling UI docs, create task: stacked review, each reviewer reviews every input
    assert review.open_reviews(reviewers, stacked=True, turn=turn) == dict.fromkeys(reviewers, REVIEW_PENDING)
    assert review.open_reviews([], stacked=True, turn=turn) == {}


@given(records=review_records, reviewer=st.sampled_from(["r1", "r2", "r3"]), decision=decisions, stacked=st.booleans())
def test_a_decision_leaves_pending_reviews_only_when_a_stacked_approval_waits_for_others(
    records, reviewer, decision, stacked
):
    verdict = review.reviews_after(records, reviewer, decision, stacked)
    assert set(verdict.reviews) == set(records) | ({reviewer} if decision is not Decision.REQUEST_CHANGES else set())
    others_pending = any(s == REVIEW_PENDING for r, s in records.items() if r != reviewer)
    if decision is Decision.REQUEST_CHANGES:  # proto TaskReviewMetrics: a request for changes is disregarded
        assert verdict == review.Verdict(PENDING, dict.fromkeys(records, REVIEW_DISMISSED))
    elif decision is Decision.APPROVE and stacked and others_pending:
        assert verdict.state is None
        assert verdict.reviews[reviewer] == REVIEW_SUCCESS
    else:
        assert verdict.state == decision.value
        assert REVIEW_PENDING not in verdict.reviews.values()
    if decision is not Decision.REQUEST_CHANGES:
        kept = {r: s for r, s in records.items() if s != REVIEW_PENDING and r != reviewer}
        assert all(verdict.reviews[r] == s for r, s in kept.items())  # others' decided reviews stay


def test_stacked_review_approves_only_when_every_reviewer_approved():
    records = {"r1": REVIEW_PENDING, "r2": REVIEW_PENDING}
    first = review.reviews_after(records, "r1", Decision.APPROVE, stacked=True)
    assert first == review.Verdict(None, {"r1": REVIEW_SUCCESS, "r2": REVIEW_PENDING})
    assert review.reviews_after(first.reviews, "r2", Decision.APPROVE, stacked=True) == review.Verdict(
        SUCCESS, {"r1": REVIEW_SUCCESS, "r2": REVIEW_SUCCESS}
    )
    rejected = review.reviews_after(first.reviews, "r2", Decision.REJECT, stacked=True)
    assert rejected == review.Verdict(REJECTED, {"r1": REVIEW_SUCCESS, "r2": REVIEW_SUCCESS})


@given(records=review_records, reviewers=reviewer_lists, stacked=st.booleans(), turn=st.integers(0, 5))
def test_synced_reviews_are_pending_only_for_current_reviewers(records, reviewers, stacked, turn):
    synced = review.reviews_synced(records, reviewers, stacked, turn)
    pending = {r for r, s in synced.items() if s == REVIEW_PENDING}
    assert pending and pending <= set(reviewers)
    if stacked:  # every reviewer reviews it: pending, or approved in this round
        assert all(synced[r] in (REVIEW_PENDING, REVIEW_SUCCESS) for r in reviewers)
    else:  # distributed: one reviewer
        assert len(pending) == 1


def test_per_reviewer_metrics_count_inputs_by_reviewer_order():
    records = [
        ("in-1", {"r1": REVIEW_SUCCESS, "r2": REVIEW_PENDING}),
        ("in-2", {"r1": REVIEW_DISMISSED, "r2": REVIEW_SUCCESS}),
        ("in-3", {"r1": REVIEW_PENDING, "gone": REVIEW_SUCCESS}),
    ]
    assert review.per_reviewer_metrics(["r2", "r1", "r3"], records) == ([1, 1, 0], [2, 2, 0], [50, 50, 0])


# -- CONSENSUS ---------------------------------------------------------------------------------


def run_consensus(labels: list[frozenset[str]], order: list[int], threshold: int) -> tuple[dict, dict, object]:
    """Submit labelers in `order`, settling after each submission as the service does."""
    states = {str(i): PENDING for i in range(len(labels))}
    annotation_states: dict[str, int] = {}
    agreed = None
    for index in order:
        states[str(index)] = review.submit(PENDING, task_review(CONSENSUS))
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
    states["2"] = review.submit(states["2"], task_review(CONSENSUS))
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
