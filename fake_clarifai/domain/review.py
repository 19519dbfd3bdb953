"""BEHAVIOUR.md §6: the labeling and review lifecycle as pure functions of states and labels.

An assignment starts `TASK_ASSIGNMENT_PENDING`. LABEL_SUBMIT moves it by the task's review strategy:
NONE → SUCCESS, MANUAL → AWAITING_REVIEW, CONSENSUS → AWAITING_CONSENSUS_REVIEW (AWAITING_REVIEW when
labeler consensus is disabled). A reviewer decides only assignments AWAITING_REVIEW: approve → SUCCESS,
reject → REJECTED, request changes → PENDING; under stacked review an approval counts only once every
reviewer approved (`reviews_after`). CONSENSUS inputs settle by agreement (`settle`).
Task annotations follow their assignment's state (`ANNOTATION_STATE`), except that a settled consensus
accepts the agreeing labelers' annotations and denies the others.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.domain.review_policy import (  # the assignment states, defined once, re-exported here
    AWAITING_CONSENSUS_REVIEW as AWAITING_CONSENSUS_REVIEW,
)
from fake_clarifai.domain.review_policy import AWAITING_REVIEW as AWAITING_REVIEW
from fake_clarifai.domain.review_policy import PENDING as PENDING
from fake_clarifai.domain.review_policy import POLICIES
from fake_clarifai.domain.review_policy import REJECTED as REJECTED
from fake_clarifai.domain.review_policy import REVIEW_DISMISSED as REVIEW_DISMISSED
from fake_clarifai.domain.review_policy import REVIEW_PENDING as REVIEW_PENDING
from fake_clarifai.domain.review_policy import REVIEW_SUCCESS as REVIEW_SUCCESS
from fake_clarifai.domain.review_policy import SUCCESS as SUCCESS
from fake_clarifai.errors import Code

NONE = resources_pb2.TaskReview.NONE
MANUAL = resources_pb2.TaskReview.MANUAL
CONSENSUS = resources_pb2.TaskReview.CONSENSUS

ANNOTATION_STATE: dict[int, int] = {
    PENDING: Code.ANNOTATION_PENDING,
    AWAITING_REVIEW: Code.ANNOTATION_AWAITING_REVIEW,
    AWAITING_CONSENSUS_REVIEW: Code.ANNOTATION_AWAITING_CONSENSUS_REVIEW,
    SUCCESS: Code.ANNOTATION_SUCCESS,
    REJECTED: Code.ANNOTATION_REVIEW_DENIED,
}


class Decision(enum.Enum):
    """A reviewer's verdict on an assignment awaiting review, and the state it leads to."""

    APPROVE = SUCCESS
    REQUEST_CHANGES = PENDING
    REJECT = REJECTED


class IllegalTransition(Exception):
    """The assignment's state does not allow the step (the service answers TASK_CONFLICT)."""

    def __init__(self, state: int, expected: int) -> None:
        super().__init__(f"it is {Code.Name(state)}, not {Code.Name(expected)}")
        self.state = state


def submit(state: int, task_review: resources_pb2.TaskReview) -> int:
    """The state LABEL_SUBMIT gives a PENDING assignment of a task with `task_review` (strategy NOT_SET means
    NONE), by its policy (`review_policy.POLICIES`)."""
    if state != PENDING:
        raise IllegalTransition(state, PENDING)
    return POLICIES[task_review.strategy].on_submit(task_review)


def decide(state: int, decision: Decision) -> int:
    """The state a reviewer's `decision` gives an assignment; only AWAITING_REVIEW ones can be decided."""
    if state != AWAITING_REVIEW:
        raise IllegalTransition(state, AWAITING_REVIEW)
    return decision.value


# -- per-reviewer reviews ----------------------------------------------------------------------


