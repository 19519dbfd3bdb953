"""Tasks without workers (BEHAVIOUR.md §4.2, §5.5), over the wire.

Source: Clarifai's Tasks page ("Non-Assigned Task": a FULL task with no workers is a valid task; workers are
not required). Who may work on it is the fake's policy: nobody, until PatchTasks gives it workers.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2

from fake_clarifai import FakeClarifai

LABELER = FakeClarifai.metadata("labeler-1-pat")


@pytest.fixture(autouse=True)
def inputs(clarifai_fake: FakeClarifai) -> None:
    for n in (1, 2):
        clarifai_fake.add_input("owner", "main", f"in-{n}", url=f"https://example.com/{n}.jpg")


def unassigned(strategy: str = "FULL") -> r.Task:
    return r.Task(
        id="open",
        type="CONCEPTS_CLASSIFICATION",
        worker=r.TaskWorker(strategy=strategy),
        concept_ids=["water"],
        input_source=r.TaskInputSource(type="ALL_INPUTS"),
        review=r.TaskReview(strategy="NONE"),
    )


def post(stub: Any, task: r.Task) -> r.Task:
    return ok(stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[task]), metadata=OWNER)).tasks[0]


def label_start(stub: Any, metadata: Any = LABELER) -> Any:
    request = service_pb2.PutTaskAssignmentsRequest(user_app_id=MAIN, task_id="open", action="LABEL_START")
    return stub.PutTaskAssignments(request, metadata=metadata)


@pytest.mark.parametrize("strategy", ["FULL", "DYNAMIC"])
def test_a_task_without_workers_is_stored_with_no_work_and_counts_nobody(clarifai_stub, clarifai_fake, strategy):
    # Tasks page, "Non-Assigned Task": accepted; a FULL or DYNAMIC task deals work to nobody [policy]
    created = post(clarifai_stub, unassigned(strategy))
    assert created.status.code == Code.TASK_IN_PROGRESS
    assert list(created.worker.workers) == []
    stored = clarifai_fake.store.app("owner", "main").tasks["open"]
    assert stored.assignments == {} and stored.worker_user_ids == frozenset()
    count_request = service_pb2.GetTaskCountRequest(user_app_id=MAIN, task_id="open")
    assert list(ok(clarifai_stub.GetTaskInputCount(count_request, metadata=OWNER)).counts) == []
    assert list(ok(clarifai_stub.GetTaskAnnotationCount(count_request, metadata=OWNER)).counts) == []
    get = service_pb2.GetTaskRequest(user_app_id=MAIN, task_id="open", additional_fields=["all"])
    metrics = ok(clarifai_stub.GetTask(get, metadata=OWNER)).task.metrics
    assert (metrics.input_source.inputs_count_estimated, metrics.work.inputs_count_estimated) == (2, 0)
    listed = service_pb2.ListTasksRequest(user_app_id=MAIN, worker_user_ids=["labeler-1"])
    assert list(ok(clarifai_stub.ListTasks(listed, metadata=OWNER)).tasks) == []


@pytest.mark.parametrize("metadata", [OWNER, LABELER], ids=["owner", "collaborator"])
def test_nobody_may_label_a_task_without_workers(clarifai_stub, clarifai_fake, metadata):
    # [policy] neither the owner nor an app collaborator takes work on a task that names no workers
    post(clarifai_stub, unassigned())
    user = "owner" if metadata is OWNER else "labeler-1"
    with unchanged(clarifai_fake):
        assert_error(
            label_start(clarifai_stub, metadata),
            Code.TASK_PERMISSION_DENIED,
            f"user '{user}' is not a worker of task 'open'",
        )


def test_an_overwrite_that_adds_workers_deals_them_the_work(clarifai_stub, clarifai_fake):
    # [policy] PatchTasks overwrite is how a non-assigned task gets its workers (FULL: every input each)
    post(clarifai_stub, unassigned())
    patched = unassigned()
    patched.worker.CopyFrom(r.TaskWorker(strategy="FULL", workers=[r.Worker(user=r.User(id="labeler-1"))]))
    request = service_pb2.PatchTasksRequest(user_app_id=MAIN, action="overwrite", tasks=[patched])
    ok(clarifai_stub.PatchTasks(request, metadata=OWNER))
    batch = ok(label_start(clarifai_stub)).task_assignments
    assert [a.input.id for a in batch] == ["in-1", "in-2"]


def test_a_partitioned_task_without_workers_is_refused(clarifai_stub, clarifai_fake):
    # proto TaskWorkerPartitionedStrategyInfo.workers_per_input: there is nobody to partition among
    request = service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[unassigned("PARTITIONED")])
    with unchanged(clarifai_fake):
        assert_error(
            clarifai_stub.PostTasks(request, metadata=OWNER),
            Code.CONN_INVALID_REQUEST,
            "tasks[0].worker.partitioned_strategy_info.workers_per_input 0 exceeds the number of workers (0): "
            "each input goes to that many distinct workers",
        )
