"""The task RPCs over the wire (BEHAVIOUR.md §4, §5 at creation): PostTasks, GetTask, ListTasks, PatchTasks,
DeleteTasks."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf.struct_pb2 import Struct

from fake_clarifai import FakeClarifai
from fake_clarifai.domain import task_validation
from fake_clarifai.ids import Clock, to_timestamp
from fake_clarifai.store import Assignment, TaskState

PENDING = Code.TASK_ASSIGNMENT_PENDING
START = 1_800_000_000.0
HEX32 = re.compile(r"[0-9a-f]{32}")
INPUTS = [f"in-{n}" for n in range(1, 8)]


@pytest.fixture(autouse=True)
def seeded(clarifai_fake: FakeClarifai, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven inputs, dataset ds-1 = [in-3, in-1], model m-1/v-1, workflow wf-1; a manual clock at START."""
    monkeypatch.setattr(clarifai_fake.store, "clock", Clock(start=START))
    for input_id in INPUTS:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds-1", ["in-3", "in-1"])
    clarifai_fake.add_model("owner", "main", "m-1", version_id="v-1", predictions={})
    clarifai_fake.add_workflow("owner", "main", "wf-1", "m-1", version_id="wv-1")


def users(*ids: str) -> list[r.Worker]:
    return [r.Worker(user=r.User(id=i)) for i in ids]


def task(strategy: str = "FULL", workers: tuple[str, ...] = ("labeler-1", "labeler-2"), **fields: Any) -> r.Task:
    definition: dict[str, Any] = {
        "type": "CONCEPTS_CLASSIFICATION",
        "name": "label water",
        "worker": r.TaskWorker(strategy=strategy, workers=users(*workers)),
        "concepts": [r.TaskConcept(concept=r.Concept(id="water"))],
        "input_source": r.TaskInputSource(type="ALL_INPUTS"),
        "review": r.TaskReview(strategy="NONE"),
    }
    definition.update(fields)
    return r.Task(**definition)


def partitioned(*workers: str, wpi: int = 1, **weights: float) -> r.TaskWorker:
    info = r.TaskWorkerPartitionedStrategyInfo(type="EVENLY", workers_per_input=wpi)
    if weights:
        struct = Struct()
        struct.update(weights)
        info = r.TaskWorkerPartitionedStrategyInfo(type="WEIGHTED", workers_per_input=wpi, weights=struct)
    return r.TaskWorker(strategy="PARTITIONED", workers=users(*workers), partitioned_strategy_info=info)


def model_task(**fields: Any) -> r.Task:
    worker = r.Worker(model=r.Model(id="m-1", model_version=r.ModelVersion(id="v-1")))
    return task(type="TYPE_NOT_SET", worker=r.TaskWorker(strategy="FULL", workers=[worker]), **fields)


def post(stub: Any, *tasks: r.Task) -> list[r.Task]:
    return list(ok(stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=tasks), metadata=OWNER)).tasks)


def get(stub: Any, task_id: str, *fields: str, metadata: Any = OWNER) -> Any:
    request = service_pb2.GetTaskRequest(user_app_id=MAIN, task_id=task_id, additional_fields=fields)
    return stub.GetTask(request, metadata=metadata)


def listed(stub: Any, **filters: Any) -> list[str]:
    response = ok(stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=MAIN, **filters), metadata=OWNER))
    return [t.id for t in response.tasks]


def patch(stub: Any, action: str, *tasks: r.Task) -> Any:
    return stub.PatchTasks(service_pb2.PatchTasksRequest(user_app_id=MAIN, action=action, tasks=tasks), metadata=OWNER)


def state_of(fake: FakeClarifai, task_id: str) -> TaskState:
    """The task's state with all of its planned work handed out, so that every assignment record exists
    (PARTITIONED and FULL tasks make them only as LABEL_START hands the work out)."""
    state = fake.store.app("owner", "main").tasks[task_id]
    for worker in sorted(state.worker_user_ids):
        state.hand_out(worker, state.work.take_all(worker), fake.store.ids.new_ids, fake.store.clock.now())
    return state


def inputs_by_worker(state: TaskState) -> dict[str, list[str]]:
    return {worker: [a.input_id for a in state.of_worker(worker)] for worker in state.assignment_ids_by_worker}


def set_state(state: TaskState, worker: str, input_id: str, code: int) -> None:
    """Plant progress: `worker`'s assignment on `input_id` moves to `code` (as the lifecycle RPCs would)."""
    (assignment,) = [a for a in state.of_worker(worker) if a.input_id == input_id]
    state.replace(dataclasses.replace(assignment, state=code))


def definition(t: r.Task) -> r.Task:
    """A task without what the server stamps per task (id, times)."""
    copy = r.Task()
    copy.CopyFrom(t)
    for name in ("id", "created_at", "modified_at"):
        copy.ClearField(name)
    return copy


