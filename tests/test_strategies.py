"""The public hypothesis strategies produce what they promise: valid configs pass validation, invalid ones
fail naming the promised field, and generated Task protos are well-formed human tasks."""

from __future__ import annotations

import math

import pytest
from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai import strategies as cs
from fake_clarifai.domain.assignment import AssignmentConfigError, effective_wpi, validate_partitioned

TaskWorker = resources_pb2.TaskWorker
TaskReview = resources_pb2.TaskReview
Info = resources_pb2.TaskWorkerPartitionedStrategyInfo
USERS = ["labeler-1", "labeler-2", "labeler-3", "labeler-4"]
CONCEPTS = ["water", "sky", "sand"]


@given(cs.input_ids(), cs.worker_ids())
def test_ids_are_distinct_and_in_clarifais_alphabet(inputs: list[str], workers: list[str]) -> None:
    for ids in (inputs, workers):
        assert len(set(ids)) == len(ids)
        assert all(i and i[0].isalnum() and all(c.isascii() and (c.isalnum() or c in "-_") for c in i) for i in ids)
    assert workers


@given(cs.partitioned_configs())
def test_partitioned_configs_are_accepted_and_weights_returned_as_floats(config: cs.PartitionedConfig) -> None:
    assert 0 <= config.workers_per_input <= len(config.workers)
    checked = validate_partitioned(config.workers, config.workers_per_input, config.weights)
    if config.weights is None:
        assert checked is None
    else:
        assert checked == config.weights
        assert list(checked) == list(config.workers)
        assert all(type(weight) is float for weight in checked.values())


@given(cs.partitioned_configs(weighted=True))
def test_weights_respect_the_share_bound(config: cs.PartitionedConfig) -> None:
    assert config.weights is not None
    wpi = effective_wpi(config.workers_per_input)
    total = math.fsum(config.weights.values())
    assert all(weight > 0 and weight / total <= 1 / wpi + 1e-9 for weight in config.weights.values())


@given(cs.worker_ids(min_size=1, max_size=6).flatmap(lambda ws: cs.weights(ws, len(ws))))
def test_weights_at_one_worker_share_each_are_all_equal(weights: dict[str, float]) -> None:
    # workers_per_input == number of workers forces every share to exactly 1/n: the bound itself.
    assert len(set(weights.values())) == 1


@st.composite
def excessive_cases(draw: st.DrawFn) -> tuple[list[str], int, dict[str, float]]:
    workers = draw(cs.worker_ids(min_size=2))
    wpi = draw(st.integers(2, len(workers)))
    return workers, wpi, draw(cs.excessive_weights(workers, wpi))


@given(excessive_cases())
def test_excessive_weights_are_rejected(case: tuple[list[str], int, dict[str, float]]) -> None:
    workers, wpi, weights = case
    assert set(weights) == set(workers)
    with pytest.raises(AssignmentConfigError) as raised:
        validate_partitioned(workers, wpi, weights)
    assert "more than 1/workers_per_input" in str(raised.value)


@given(st.data())
def test_excessive_weights_need_two_per_input(data: st.DataObject) -> None:
    with pytest.raises(ValueError, match="workers_per_input >= 2"):
        data.draw(cs.excessive_weights(["a", "b"], 1))


@given(cs.invalid_partitioned_configs())
def test_invalid_configs_are_rejected_naming_the_promised_field(invalid: cs.InvalidPartitionedConfig) -> None:
    config = invalid.config
    with pytest.raises(AssignmentConfigError) as raised:
        validate_partitioned(config.workers, config.workers_per_input, config.weights)
    assert raised.value.field == invalid.field
    assert str(raised.value).startswith(invalid.field)


@given(cs.human_tasks(USERS, CONCEPTS, dataset_ids=["ds-1", "ds-2"], reviewer_user_ids=["reviewer"]))
def test_human_tasks_are_well_formed(task: resources_pb2.Task) -> None:
    assert task.type == resources_pb2.Task.CONCEPTS_CLASSIFICATION
    assert task.id == ""
    workers = [w.user.id for w in task.worker.workers]
    assert workers and len(set(workers)) == len(workers) and set(workers) <= set(USERS)
    assert task.worker.type == TaskWorker.WORKER_HUMAN
    concepts = [c.concept.id for c in task.concepts]
    assert concepts and len(set(concepts)) == len(concepts) and set(concepts) <= set(CONCEPTS)
    source = task.input_source
    assert (source.type, source.id) in {
        (resources_pb2.TaskInputSource.ALL_INPUTS, ""),
        *((resources_pb2.TaskInputSource.DATASET, d) for d in ("ds-1", "ds-2")),
    }
    assert task.worker.strategy in (TaskWorker.DYNAMIC, TaskWorker.PARTITIONED, TaskWorker.FULL)
    if task.worker.strategy == TaskWorker.PARTITIONED:
        info = task.worker.partitioned_strategy_info
        weights = json_format.MessageToDict(info.weights) if info.type == Info.WEIGHTED else None
        assert info.type in (Info.EVENLY, Info.WEIGHTED)
        validate_partitioned(workers, info.workers_per_input, weights)
    else:
        assert not task.worker.HasField("partitioned_strategy_info")
    review = task.review
    if review.strategy == TaskReview.NONE:
        assert not review.users
    else:
        assert [u.id for u in review.users] == ["reviewer"]
    if review.strategy in (TaskReview.MANUAL, TaskReview.CONSENSUS):
        assert review.consensus_strategy_info.approval_threshold_reviewers in (-1, 0, 1)
    if review.strategy == TaskReview.CONSENSUS:
        assert 0 <= review.consensus_strategy_info.approval_threshold_labelers <= 3


@given(cs.human_tasks(USERS, CONCEPTS, strategies=[TaskWorker.FULL]))
def test_human_tasks_honour_the_strategies_and_plain_defaults(task: resources_pb2.Task) -> None:
    assert task.worker.strategy == TaskWorker.FULL
    assert task.input_source.type == resources_pb2.TaskInputSource.ALL_INPUTS
    assert task.review.strategy == TaskReview.NONE


@given(cs.task_workers(["only"], strategies=[TaskWorker.PARTITIONED]))
def test_task_workers_compose_alone(worker: resources_pb2.TaskWorker) -> None:
    assert [w.user.id for w in worker.workers] == ["only"]
    assert worker.partitioned_strategy_info.workers_per_input in (0, 1)