def open_reviews(reviewers: Sequence[str], stacked: bool, turn: int) -> dict[str, int]:
    """The review records of an assignment that just became reviewable (reviewer -> REVIEW_PENDING).

    Stacked review: every reviewer reviews it [doc: labeling UI, create task]. Evenly distributed review:
    one reviewer, in turn (`turn` counts the assignments distributed so far; the fake's policy for "evenly
    partitioned" [doc: Review page]), so n reviewers get every n-th submission. No reviewers: no records.
    """
    if not reviewers:
        return {}
    if stacked:
        return dict.fromkeys(reviewers, REVIEW_PENDING)
    return {reviewers[turn % len(reviewers)]: REVIEW_PENDING}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a reviewer's decision does: the assignment's new state (None: it keeps awaiting the other
    reviewers) and its review records afterwards."""

    state: int | None
    reviews: dict[str, int]


def reviews_after(reviews: Mapping[str, int], reviewer: str, decision: Decision, stacked: bool) -> Verdict:
    """`reviewer` decides an assignment awaiting review whose records are `reviews` [proto TaskReviewMetrics].

    Request changes: the work goes back to its labeler and every review of it is dismissed, the requester's
    too (it is disregarded). Reject: final; the reviewer's review succeeds, pending ones are dismissed.
    Approve: the reviewer's review succeeds; under stacked review the assignment is approved only when no
    other review is pending, else pending reviews of others are dismissed (one approval is enough).
    """
    if decision is Decision.REQUEST_CHANGES:
        return Verdict(PENDING, dict.fromkeys(reviews, REVIEW_DISMISSED))
    done = {**reviews, reviewer: REVIEW_SUCCESS}
    if decision is Decision.APPROVE and stacked and REVIEW_PENDING in done.values():
        return Verdict(None, done)
    return Verdict(decision.value, {r: REVIEW_DISMISSED if s == REVIEW_PENDING else s for r, s in done.items()})


def dismissed(reviews: Mapping[str, int], keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """`reviews` with every pending review by a reviewer not in `keep` dismissed."""
    return {r: REVIEW_DISMISSED if s == REVIEW_PENDING and r not in keep else s for r, s in reviews.items()}


def reviews_synced(reviews: Mapping[str, int], reviewers: Sequence[str], stacked: bool, turn: int) -> dict[str, int]:
    """The records of an assignment awaiting review after its task's reviewers changed [policy]: pending
    reviews of removed reviewers are dismissed; stacked, each reviewer who has not approved it gets a pending
    review; an
    assignment left with no pending review is opened again (stacked: to every reviewer; distributed: to
    the reviewer whose `turn` it is), since nobody could decide it otherwise."""
    synced = dismissed(reviews, frozenset(reviewers))
    if stacked:
        synced = {**synced, **{r: REVIEW_PENDING for r in reviewers if synced.get(r) != REVIEW_SUCCESS}}
        return synced if REVIEW_PENDING in synced.values() else {**synced, **open_reviews(reviewers, stacked, turn)}
    waiting = [r for r in reviewers if synced.get(r) == REVIEW_PENDING]
    if waiting:  # distributed: one reviewer keeps it (the first in order), the others' reviews are dismissed
        return dismissed(synced, frozenset(waiting[:1]))
    return {**synced, **open_reviews(reviewers, stacked, turn)}


def per_reviewer_metrics(
    reviewers: Sequence[str], reviews: Iterable[tuple[str, Mapping[str, int]]]
) -> tuple[list[int], list[int], list[int]]:
    """`metrics.review`'s per-reviewer lists, in the order of `reviewers` [proto TaskReviewMetrics]: inputs
    each reviewer approved or rejected; inputs available to it (a review record not dismissed); the first as
    a whole percent of the second (0 when nothing is available)."""
    done = {r: set() for r in reviewers}
    available = {r: set() for r in reviewers}
    for input_id, records in reviews:
        for reviewer, state in records.items():
            if reviewer in done and state != REVIEW_DISMISSED:
                available[reviewer].add(input_id)
                if state == REVIEW_SUCCESS:
                    done[reviewer].add(input_id)
    counts = [len(done[r]) for r in reviewers]
    sizes = [len(available[r]) for r in reviewers]
    return counts, sizes, [min(100, c * 100 // n) if n else 0 for c, n in zip(counts, sizes, strict=True)]


# -- CONSENSUS ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Labeler:
    """One assignment on a CONSENSUS input: its state and the concept ids its annotations give (value > 0)."""

    assignment_id: str
    state: int
    labels: frozenset[str]


@dataclass(frozen=True, slots=True)
class Change:
    """Where `settle` moves an assignment, and the state of that labeler's annotations on the input."""

    state: int
    annotation_state: int