# -- PostTasks ---------------------------------------------------------------------------------------------
def test_a_new_task_is_in_progress_with_a_generated_id_the_app_and_clock_times(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task())
    assert HEX32.fullmatch(created.id)
    assert (created.app_id, created.user_id) == ("main", "owner")
    assert (created.status.code, created.status.description) == (Code.TASK_IN_PROGRESS, "Task in progress")
    assert created.created_at == created.modified_at == to_timestamp(START)
    assert ok(get(clarifai_stub, created.id)).task == created
    assert state_of(clarifai_fake, created.id).task == created


def test_a_caller_chosen_id_is_kept(clarifai_stub):
    (created,) = post(clarifai_stub, task(id="water-pass-1"))
    assert created.id == "water-pass-1"
    assert listed(clarifai_stub) == ["water-pass-1"]


def test_json_style_enum_names_make_the_same_task_as_enum_values(clarifai_stub):
    by_value = r.Task(
        type=r.Task.CONCEPTS_CLASSIFICATION,
        worker=r.TaskWorker(
            strategy=r.TaskWorker.PARTITIONED,
            workers=users("labeler-1", "labeler-2"),
            partitioned_strategy_info=r.TaskWorkerPartitionedStrategyInfo(
                type=r.TaskWorkerPartitionedStrategyInfo.EVENLY, workers_per_input=1
            ),
        ),
        concepts=[r.TaskConcept(concept=r.Concept(id="water"))],
        input_source=r.TaskInputSource(type=r.TaskInputSource.DATASET, id="ds-1"),
        review=r.TaskReview(
            strategy=r.TaskReview.MANUAL,
            users=[r.User(id="reviewer")],
            manual_strategy_info=r.TaskReviewManualStrategyInfo(sample_percentage=0.5),
        ),
    )
    by_name = r.Task(
        type="CONCEPTS_CLASSIFICATION",
        worker=r.TaskWorker(
            strategy="PARTITIONED",
            workers=users("labeler-1", "labeler-2"),
            partitioned_strategy_info=r.TaskWorkerPartitionedStrategyInfo(type="EVENLY", workers_per_input=1),
        ),
        concepts=[r.TaskConcept(concept=r.Concept(id="water"))],
        input_source=r.TaskInputSource(type="DATASET", id="ds-1"),
        review=r.TaskReview(
            strategy="MANUAL",
            users=[r.User(id="reviewer")],
            manual_strategy_info=r.TaskReviewManualStrategyInfo(sample_percentage=0.5),
        ),
    )
    first, second = post(clarifai_stub, by_value, by_name)
    assert definition(ok(get(clarifai_stub, first.id)).task) == definition(ok(get(clarifai_stub, second.id)).task)
    assert first.worker.strategy == r.TaskWorker.PARTITIONED


def test_deprecated_worker_and_reviewer_lists_are_read_and_all_three_forms_are_answered(clarifai_stub, clarifai_fake):
    old_style = task(
        worker=r.TaskWorker(strategy="FULL", user_ids=["labeler-1", "labeler-2"]),
        concepts=[],
        concept_ids=["water"],
        review=r.TaskReview(strategy="MANUAL", user_ids=["reviewer"]),
    )
    (created,) = post(clarifai_stub, old_style)
    shown = ok(get(clarifai_stub, created.id)).task
    assert [w.user.id for w in shown.worker.workers] == ["labeler-1", "labeler-2"]
    assert [u.id for u in shown.worker.users] == list(shown.worker.user_ids) == ["labeler-1", "labeler-2"]
    assert [u.id for u in shown.review.users] == list(shown.review.user_ids) == ["reviewer"]
    assert [c.concept.id for c in shown.concepts] == list(shown.concept_ids) == ["water"]
    stored = state_of(clarifai_fake, created.id)
    assert (stored.worker_user_ids, stored.reviewer_user_ids) == ({"labeler-1", "labeler-2"}, {"reviewer"})


def test_full_gives_every_worker_every_input_in_creation_order_as_pending_assignments(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task("FULL"))
    state = state_of(clarifai_fake, created.id)
    assert inputs_by_worker(state) == {"labeler-1": INPUTS, "labeler-2": INPUTS}
    assignments = list(state.assignments.values())
    assert {(a.task_id, a.state, a.created_at, a.modified_at) for a in assignments} == {
        (created.id, PENDING, START, START)
    }
    assert all(HEX32.fullmatch(a.id) for a in assignments)
    assert len({a.id for a in assignments}) == 14


