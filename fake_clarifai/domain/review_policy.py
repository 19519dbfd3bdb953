"""One review policy per review strategy (docs/BEHAVIOUR.md §4, §6), looked up from `POLICIES`.

A policy says what its strategy checks in a task definition (`validate`), where LABEL_SUBMIT moves a
pending assignment (`on_submit`), whether submissions settle by agreement (`settles`, with the `threshold`
worked out here once) and what reviewers decide (`reviewable`: assignments in that state). The services
and the validator ask the policy of the task; no other module tests the review strategy. A new review
strategy is a new `ReviewPolicy` subclass and its row in `POLICIES`.
"""

from __future__ import annotations

from collections.abc import Sequence

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.errors import Code, invalid

TaskReview = resources_pb2.TaskReview

PENDING = Code.TASK_ASSIGNMENT_PENDING
AWAITING_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_REVIEW
AWAITING_CONSENSUS_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW
SUCCESS = Code.TASK_ASSIGNMENT_SUCCESS
REJECTED = Code.TASK_ASSIGNMENT_REJECTED
REVIEW_PENDING = Code.TASK_ASSIGNMENT_REVIEW_PENDING  # one reviewer's review of one assignment [proto status codes]
REVIEW_SUCCESS = Code.TASK_ASSIGNMENT_REVIEW_SUCCESS
REVIEW_DISMISSED = Code.TASK_ASSIGNMENT_REVIEW_DISMISSED
ALL_REVIEWERS = -1  # approval_threshold_reviewers: every reviewer must approve [proto]

MAX_THRESHOLD = 2**31 - 1  # [policy] uint32 on the wire; a count of labelers beyond int32 is a client's bug


class ReviewPolicy:
    """NONE: no reviewers needed, a submission is accepted at once."""

    strategy: int = TaskReview.NONE
    needs_reviewers = False
    reviewable = AWAITING_REVIEW  # the state of the assignments reviewers take and decide

    @property
    def name(self) -> str:
        return TaskReview.TaskReviewStrategy.Name(self.strategy)

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        """Check the strategy's part of a task's `review` (called `where` in errors)."""
        if self.needs_reviewers and not reviewers:
            raise invalid(f"{where}.users is empty: review strategy {self.name} needs at least one reviewer")

    def on_submit(self, review: resources_pb2.TaskReview) -> int:
        """The state LABEL_SUBMIT gives a pending assignment of a task with this `review`."""
        return SUCCESS

    def settles(self, review: resources_pb2.TaskReview) -> bool:
        """Whether each submission is followed by the CONSENSUS settlement (with `threshold` labelers)."""
        return False

    def stacked(self, review: resources_pb2.TaskReview) -> bool:
        """Whether every reviewer reviews every input (stacked review), rather than each input going to one
        reviewer (evenly distributed review)."""
        return False

    def threshold(self, review: resources_pb2.TaskReview) -> int:
        """How many agreeing labelers settle an input (only for a policy that `settles`)."""
        raise NotImplementedError(f"review strategy {self.name} does not settle by agreement")


class ManualReview(ReviewPolicy):
    """MANUAL: every submission waits for the reviewers' decision. `sample_percentage` is not used [proto:
    TaskReviewManualStrategyInfo.sample_percentage "Deprecated: Not used"]; how many reviewers decide is
    `consensus_strategy_info.approval_threshold_reviewers`, else the deprecated
    `manual_strategy_info.approval_threshold` [proto]."""

    strategy = TaskReview.MANUAL
    needs_reviewers = True

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        super().validate(review, reviewers, where)
        _check_reviewer_threshold(review.manual_strategy_info.approval_threshold, f"{where}.manual_strategy_info")
        _check_reviewer_threshold(
            review.consensus_strategy_info.approval_threshold_reviewers, f"{where}.consensus_strategy_info"
        )

    def on_submit(self, review: resources_pb2.TaskReview) -> int:
        return AWAITING_REVIEW

    def stacked(self, review: resources_pb2.TaskReview) -> bool:
        info = review.consensus_strategy_info
        return (info.approval_threshold_reviewers or review.manual_strategy_info.approval_threshold) == ALL_REVIEWERS


class ConsensusReview(ReviewPolicy):
    """CONSENSUS: submissions wait for agreement among the labelers (`review.settle`); an input whose
    labelers all submitted without agreeing goes to the reviewers."""

    strategy = TaskReview.CONSENSUS
    needs_reviewers = True

    def validate(self, review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
        super().validate(review, reviewers, where)
        info = review.consensus_strategy_info
        for name in ("approval_threshold_labelers", "approval_threshold"):
            if getattr(info, name) > MAX_THRESHOLD:
                raise invalid(
                    f"{where}.consensus_strategy_info.{name} {getattr(info, name)} is out of range: "
                    f"a number of labelers is at most {MAX_THRESHOLD}"
                )
        _check_reviewer_threshold(info.approval_threshold_reviewers, f"{where}.consensus_strategy_info")

    def on_submit(self, review: resources_pb2.TaskReview) -> int:
        """Threshold 0: labeler consensus is disabled and the submission goes to the reviewers [proto]."""
        return AWAITING_CONSENSUS_REVIEW if self.settles(review) else AWAITING_REVIEW

    def settles(self, review: resources_pb2.TaskReview) -> bool:
        return self.threshold(review) > 0

    def stacked(self, review: resources_pb2.TaskReview) -> bool:
        return review.consensus_strategy_info.approval_threshold_reviewers == ALL_REVIEWERS

    def threshold(self, review: resources_pb2.TaskReview) -> int:
        """`approval_threshold_labelers`, else the deprecated `approval_threshold` [proto]; 0 means labeler
        consensus is disabled (every submission goes to the reviewers)."""
        info = review.consensus_strategy_info
        return info.approval_threshold_labelers or info.approval_threshold


def _check_reviewer_threshold(value: int, where: str) -> None:
    """A reviewer threshold is 0 (means 1), 1 or -1 (all reviewers) [proto approval_threshold_reviewers]."""
    if value not in (ALL_REVIEWERS, 0, 1):
        name = "approval_threshold" if where.endswith("manual_strategy_info") else "approval_threshold_reviewers"
        raise invalid(f"{where}.{name} {value} is not allowed: use 0, 1 or -1")


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