@dataclass(frozen=True, slots=True)
class Settlement:
    agreed: frozenset[str] | None  # the labels N labelers agreed on, once settled
    changes: dict[str, Change]  # assignment id -> its new state


OPEN_TO_CONSENSUS = (AWAITING_CONSENSUS_REVIEW, AWAITING_REVIEW)


def settle(
    labelers: Sequence[Labeler], threshold: int, expected_labelers: int, agreed: frozenset[str] | None
) -> Settlement:
    """The CONSENSUS rule for one input, evaluated after each submission on it.

    `agreed` is what an earlier evaluation settled on (None if unsettled). Unsettled, the input settles
    as soon as `threshold` submitted labelers carry the same labels; the service calls this after every
    submission, and one submission adds one labeler, so at most one label set can newly reach the
    threshold (given several, the most voted wins, ties by labeler order). Settled, every submitted
    assignment still awaiting a verdict → SUCCESS; its annotations are accepted if its labels are the
    agreed ones, else denied. Unsettled with all `expected_labelers` submitted → the ones awaiting
    consensus go to AWAITING_REVIEW for the reviewers. Reviewer-decided and PENDING assignments never change.
    """
    if agreed is None:
        votes = Counter(labeler.labels for labeler in labelers if labeler.state != PENDING)
        reached = [labels for labels, count in votes.most_common() if count >= threshold]
        agreed = reached[0] if reached else None
    if agreed is not None:
        changes = {
            labeler.assignment_id: Change(
                SUCCESS, Code.ANNOTATION_SUCCESS if labeler.labels == agreed else Code.ANNOTATION_REVIEW_DENIED
            )
            for labeler in labelers
            if labeler.state in OPEN_TO_CONSENSUS
        }
        return Settlement(agreed, changes)
    everyone_submitted = len(labelers) >= expected_labelers and all(labeler.state != PENDING for labeler in labelers)
    if not everyone_submitted:
        return Settlement(None, {})
    to_review = Change(AWAITING_REVIEW, ANNOTATION_STATE[AWAITING_REVIEW])
    return Settlement(
        None, {labeler.assignment_id: to_review for labeler in labelers if labeler.state == AWAITING_CONSENSUS_REVIEW}
    )


COUNT_FIELDS = ("pending", "awaiting_review", "success", "review_denied", "awaiting_consensus_review")

ASSIGNMENT_COUNT_FIELD: dict[int, str] = {
    PENDING: "pending",
    AWAITING_REVIEW: "awaiting_review",
    SUCCESS: "success",
    REJECTED: "review_denied",
    AWAITING_CONSENSUS_REVIEW: "awaiting_consensus_review",
}
ANNOTATION_COUNT_FIELD: dict[int, str] = {ANNOTATION_STATE[s]: name for s, name in ASSIGNMENT_COUNT_FIELD.items()}


def counts_per_worker(
    workers: Sequence[str], tallies: Iterable[tuple[str, int, int]], field_of_state: Mapping[int, str]
) -> dict[str, dict[str, int]]:
    """Sum `(worker, state, count)` tallies into the five count fields, for each of `workers`.

    Every worker gets all five fields (zero when nothing counts); tallies of other workers, or of states
    without a field, are ignored.
    """
    counts = {worker: dict.fromkeys(COUNT_FIELDS, 0) for worker in workers}
    for worker, state, count in tallies:
        field_name = field_of_state.get(state)
        if field_name is not None and worker in counts:
            counts[worker][field_name] += count
    return counts