def test_partitioned_evenly_gives_each_input_wpi_distinct_workers_and_balanced_counts(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task(worker=partitioned("labeler-1", "labeler-2", "labeler-3", wpi=2)))
    state = state_of(clarifai_fake, created.id)
    for input_id in INPUTS:
        assert len({a.worker_id for a in state.of_input(input_id)}) == len(state.of_input(input_id)) == 2
    counts = Counter(a.worker_id for a in state.assignments.values())
    assert sum(counts.values()) == 14
    assert max(counts.values()) - min(counts.values()) <= 1
    for worker in counts:
        assert [a.input_id for a in state.of_worker(worker)] == [
            i for i in INPUTS if i in inputs_by_worker(state)[worker]
        ]


def test_weighted_partition_follows_the_weights(clarifai_stub, clarifai_fake):
    worker = partitioned("labeler-1", "labeler-2", **{"labeler-1": 3, "labeler-2": 1})
    (created,) = post(clarifai_stub, task(worker=worker))
    counts = Counter(a.worker_id for a in state_of(clarifai_fake, created.id).assignments.values())
    assert sum(counts.values()) == 7
    assert abs(counts["labeler-1"] - 7 * 3 / 4) < 1
    assert abs(counts["labeler-2"] - 7 * 1 / 4) < 1


def test_a_dataset_source_is_taken_in_membership_order(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task("FULL", input_source=r.TaskInputSource(type="DATASET", id="ds-1")))
    assert inputs_by_worker(state_of(clarifai_fake, created.id)) == {
        "labeler-1": ["in-3", "in-1"],
        "labeler-2": ["in-3", "in-1"],
    }


def test_an_input_source_assigns_that_one_input(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task("FULL", input_source=r.TaskInputSource(type="INPUT", id="in-5")))
    assert inputs_by_worker(state_of(clarifai_fake, created.id)) == {"labeler-1": ["in-5"], "labeler-2": ["in-5"]}


def test_dynamic_assigns_nothing_at_creation_and_pools_the_source_in_order(clarifai_stub, clarifai_fake):
    source = r.TaskInputSource(type="DATASET", id="ds-1")
    (created,) = post(clarifai_stub, task("DYNAMIC", input_source=source))
    state = state_of(clarifai_fake, created.id)
    assert state.assignments == {}
    assert state.work.take("labeler-1", 10) == ["in-3", "in-1"]


def test_an_auto_annotation_task_is_stored_with_its_model_worker_and_no_human_work(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, model_task())
    state = state_of(clarifai_fake, created.id)
    assert (state.worker_user_ids, state.assignments) == (frozenset(), {})
    worker = ok(get(clarifai_stub, created.id)).task.worker
    assert [(w.model.id, w.model.model_version.id) for w in worker.workers] == [("m-1", "v-1")]
    assert list(worker.user_ids) == []


def test_a_worker_from_outside_the_app_may_get_their_task_and_nothing_else(clarifai_stub):
    theirs, other = post(clarifai_stub, task(workers=("outsider",)), task())
    outsider = FakeClarifai.metadata("outsider-pat")
    assert ok(get(clarifai_stub, theirs.id, metadata=outsider)).task.id == theirs.id
    assert_error(
        get(clarifai_stub, other.id, metadata=outsider),
        Code.CONN_KEY_INVALID,
        "user 'outsider' has no access to app 'owner/main'",
    )
    response = clarifai_stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=MAIN), metadata=outsider)
    assert_error(response, Code.CONN_KEY_INVALID, "user 'outsider' has no access to app 'owner/main'")


# -- GetTask -----------------------------------------------------------------------------------------------
def test_an_unknown_task_is_task_missing(clarifai_stub):
    response = get(clarifai_stub, "nope")
    assert response.status.code == 54102
    assert_error(response, Code.TASK_MISSING, "task 'nope' does not exist")


def test_users_are_ids_only_unless_worker_users_or_review_users_is_asked(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task(review=r.TaskReview(strategy="MANUAL", users=[r.User(id="reviewer")])))
    plain = ok(get(clarifai_stub, created.id)).task
    assert [w.user for w in plain.worker.workers] == [r.User(id="labeler-1"), r.User(id="labeler-2")]
    assert list(plain.review.users) == [r.User(id="reviewer")]
    full = clarifai_fake.store.users
    workers_asked = ok(get(clarifai_stub, created.id, "worker.users")).task
    assert [w.user for w in workers_asked.worker.workers] == [full["labeler-1"], full["labeler-2"]]
    assert list(workers_asked.worker.users) == [full["labeler-1"], full["labeler-2"]]
    assert list(workers_asked.review.users) == [r.User(id="reviewer")]
    reviewers_asked = ok(get(clarifai_stub, created.id, "review.users")).task
    assert list(reviewers_asked.review.users) == [full["reviewer"]]
    assert full["reviewer"].HasField("created_at")


