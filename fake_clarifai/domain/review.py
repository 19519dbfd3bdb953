"""BEHAVIOUR.md §6: the labeling and review lifecycle as pure functions of states and labels.

An assignment starts `TASK_ASSIGNMENT_PENDING`. LABEL_SUBMIT moves it by the task's review strategy:
NONE → SUCCESS, MANUAL → AWAITING_REVIEW (or SUCCESS when the sample skips it), CONSENSUS →
AWAITING_CONSENSUS_REVIEW. A reviewer decides only assignments AWAITING_REVIEW: approve → SUCCESS,
reject → REJECTED, request changes → PENDING. CONSENSUS inputs settle by agreement (`settle`).
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
from fake_clarifai.domain.review_policy import SUCCESS as SUCCESS
from fake_clarifai.domain.review_policy import sampled_for_review as sampled_for_review
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


def submit(state: int, strategy: int, sampled: bool) -> int:
    """The state LABEL_SUBMIT gives a PENDING assignment under review `strategy` (NOT_SET means NONE), by its
    policy (`review_policy.POLICIES`)."""
    if state != PENDING:
        raise IllegalTransition(state, PENDING)
    return POLICIES[strategy].submitted(sampled)


def decide(state: int, decision: Decision) -> int:
    """The state a reviewer's `decision` gives an assignment; only AWAITING_REVIEW ones can be decided."""
    if state != AWAITING_REVIEW:
        raise IllegalTransition(state, AWAITING_REVIEW)
    return decision.value


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
