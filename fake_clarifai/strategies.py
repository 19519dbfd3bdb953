"""Hypothesis strategies for property tests of code that creates and works on Clarifai labeling tasks.

Everything here is a plain strategy (or a function returning one), so they compose with `st.builds`,
`st.flatmap` and `@st.composite`. The valid ones are accepted by the fake (and by the rules of the real API
as the fake understands them); the invalid ones say which field is wrong.

Ids and configurations::

    from hypothesis import given
    from fake_clarifai import strategies as cs

    @given(cs.input_ids(min_size=1), cs.partitioned_configs())
    def test_every_input_is_labelled(inputs, config):
        ...  # config.workers, config.workers_per_input, config.weights (None = EVENLY)

Whole tasks for PostTasks, over the seeded users and concepts, each example from the baseline (the
session-scoped fixtures and `clarifai_server.isolated()`; see the README's "Property-based tests")::

    @given(cs.human_tasks(["labeler-1", "labeler-2", "labeler-3"], ["water", "sky"]))
    def test_post_tasks(clarifai_server, clarifai_session_stub, clarifai_session_metadata, clarifai_session_app, task):
        with clarifai_server.isolated():
            response = clarifai_session_stub.PostTasks(
                service_pb2.PostTasksRequest(user_app_id=clarifai_session_app, tasks=[task]),
                metadata=clarifai_session_metadata,
            )

Whole worlds (inputs, datasets, a task, the team and its policies) and owner events are in
`fake_clarifai.scenarios`.

Weights are floats because `partitioned_strategy_info.weights` is a `google.protobuf.Struct`, whose
numbers are doubles. The share rule (BEHAVIOUR.md §4): no worker may have more than `1/workers_per_input` of the
total weight (0 workers per input meaning 1), since each input goes to that many distinct workers.
"""

from __future__ import annotations

import math
import operator
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from clarifai_grpc.grpc.api import resources_pb2
from hypothesis import strategies as st

from fake_clarifai.domain.assignment import WEIGHTS_FIELD, WORKERS_PER_INPUT_FIELD, effective_wpi
from fake_clarifai.domain.review_policy import POLICIES

__all__ = [
    "InvalidPartitionedConfig",
    "PartitionedConfig",
    "excessive_weights",
    "human_tasks",
    "ids",
    "input_ids",
    "invalid_partitioned_configs",
    "partitioned_configs",
    "task_reviews",
    "task_workers",
    "weights",
    "worker_ids",
]

DYNAMIC = resources_pb2.TaskWorker.DYNAMIC
PARTITIONED = resources_pb2.TaskWorker.PARTITIONED
FULL = resources_pb2.TaskWorker.FULL
EVENLY = resources_pb2.TaskWorkerPartitionedStrategyInfo.EVENLY
WEIGHTED = resources_pb2.TaskWorkerPartitionedStrategyInfo.WEIGHTED

_ALPHANUMERIC = string.ascii_letters + string.digits
# Scales applied to integer weights so that some weights are not integers (and not exact in binary).
_WEIGHT_SCALES = (1.0, 0.5, 0.1, 2.5, 37.0)


@dataclass(frozen=True)
class PartitionedConfig:
    """A PARTITIONED worker configuration: the workers in task order, `workers_per_input` as given in the
    proto (0 means 1), and the weights by worker id (None = EVENLY; values may be anything when invalid).
    """

    workers: tuple[str, ...]
    workers_per_input: int
    weights: Mapping[str, object] | None


@dataclass(frozen=True)
class InvalidPartitionedConfig:
    """A configuration the API must reject, and the field (path inside the Task) its error should name."""

    config: PartitionedConfig
    field: str


def ids(*, min_size: int = 0, max_size: int = 20) -> st.SearchStrategy[list[str]]:
    """Lists of distinct resource ids in Clarifai's id alphabet (letters, digits, `-`, `_`), e.g. `["a-1", "Z_"]`."""
    one_id = st.builds(operator.add, st.sampled_from(_ALPHANUMERIC), st.text(_ALPHANUMERIC + "-_", max_size=15))
    return st.lists(one_id, min_size=min_size, max_size=max_size, unique=True)