def test_metrics_count_worked_and_reviewed_inputs_and_only_the_asked_ones_are_filled(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task("FULL", input_source=r.TaskInputSource(type="DATASET", id="ds-1")))
    state = state_of(clarifai_fake, created.id)
    set_state(state, "labeler-1", "in-3", Code.TASK_ASSIGNMENT_SUCCESS)
    set_state(state, "labeler-2", "in-3", Code.TASK_ASSIGNMENT_REJECTED)
    set_state(state, "labeler-1", "in-1", Code.TASK_ASSIGNMENT_AWAITING_REVIEW)
    metrics = ok(get(clarifai_stub, created.id, "all")).task.metrics
    assert metrics.input_source.inputs_count_estimated == 2
    assert (metrics.work.inputs_count_estimated, metrics.work.inputs_percent_estimated) == (2, 100)
    assert (metrics.review.inputs_count_estimated, metrics.review.inputs_percent_estimated) == (1, 50)
    only = ok(get(clarifai_stub, created.id, "metrics.review.inputs_count_estimated")).task.metrics
    assert only == r.TaskMetrics(review=r.TaskReviewMetrics(inputs_count_estimated=1))
    assert not ok(get(clarifai_stub, created.id)).task.HasField("metrics")


def test_an_unknown_additional_field_is_refused(clarifai_stub):
    (created,) = post(clarifai_stub, task())
    assert_error(
        get(clarifai_stub, created.id, "worker.users", "metrics.everything"),
        Code.CONN_INVALID_REQUEST,
        "additional_fields[1] 'metrics.everything' is not supported: use all, worker.users, review.users, "
        "metrics.input_source.inputs_count_estimated, metrics.work.inputs_count_estimated, "
        "metrics.work.inputs_percent_estimated, metrics.review.inputs_count_estimated, "
        "metrics.review.inputs_count_estimated_per_reviewer, metrics.review.inputs_percent_estimated, "
        "metrics.review.inputs_percent_estimated_per_reviewer, "
        "metrics.review.inputs_reviewable_count_estimated_per_reviewer",
    )


# -- ListTasks ---------------------------------------------------------------------------------------------
def test_tasks_are_listed_newest_first_and_paginated(clarifai_stub, clarifai_fake):
    for n in range(5):
        post(clarifai_stub, task(id=f"t{n}"))
        clarifai_fake.store.clock.advance(1)
    assert listed(clarifai_stub) == ["t4", "t3", "t2", "t1", "t0"]
    assert listed(clarifai_stub, page=2, per_page=2) == ["t2", "t1"]
    assert listed(clarifai_stub, page=0, per_page=2) == ["t4", "t3"]
    assert listed(clarifai_stub, page=4, per_page=2) == []


@pytest.fixture
def four_tasks(clarifai_stub: Any) -> None:
    """a: labelers 1+2 reviewed by reviewer on all inputs; b: labeler-3 on ds-1; c: model m-1 on ds-1;
    d: labeler-1 on in-1 for label order lo-1."""
    on_ds1 = r.TaskInputSource(type="DATASET", id="ds-1")
    post(
        clarifai_stub,
        task(id="a", review=r.TaskReview(strategy="MANUAL", users=[r.User(id="reviewer")])),
        task(id="b", workers=("labeler-3",), input_source=on_ds1),
        model_task(id="c", input_source=on_ds1),
        task(
            id="d",
            workers=("labeler-1",),
            input_source=r.TaskInputSource(type="INPUT", id="in-1"),
            label_order_id="lo-1",
        ),
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["c", "b", "a"]),
        ({"ids": ["a", "c", "zzz"]}, ["c", "a"]),
        ({"worker_user_ids": ["labeler-3"]}, ["b"]),
        ({"worker_user_ids": ["labeler-1", "labeler-3"]}, ["b", "a"]),
        ({"worker_ids": [r.WorkerIDSet(user_id="labeler-2")]}, ["a"]),
        ({"worker_ids": [r.WorkerIDSet(model_id="m-1")]}, ["c"]),
        (
            {"worker_ids": [r.WorkerIDSet(model_id="m-1", model_version_id="v-1", user_id="owner", app_id="main")]},
            ["c"],
        ),
        ({"worker_ids": [r.WorkerIDSet(model_id="m-1", model_version_id="v-2")]}, []),
        ({"worker_ids": [r.WorkerIDSet(model_id="m-1", app_id="elsewhere")]}, []),
        ({"worker_ids": [r.WorkerIDSet(user_id="labeler-3"), r.WorkerIDSet(model_id="m-1")]}, ["c", "b"]),
        ({"review_user_ids": ["reviewer"]}, ["a"]),
        ({"review_user_ids": ["labeler-1"]}, []),
        ({"input_source_type": r.TaskInputSource.DATASET}, ["c", "b"]),
        ({"input_source_ids": ["ds-1"]}, ["c", "b"]),
        ({"worker_user_ids": ["labeler-1", "labeler-3"], "input_source_type": r.TaskInputSource.ALL_INPUTS}, ["a"]),
        ({"worker_user_ids": ["labeler-3"], "review_user_ids": ["reviewer"]}, []),
        ({"label_order_ids": ["lo-1"]}, ["d"]),
        ({"including_label_order_tasks": True, "worker_user_ids": ["labeler-1"]}, ["d", "a"]),
        ({"label_order_ids": ["lo-2"]}, []),
    ],
)
def test_list_filters_match_any_within_a_filter_and_all_across_filters(clarifai_stub, four_tasks, filters, expected):
    assert listed(clarifai_stub, **filters) == expected


