"""One review policy per review strategy (docs/BEHAVIOUR.md §4, §6), looked up from `POLICIES`.

A policy says what its strategy checks in a task definition (`validate`), where LABEL_SUBMIT moves a
pending assignment (`on_submit`), whether submissions settle by agreement (`settles`, with the `threshold`
worked out here once) and what reviewers decide (`reviewable`: assignments in that state). The services
and the validator ask the policy of the task; no other module tests the review strategy. A new review
strategy is a new `ReviewPolicy` subclass and its row in `POLICIES`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.errors import Code, invalid

TaskReview = resources_pb2.TaskReview

PENDING = Code.TASK_ASSIGNMENT_PENDING
AWAITING_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_REVIEW
AWAITING_CONSENSUS_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW
SUCCESS = Code.TASK_ASSIGNMENT_SUCCESS
REJECTED = Code.TASK_ASSIGNMENT_REJECTED

MAX_THRESHOLD = 2**31 - 1  # [policy] uint32 on the wire; a count of labelers beyond int32 is a client's bug


def sampled_for_review(task_id: str, assignment_id: str, sample_percentage: float) -> bool:
    """MANUAL sampling: whether this assignment needs a reviewer.

    A pure function: the first 8 bytes of sha256("<task id>/<assignment id>") read as a fraction of 2**64
    are compared with `sample_percentage`, so a fraction p of assignments is sampled, the same ones on every
    run with the same ids (ids are deterministic under an id seed), and raising p only adds to the sample.
    p <= 0 (unset) or p >= 1 means every assignment is reviewed.
    """
    if not 0 < sample_percentage < 1:
        return True
    digest = hashlib.sha256(f"{task_id}/{assignment_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < sample_percentage * 2**64


class ReviewPolicy:
    """NONE: no reviewers needed, a submission is accepted at once."""

    strategy: int = TaskReview.NONE
    needs_reviewers = False
    settles = False  # whether each submission is followed by the CONSENSUS settlement (`threshold`)
    reviewable = AWAITING_REVIEW  # the state of the assignments reviewers take and decide

    @property
    def name(self) -> str:
        return TaskReview.TaskReviewStrategy.Name(self.strategy)

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        """Check the strategy's part of a task's `review` (called `where` in errors)."""
        if self.needs_reviewers and not reviewers:
            raise invalid(f"{where}.users is empty: review strategy {self.name} needs at least one reviewer")

    def submitted(self, sampled: bool) -> int:
        """The state a submitted pending assignment goes to (`sampled`: MANUAL's sample picked it)."""
        return SUCCESS

    def on_submit(self, task: resources_pb2.Task, assignment_id: str) -> int:
        """The state LABEL_SUBMIT gives the task's pending assignment `assignment_id`."""
        return self.submitted(False)

    def threshold(self, review: resources_pb2.TaskReview) -> int:
        """How many agreeing labelers settle an input (only for a policy that `settles`)."""
        raise NotImplementedError(f"review strategy {self.name} does not settle by agreement")


class ManualReview(ReviewPolicy):
    """MANUAL: a sample of the submissions (by `sample_percentage`) waits for a reviewer's decision."""

    strategy = TaskReview.MANUAL
    needs_reviewers = True

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        super().validate(review, reviewers, where)
        sample = review.manual_strategy_info.sample_percentage
        if not 0 <= sample <= 1:
            raise invalid(f"{where}.manual_strategy_info.sample_percentage {sample:g} is outside [0, 1]")

    def submitted(self, sampled: bool) -> int:
        return AWAITING_REVIEW if sampled else SUCCESS

    def on_submit(self, task: resources_pb2.Task, assignment_id: str) -> int:
        sample = task.review.manual_strategy_info.sample_percentage
        return self.submitted(sampled_for_review(task.id, assignment_id, sample))


class ConsensusReview(ReviewPolicy):
    """CONSENSUS: submissions wait for agreement among the labelers (`review.settle`); an input whose
    labelers all submitted without agreeing goes to the reviewers."""

    strategy = TaskReview.CONSENSUS
    needs_reviewers = True
    settles = True

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        super().validate(review, reviewers, where)
        info = review.consensus_strategy_info
        for name in ("approval_threshold_labelers", "approval_threshold"):
            if getattr(info, name) > MAX_THRESHOLD:
                raise invalid(
                    f"{where}.consensus_strategy_info.{name} {getattr(info, name)} is out of range: "
                    f"a number of labelers is at most {MAX_THRESHOLD}"
                )
        if self.threshold(review) < 1:
            raise invalid(
                f"{where}.consensus_strategy_info.approval_threshold_labelers is {info.approval_threshold_labelers} "
                f"(approval_threshold {info.approval_threshold}): CONSENSUS needs an approval threshold of at least 1"
            )
        if info.approval_threshold_reviewers not in (-1, 0, 1):
            raise invalid(
                f"{where}.consensus_strategy_info.approval_threshold_reviewers {info.approval_threshold_reviewers} "
                "is not allowed: use 0, 1 or -1"
            )

    def submitted(self, sampled: bool) -> int:
        return AWAITING_CONSENSUS_REVIEW

    def threshold(self, review: resources_pb2.TaskReview) -> int:
        """`approval_threshold_labelers`, else the deprecated `approval_threshold` [proto]."""
        info = review.consensus_strategy_info
        return info.approval_threshold_labelers or info.approval_threshold


NO_REVIEW = ReviewPolicy()
POLICIES: dict[int, ReviewPolicy] = {
    TaskReview.TASK_REVIEW_STRATEGY_NOT_SET: NO_REVIEW,  # unset means NONE
    TaskReview.NONE: NO_REVIEW,
    TaskReview.MANUAL: ManualReview(),
    TaskReview.CONSENSUS: ConsensusReview(),
}


def policy_of(review: resources_pb2.TaskReview, where: str = "review") -> ReviewPolicy:
    """The policy of a task's review strategy; an unknown strategy is CONN_INVALID_REQUEST naming `where`."""
    policy = POLICIES.get(review.strategy)
    if policy is None:
        raise invalid(f"{where}.strategy {review.strategy} is not a review strategy: use NONE, MANUAL or CONSENSUS")
    return policy