def input_ids(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[list[str]]:
    """Distinct input ids in source order: `input_ids(min_size=1)` -> `["in-7", "x", ...]`."""
    return ids(min_size=min_size, max_size=max_size)


def worker_ids(*, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[str]]:
    """Distinct worker user ids in task order: `worker_ids(max_size=3)` -> `["labeler-a", "b2"]`."""
    return ids(min_size=min_size, max_size=max_size)


def _share_cap(raw: Sequence[int], wpi: int) -> int:
    """The largest c with wpi·c <= Σ min(raw_i, c): clipping every weight to c honours the share rule.

    (The largest weight after clipping is at most c.) c = 1 always qualifies since wpi <= len(raw).
    """
    return max(c for c in range(1, max(raw) + 1) if wpi * c <= sum(min(value, c) for value in raw))


@st.composite
def weights(draw: st.DrawFn, workers: Sequence[str], workers_per_input: int) -> dict[str, float]:
    """WEIGHTED weights for `workers` that respect the share rule for `workers_per_input`, in worker order.

    Integer-valued weights clipped to the largest cap that satisfies the rule (so shares exactly at the
    bound occur), sometimes multiplied by a common non-integer factor. Example:
    `weights(["a", "b", "c"], 2)` -> `{"a": 3.0, "b": 2.0, "c": 1.0}`. Needs `workers_per_input <= len(workers)`.
    """
    wpi = effective_wpi(workers_per_input)
    raw = draw(st.lists(st.integers(1, 100), min_size=len(workers), max_size=len(workers)))
    cap = _share_cap(raw, wpi)
    scale = draw(st.sampled_from(_WEIGHT_SCALES))
    return {worker: min(value, cap) * scale for worker, value in zip(workers, raw, strict=True)}


@st.composite
def excessive_weights(draw: st.DrawFn, workers: Sequence[str], workers_per_input: int) -> dict[str, float]:
    """Weights that break the share rule: one worker (drawn) has more than `1/workers_per_input` of the total,
    by far more than the 1e-9 tolerance. Needs at least 2 workers and `workers_per_input >= 2` (with 1 per
    input any weights are fine). Example: `excessive_weights(["a", "b", "c"], 2)` -> `{"a": 1.0, "b": 4.0, "c": 2.0}`.
    """
    wpi = effective_wpi(workers_per_input)
    if wpi < 2 or len(workers) < 2:
        raise ValueError("excessive weights need at least 2 workers and workers_per_input >= 2")
    greedy = draw(st.sampled_from(workers))
    result = {worker: float(draw(st.integers(1, 100))) for worker in workers}
    others = sum(weight for worker, weight in result.items() if worker != greedy)
    # share > 1/wpi  <=>  wpi·w > w + others  <=>  w·(wpi - 1) > others
    result[greedy] = float(others // (wpi - 1) + draw(st.integers(1, 100)))
    return result


@st.composite
def partitioned_configs(
    draw: st.DrawFn, workers: st.SearchStrategy[list[str]] | None = None, *, weighted: bool | None = None
) -> PartitionedConfig:
    """Valid PARTITIONED configurations: workers (from `workers`, default `worker_ids()`), a
    `workers_per_input` from 0 to their number, and EVENLY (weights None) or WEIGHTED weights.
    `weighted=True`/`False` forces one kind. Example: `PartitionedConfig(("a", "b"), 2, {"a": 1.0, "b": 1.0})`.
    """
    chosen = tuple(draw(workers if workers is not None else worker_ids()))
    wpi = draw(st.integers(0, len(chosen)))
    if weighted is None:
        weighted = draw(st.booleans())
    return PartitionedConfig(chosen, wpi, draw(weights(chosen, wpi)) if weighted else None)


_NOT_NUMBERS = st.one_of(st.booleans(), st.text(max_size=5), st.none(), st.just([1.0]), st.just(math.nan))


@st.composite
def invalid_partitioned_configs(
    draw: st.DrawFn, workers: st.SearchStrategy[list[str]] | None = None
) -> InvalidPartitionedConfig:
    """PARTITIONED configurations with exactly one thing wrong, and the field that names it: a negative or too
    large `workers_per_input`; a weight that is <= 0, not a number (a bool, a string, None, a list, NaN),
    missing for a listed worker, or given for an unlisted one; or a share above `1/workers_per_input`.
    Example: `InvalidPartitionedConfig(PartitionedConfig(("a",), 2, None), WORKERS_PER_INPUT_FIELD)`, where
    `WORKERS_PER_INPUT_FIELD == "worker.partitioned_strategy_info.workers_per_input"`.
    """
    chosen = tuple(draw(workers if workers is not None else worker_ids()))
    wpi = draw(st.integers(0, len(chosen)))
    kinds = ["negative_wpi", "too_many_per_input", "not_positive", "not_a_number", "missing", "unlisted"]
    if len(chosen) >= 2:
        kinds.append("excessive_share")
    kind = draw(st.sampled_from(kinds))
    if kind == "negative_wpi":
        return InvalidPartitionedConfig(
            PartitionedConfig(chosen, draw(st.integers(-5, -1)), None), WORKERS_PER_INPUT_FIELD
        )
    if kind == "too_many_per_input":
        too_many = draw(st.integers(len(chosen) + 1, len(chosen) + 3))
        return InvalidPartitionedConfig(PartitionedConfig(chosen, too_many, None), WORKERS_PER_INPUT_FIELD)
    if kind == "excessive_share":
        wpi = draw(st.integers(2, len(chosen)))
        bad = draw(excessive_weights(chosen, wpi))
        total = sum(bad.values())  # integer-valued, so exact
        first_over = next(worker for worker in chosen if wpi * bad[worker] > total)
        return InvalidPartitionedConfig(PartitionedConfig(chosen, wpi, bad), f"{WEIGHTS_FIELD}.{first_over}")
    # One weight is wrong; the others are equal, so no share can break the rule.
    base: dict[str, object] = dict.fromkeys(chosen, 1.0)
    if kind == "unlisted":
        stranger = draw(ids(min_size=1, max_size=1).filter(lambda found: found[0] not in chosen))[0]
        base[stranger] = 1.0
        return InvalidPartitionedConfig(PartitionedConfig(chosen, wpi, base), f"{WEIGHTS_FIELD}.{stranger}")
    victim = draw(st.sampled_from(chosen))
    if kind == "missing":
        del base[victim]
    elif kind == "not_positive":
        base[victim] = draw(st.sampled_from([0.0, -0.0, -1.0, -1e-12, 0]))
    else:
        base[victim] = draw(_NOT_NUMBERS)
    return InvalidPartitionedConfig(PartitionedConfig(chosen, wpi, base), f"{WEIGHTS_FIELD}.{victim}")


@st.composite
def task_workers(
    draw: st.DrawFn,
    worker_user_ids: Sequence[str],
    strategies: Collection[int] = (DYNAMIC, PARTITIONED, FULL),
) -> resources_pb2.TaskWorker:
    """A human `TaskWorker`: a non-empty subset of `worker_user_ids` (as `workers[].user.id`, in drawn order)
    and one of `strategies` (`TaskWorker.DYNAMIC`, `PARTITIONED`, `FULL`). PARTITIONED carries
    `partitioned_strategy_info` with a valid `workers_per_input` and EVENLY or valid WEIGHTED weights.
    Example: `task_workers(["labeler-1", "labeler-2"], strategies=[TaskWorker.FULL])`.
    """
    chosen = draw(st.lists(st.sampled_from(list(worker_user_ids)), min_size=1, unique=True))
    worker = resources_pb2.TaskWorker(
        strategy=draw(st.sampled_from(sorted(strategies))),
        type=resources_pb2.TaskWorker.WORKER_HUMAN,
        workers=[resources_pb2.Worker(user=resources_pb2.User(id=user_id)) for user_id in chosen],
    )
    draw_info = _WORKER_INFO.get(worker.strategy)
    if draw_info is not None:
        draw_info(draw, worker, chosen)
    return worker


def _partitioned_info(draw: st.DrawFn, worker: resources_pb2.TaskWorker, chosen: list[str]) -> None:
    config = draw(partitioned_configs(st.just(chosen)))
    info = worker.partitioned_strategy_info
    info.workers_per_input = config.workers_per_input
    info.type = EVENLY if config.weights is None else WEIGHTED
    if config.weights is not None:
        info.weights.update(dict(config.weights))


# work strategy -> how to draw its valid strategy info (a strategy without a row takes none)
_WORKER_INFO: dict[int, Callable[[st.DrawFn, resources_pb2.TaskWorker, list[str]], None]] = {
    PARTITIONED: _partitioned_info,
}

_REVIEWER_THRESHOLDS = st.sampled_from([0, 1, -1])  # approval_threshold_reviewers: -1 is stacked review


def _manual_info(draw: st.DrawFn, review: resources_pb2.TaskReview) -> None:
    review.consensus_strategy_info.approval_threshold_reviewers = draw(_REVIEWER_THRESHOLDS)


def _consensus_info(draw: st.DrawFn, review: resources_pb2.TaskReview) -> None:
    review.consensus_strategy_info.approval_threshold_labelers = draw(st.integers(0, 3))  # 0: consensus disabled
    review.consensus_strategy_info.approval_threshold_reviewers = draw(_REVIEWER_THRESHOLDS)


# review strategy -> how to draw its valid strategy info (a strategy without a row takes none)
_REVIEW_INFO: dict[int, Callable[[st.DrawFn, resources_pb2.TaskReview], None]] = {
    resources_pb2.TaskReview.MANUAL: _manual_info,
    resources_pb2.TaskReview.CONSENSUS: _consensus_info,
}


@st.composite
def task_reviews(draw: st.DrawFn, reviewer_user_ids: Sequence[str] = ()) -> resources_pb2.TaskReview:
    """A valid `TaskReview`: NONE when `reviewer_user_ids` is empty; else NONE, MANUAL or CONSENSUS
    (approval_threshold_labelers 0..3), with approval_threshold_reviewers 0, 1 or -1, reviewed by a non-empty
    subset of the reviewers.
    """
    if not reviewer_user_ids:
        return resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE)
    policy = draw(st.sampled_from([POLICIES[strategy] for strategy in sorted(POLICIES) if strategy]))
    review = resources_pb2.TaskReview(strategy=policy.strategy)
    if not policy.needs_reviewers:
        return review
    chosen = draw(st.lists(st.sampled_from(list(reviewer_user_ids)), min_size=1, unique=True))
    review.users.extend(resources_pb2.User(id=user_id) for user_id in chosen)
    _REVIEW_INFO[policy.strategy](draw, review)
    return review


@st.composite
def human_tasks(
    draw: st.DrawFn,
    worker_user_ids: Sequence[str],
    concept_ids: Sequence[str],
    *,
    strategies: Collection[int] = (DYNAMIC, PARTITIONED, FULL),
    dataset_ids: Sequence[str] = (),
    reviewer_user_ids: Sequence[str] = (),
) -> resources_pb2.Task:
    """A CONCEPTS_CLASSIFICATION `Task` for PostTasks, valid when the users, concepts and datasets exist.

    Workers from `task_workers(worker_user_ids, strategies)`; a non-empty subset of `concept_ids` as
    `concepts[].concept.id`; input source ALL_INPUTS, or a DATASET from `dataset_ids` when given; review from
    `task_reviews(reviewer_user_ids)`; a short name. The id is left empty for the server to generate.
    Example: `human_tasks(["labeler-1"], ["water", "sky"], strategies=[TaskWorker.DYNAMIC], dataset_ids=["d1"])`.
    """
    concepts = draw(st.lists(st.sampled_from(list(concept_ids)), min_size=1, unique=True))
    source = resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS)
    if dataset_ids and draw(st.booleans()):
        source = resources_pb2.TaskInputSource(
            type=resources_pb2.TaskInputSource.DATASET, id=draw(st.sampled_from(list(dataset_ids)))
        )
    return resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name=draw(st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=20)),
        worker=draw(task_workers(worker_user_ids, strategies)),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=concept_id)) for concept_id in concepts],
        input_source=source,
        review=draw(task_reviews(reviewer_user_ids)),
    )