def test_list_answers_the_additional_fields_too(clarifai_stub, clarifai_fake):
    post(clarifai_stub, task(id="t", input_source=r.TaskInputSource(type="DATASET", id="ds-1")))
    request = service_pb2.ListTasksRequest(
        user_app_id=MAIN, additional_fields=["worker.users", "metrics.input_source.inputs_count_estimated"]
    )
    (shown,) = ok(clarifai_stub.ListTasks(request, metadata=OWNER)).tasks
    assert shown.metrics == r.TaskMetrics(input_source=r.TaskInputSourceMetrics(inputs_count_estimated=2))
    assert shown.worker.workers[0].user == clarifai_fake.store.users["labeler-1"]


# -- PatchTasks --------------------------------------------------------------------------------------------
def test_overwrite_replaces_the_definition_keeps_id_and_creation_time_and_sets_status(clarifai_stub, clarifai_fake):
    (created,) = post(clarifai_stub, task(id="t"))
    clarifai_fake.store.clock.advance(60)
    new = task(id="t", name="label sky", concepts=[r.TaskConcept(concept=r.Concept(id="sky"))])
    new.status.code = Code.TASK_DONE
    (patched,) = ok(patch(clarifai_stub, "overwrite", new)).tasks
    assert patched.name == "label sky"
    assert [c.concept.id for c in patched.concepts] == ["sky"]
    assert (patched.status.code, patched.status.description) == (Code.TASK_DONE, "Task done")
    assert patched.created_at == created.created_at
    assert patched.modified_at == to_timestamp(START + 60)
    assert ok(get(clarifai_stub, "t")).task == patched
    (again,) = ok(patch(clarifai_stub, "overwrite", task(id="t", name="no status given"))).tasks
    assert again.status.code == Code.TASK_DONE


def test_overwrite_that_keeps_workers_strategy_and_source_keeps_every_assignment(clarifai_stub, clarifai_fake):
    post(clarifai_stub, task(id="t"))
    state = state_of(clarifai_fake, "t")
    set_state(state, "labeler-1", "in-2", Code.TASK_ASSIGNMENT_SUCCESS)
    before = state.assignments.copy()
    review = r.TaskReview(strategy="MANUAL", users=[r.User(id="reviewer")])
    ok(patch(clarifai_stub, "overwrite", task(id="t", name="renamed", review=review)))
    after = state_of(clarifai_fake, "t")
    assert after.assignments == before
    assert after.reviewer_user_ids == {"reviewer"}


def test_overwrite_with_other_workers_keeps_submitted_work_and_same_pending_pairs_and_deals_the_rest(
    clarifai_stub, clarifai_fake
):
    source = r.TaskInputSource(type="DATASET", id="ds-1")
    post(clarifai_stub, task(id="t", input_source=source))
    state = state_of(clarifai_fake, "t")
    set_state(state, "labeler-2", "in-3", Code.TASK_ASSIGNMENT_AWAITING_REVIEW)
    before = {(a.worker_id, a.input_id): a for a in state.assignments.values()}
    ok(patch(clarifai_stub, "overwrite", task(id="t", workers=("labeler-1", "labeler-3"), input_source=source)))
    after = state_of(clarifai_fake, "t")
    pairs = {(a.worker_id, a.input_id): a for a in after.assignments.values()}
    assert set(pairs) == {
        ("labeler-1", "in-3"),
        ("labeler-1", "in-1"),
        ("labeler-2", "in-3"),
        ("labeler-3", "in-3"),
        ("labeler-3", "in-1"),
    }
    assert pairs["labeler-2", "in-3"] == before["labeler-2", "in-3"]  # submitted work stays
    assert pairs["labeler-1", "in-3"] == before["labeler-1", "in-3"]  # a pending pair still planned keeps its id
    assert pairs["labeler-1", "in-1"] == before["labeler-1", "in-1"]
    assert {pairs["labeler-3", i].state for i in ("in-3", "in-1")} == {PENDING}
    assert not {pairs["labeler-3", i].id for i in ("in-3", "in-1")} & {a.id for a in before.values()}
    assert after.worker_user_ids == {"labeler-1", "labeler-3"}
    assert inputs_by_worker(after)["labeler-3"] == ["in-3", "in-1"]


def test_overwrite_does_not_reassign_an_input_its_worker_already_submitted(clarifai_stub, clarifai_fake):
    post(clarifai_stub, task(id="t", worker=partitioned("labeler-1", "labeler-2")))
    state = state_of(clarifai_fake, "t")
    first_input = inputs_by_worker(state)["labeler-1"][0]
    set_state(state, "labeler-1", first_input, Code.TASK_ASSIGNMENT_SUCCESS)
    ok(patch(clarifai_stub, "overwrite", task(id="t", strategy="FULL", workers=("labeler-1",))))
    after = state_of(clarifai_fake, "t")
    mine = after.of_worker("labeler-1")
    assert sorted(a.input_id for a in mine) == sorted(INPUTS)
    assert [a.state for a in mine if a.input_id == first_input] == [Code.TASK_ASSIGNMENT_SUCCESS]
    assert "labeler-2" not in inputs_by_worker(after)


def test_overwrite_of_a_dynamic_task_returns_dropped_batches_to_the_pool(clarifai_stub, clarifai_fake):
    source = r.TaskInputSource(type="DATASET", id="ds-1")
    post(clarifai_stub, task("DYNAMIC", id="t", input_source=source))
    state = state_of(clarifai_fake, "t")
    app = clarifai_fake.store.app("owner", "main")
    for worker in ("labeler-2", "labeler-1"):  # what LABEL_START does: one input each
        (input_id,) = state.work.take(worker, 1)
        state.add([Assignment(f"{worker}-a", "t", input_id, worker, PENDING, START, START)])
    set_state(state, "labeler-1", "in-1", Code.TASK_ASSIGNMENT_SUCCESS)
    ok(
        patch(
            clarifai_stub, "overwrite", task("DYNAMIC", id="t", workers=("labeler-1", "labeler-3"), input_source=source)
        )
    )
    after = app.tasks["t"]
    assert inputs_by_worker(after) == {"labeler-1": ["in-1"]}  # labeler-2's pending batch is dropped
    assert after.work.take("labeler-3", 10) == ["in-3"]  # ... and its input is handed out again
    assert after.work.take("labeler-1", 10) == []


def test_merge_changes_only_the_status(clarifai_stub, clarifai_fake):
    post(clarifai_stub, task(id="t"))
    before = state_of(clarifai_fake, "t")
    assignments = before.assignments.copy()
    clarifai_fake.store.clock.advance(5)
    change = r.Task(id="t", status=status_pb2.Status(code="TASK_WONT_DO"))
    (merged,) = ok(patch(clarifai_stub, "merge", change)).tasks
    assert merged.status.code == Code.TASK_WONT_DO
    assert merged.modified_at == to_timestamp(START + 5)
    expected = r.Task()
    expected.CopyFrom(before.task)
    expected.status.CopyFrom(merged.status)
    expected.modified_at.CopyFrom(merged.modified_at)
    assert merged == expected
    assert state_of(clarifai_fake, "t").assignments == assignments


@pytest.mark.parametrize(
    ("action", "tasks", "code", "details"),
    [
        pytest.param(
            "merge",
            [r.Task(id="t", name="x", status=status_pb2.Status(code="TASK_DONE"))],
            Code.CONN_INVALID_REQUEST,
            "tasks[0].name is set: action 'merge' only changes status (use 'overwrite' for the definition)",
            id="merge with another field",
        ),
        pytest.param(
            "merge",
            [r.Task(id="t")],
            Code.CONN_INVALID_REQUEST,
            "tasks[0].status.code is not set: action 'merge' only changes status",
            id="merge without a status",
        ),
        pytest.param(
            "merge",
            [r.Task(id="t", status=status_pb2.Status(code="SUCCESS"))],
            Code.CONN_INVALID_REQUEST,
            "tasks[0].status.code SUCCESS is not a task status: use one of "
            "TASK_IN_PROGRESS, TASK_DONE, TASK_WONT_DO, TASK_FAILED, TASK_IDLE",
            id="merge with a status that is not a task status",
        ),
        pytest.param(
            "overwrite",
            [task(id="t", status=status_pb2.Status(code=10000))],
            Code.CONN_INVALID_REQUEST,
            "tasks[0].status.code SUCCESS is not a task status: use one of "
            "TASK_IN_PROGRESS, TASK_DONE, TASK_WONT_DO, TASK_FAILED, TASK_IDLE",
            id="overwrite with a status that is not a task status",
        ),
        pytest.param(
            "remove",
            [task(id="t")],
            Code.CONN_INVALID_REQUEST,
            "action 'remove' is not supported: use one of merge, overwrite",
            id="unknown action",
        ),
        pytest.param(
            "overwrite",
            [task(id="t"), task(id="ghost")],
            Code.TASK_MISSING,
            "tasks[1].id: task 'ghost' does not exist",
            id="unknown id",
        ),
        pytest.param(
            "overwrite", [task()], Code.CONN_INVALID_REQUEST, "tasks[0].id is empty: name the task to patch", id="no id"
        ),
        pytest.param(
            "merge",
            [r.Task(id="t", status=status_pb2.Status(code="TASK_DONE"))] * 2,
            Code.CONN_INVALID_REQUEST,
            "tasks[1].id 't' appears twice in the request",
            id="the same id twice",
        ),
        pytest.param(
            "overwrite",
            [task(id="t", name="fine"), task(id="u", workers=("ghost",))],
            Code.CONN_INVALID_REQUEST,
            "tasks[1].worker.workers[0].user.id 'ghost' is not a user",
            id="one invalid definition stops the valid one before it",
        ),
        pytest.param(
            "overwrite", [], Code.CONN_INVALID_REQUEST, "tasks is empty: send at least one task", id="no tasks"
        ),
    ],
)
def test_a_refused_patch_changes_nothing(clarifai_stub, clarifai_fake, action, tasks, code, details):
    post(clarifai_stub, task(id="t"))
    post(clarifai_stub, task(id="u"))  # 14 pairs each: one request could not deal both
    with unchanged(clarifai_fake):
        assert_error(patch(clarifai_stub, action, *tasks), code, details)


# -- DeleteTasks -------------------------------------------------------------------------------------------
def test_delete_removes_tasks_and_their_assignments_and_annotations_keep_their_task_id(clarifai_stub, clarifai_fake):
    post(clarifai_stub, task(id="t"), task(id="u"), task(id="v"))
    app = clarifai_fake.store.app("owner", "main")
    app.add_annotations([r.Annotation(id="note-1", input_id="in-1", task_id="t")])
    request = service_pb2.DeleteTasksRequest(user_app_id=MAIN, ids=["t", "v", "t"])
    ok(clarifai_stub.DeleteTasks(request, metadata=OWNER))
    assert listed(clarifai_stub) == ["u"]
    assert_error(get(clarifai_stub, "t"), Code.TASK_MISSING, "task 't' does not exist")
    note = ok(
        clarifai_stub.GetAnnotation(
            service_pb2.GetAnnotationRequest(user_app_id=MAIN, input_id="in-1", annotation_id="note-1"), metadata=OWNER
        )
    ).annotation
    assert note.task_id == "t"
    before = clarifai_fake.dump_state()
    reused = clarifai_stub.PostTasks(
        service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[task(id="t")]), metadata=OWNER
    )
    assert_error(
        reused, Code.TASK_CONFLICT, "tasks[0].id 't' belonged to a deleted task whose annotations still carry it"
    )
    assert clarifai_fake.dump_state() == before
    post(clarifai_stub, task(id="v"))  # a deleted task without annotations frees its id
    delete_note = service_pb2.DeleteAnnotationRequest(user_app_id=MAIN, input_id="in-1", annotation_id="note-1")
    ok(clarifai_stub.DeleteAnnotation(delete_note, metadata=OWNER))
    post(clarifai_stub, task(id="t"))  # and so does one whose annotations are all gone


@pytest.mark.parametrize(
    ("ids", "code", "details"),
    [
        (["t", "ghost"], Code.TASK_MISSING, "ids[1]: task 'ghost' does not exist"),
        ([], Code.CONN_INVALID_REQUEST, "ids is empty: name the tasks to delete"),
    ],
)
def test_a_refused_delete_deletes_nothing(clarifai_stub, clarifai_fake, ids, code, details):
    post(clarifai_stub, task(id="t"))
    with unchanged(clarifai_fake):
        response = clarifai_stub.DeleteTasks(service_pb2.DeleteTasksRequest(user_app_id=MAIN, ids=ids), metadata=OWNER)
    assert_error(response, code, details)
    assert listed(clarifai_stub) == ["t"]


# -- how much one request may ask for (BEHAVIOUR.md §4.1) -------------------------------------------------------
TOO_MANY = "tasks holds 129 tasks, more than the 128 one request may carry: send them in several requests"
SPLIT = "more than the 20 one request may deal: send the tasks in several requests or give them smaller input sources"


@pytest.fixture
def work_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """One request may deal 20 (worker, input) pairs (the seven inputs make the real bound unreachable)."""
    monkeypatch.setattr(task_validation, "MAX_WORK_PER_REQUEST", 20)


def test_128_tasks_may_be_posted_in_one_request_and_129_are_refused(clarifai_stub, clarifai_fake):
    with unchanged(clarifai_fake):
        response = clarifai_stub.PostTasks(
            service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[task()] * 129), metadata=OWNER
        )
    assert_error(response, Code.CONN_INVALID_REQUEST, TOO_MANY)
    assert len(post(clarifai_stub, *[task()] * 128)) == 128


def test_a_patch_of_129_tasks_is_refused_before_its_tasks_are_looked_up(clarifai_stub, clarifai_fake):
    for action in ("overwrite", "merge"):
        with unchanged(clarifai_fake):
            response = patch(clarifai_stub, action, *[task(id=f"ghost-{n}") for n in range(129)])
        assert_error(response, Code.CONN_INVALID_REQUEST, TOO_MANY)


@pytest.mark.parametrize(
    ("tasks", "details"),
    [
        (
            [task(), task()],
            "tasks[1] deals 14 (worker, input) pairs (worker.strategy FULL: 2 worker.workers × 7 inputs of its "
            f"input_source), 28 with the tasks before it, {SPLIT}",
        ),
        (
            [task(worker=partitioned("labeler-1", "labeler-2", "labeler-3", wpi=3))],
            "tasks[0] deals 21 (worker, input) pairs (worker.partitioned_strategy_info.workers_per_input 3 × 7 "
            f"inputs of its input_source), {SPLIT}",
        ),
        (
            [task(input_source=r.TaskInputSource(type="DATASET", id="ds-1"))] * 5 + [model_task()],
            "tasks[5] deals 7 (worker, input) pairs (type TYPE_NOT_SET: its model annotates the 7 inputs of its "
            f"input_source), 27 with the tasks before it, {SPLIT}",
        ),
    ],
    ids=["FULL: every worker x the source", "PARTITIONED: workers_per_input x the source", "auto-annotation"],
)
def test_tasks_dealing_more_work_than_one_request_may_are_refused_and_nothing_is_stored(
    clarifai_stub, clarifai_fake, work_bound, tasks, details
):
    with unchanged(clarifai_fake):
        response = clarifai_stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=tasks), metadata=OWNER)
    assert_error(response, Code.CONN_INVALID_REQUEST, details)


def test_dynamic_tasks_deal_nothing_at_creation_so_they_count_for_no_work(clarifai_stub, clarifai_fake, work_bound):
    dynamic = task(worker=r.TaskWorker(strategy="DYNAMIC", workers=users("labeler-1", "labeler-2", "labeler-3")))
    assert len(post(clarifai_stub, task(), *[dynamic] * 10)) == 11  # 14 pairs: the FULL task's


def test_an_overwrite_counts_only_the_tasks_whose_work_it_deals_again(clarifai_stub, clarifai_fake, work_bound):
    post(clarifai_stub, task(id="t"))
    post(clarifai_stub, task(id="u"))  # 14 pairs each: one request could not deal both
    renamed = [task(id="t", name="renamed"), task(id="u", name="renamed")]  # same work: nothing dealt again
    assert [t.name for t in ok(patch(clarifai_stub, "overwrite", *renamed)).tasks] == ["renamed", "renamed"]
    wider = task(id="u", workers=("labeler-1", "labeler-2", "labeler-3"))
    with unchanged(clarifai_fake):
        response = patch(clarifai_stub, "overwrite", task(id="t", name="again"), wider)
    assert_error(
        response,
        Code.CONN_INVALID_REQUEST,
        "tasks[1] deals 21 (worker, input) pairs (worker.strategy FULL: 3 worker.workers × 7 inputs of its "
        f"input_source), {SPLIT}",
    )


# -- an empty task id: one answer everywhere (issue 14) -----------------------------------------------------
@pytest.mark.parametrize(
    ("method", "request_message", "field"),
    [
        ("GetTask", service_pb2.GetTaskRequest(user_app_id=MAIN), "task_id"),
        ("DeleteTasks", service_pb2.DeleteTasksRequest(user_app_id=MAIN, ids=["t", ""]), "ids[1]"),
        ("PutTaskAssignments", service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, action=1), "task_id"),
        ("ListNextTaskAssignments", service_pb2.ListNextTaskAssignmentsRequest(user_app_id=MAIN), "task_id"),
        ("GetTaskInputCount", service_pb2.GetTaskCountRequest(user_app_id=MAIN), "task_id"),
        ("GetTaskAnnotationCount", service_pb2.GetTaskCountRequest(user_app_id=MAIN), "task_id"),
    ],
)
def test_an_empty_task_id_is_an_invalid_request_in_every_task_rpc(
    clarifai_stub, clarifai_fake, method, request_message, field
):
    post(clarifai_stub, task(id="t"))
    with unchanged(clarifai_fake):
        response = getattr(clarifai_stub, method)(request_message, metadata=OWNER)
    assert_error(response, Code.CONN_INVALID_REQUEST, f"{field} is empty: name a task of the app")
