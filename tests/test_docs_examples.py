"""The requests of Clarifai's "Tasks: Create, Get, Update, Delete" page, made against the fake.

Each test sends the request its docs example sends (same messages, enum values given by name as the docs
do), with the placeholders bound to seeded constants: the default seed's users and app, plus a dataset,
inputs and a model seeded here.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_rpc import Code, ok
from both_channels import *  # noqa: F403 (the fixtures that run each test over both channels)
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2
from google.protobuf.struct_pb2 import Struct

from fake_clarifai import FakeClarifai

USER_ID = "owner"
PAT = "owner-pat"
APP_ID = "main"
CONCEPT_ID = "water"
WORKER_USER_ID = "labeler-1"
REVIEWER_USER_ID = "reviewer"
REVIEW_USER_ID = REVIEWER_USER_ID
DATASET_ID = "docs-dataset"
USER_ID_1, USER_ID_2, USER_ID_3, USER_ID_4 = "labeler-1", "labeler-2", "labeler-3", "reviewer"
MODEL_ID = "docs-model"
MODEL_VERSION_ID = "docs-model-v1"
TASK_ID = "d0f2fa2b61234d1cb6b66983ea021b5b"
TASK_ID_1 = TASK_ID_2 = "d1f2f891da9844ccafed93a18574b027"

metadata = (("authorization", "Key " + PAT),)
userDataObject = resources_pb2.UserAppIDSet(user_id=USER_ID, app_id=APP_ID)


@pytest.fixture(autouse=True)
def docs_app(clarifai_fake: FakeClarifai) -> None:
    """Three inputs, two of them in DATASET_ID, and a model that is sure of water in the first."""
    for n in (1, 2, 3):
        clarifai_fake.add_input(USER_ID, APP_ID, f"docs-{n}", url=f"https://samples.example.com/{n}.jpg")
    clarifai_fake.add_dataset(USER_ID, APP_ID, DATASET_ID, ["docs-1", "docs-2"])
    clarifai_fake.add_model(
        USER_ID,
        APP_ID,
        MODEL_ID,
        version_id=MODEL_VERSION_ID,
        predictions={"docs-1": {CONCEPT_ID: 0.93}, "docs-2": {CONCEPT_ID: 0.41}},
    )


def assigned_task_request() -> service_pb2.PostTasksRequest:
    return service_pb2.PostTasksRequest(
        user_app_id=userDataObject,
        tasks=[
            resources_pb2.Task(
                type="CONCEPTS_CLASSIFICATION",
                name="Annotate " + CONCEPT_ID,
                worker=resources_pb2.TaskWorker(
                    strategy="DYNAMIC",
                    workers=[resources_pb2.Worker(user=resources_pb2.User(id=WORKER_USER_ID))],
                ),
                concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=CONCEPT_ID))],
                input_source=resources_pb2.TaskInputSource(type="DATASET", id=DATASET_ID),
                sample_ms=1000,
                review=resources_pb2.TaskReview(
                    strategy="MANUAL",
                    manual_strategy_info=resources_pb2.TaskReviewManualStrategyInfo(sample_percentage=0.5),
                    users=[resources_pb2.User(id=REVIEWER_USER_ID)],
                ),
            )
        ],
    )


def equal_weights() -> Struct:
    params = Struct()
    params.update({USER_ID_1: 1, USER_ID_2: 1, USER_ID_3: 1})
    return params


def consensus_task(deprecated_users: bool = False, **fields: Any) -> resources_pb2.Task:
    """The consensus example's task; the update example sends it with `id`, `status` and `worker.users`."""
    workers = [USER_ID_1, USER_ID_2, USER_ID_3]
    listed = (
        {"users": [resources_pb2.User(id=u) for u in workers]}
        if deprecated_users
        else {"workers": [resources_pb2.Worker(user=resources_pb2.User(id=u)) for u in workers]}
    )
    return resources_pb2.Task(
        type="CONCEPTS_CLASSIFICATION",
        name="Annotate " + CONCEPT_ID,
        worker=resources_pb2.TaskWorker(
            strategy="PARTITIONED",
            partitioned_strategy_info=resources_pb2.TaskWorkerPartitionedStrategyInfo(
                type="WEIGHTED", workers_per_input=3, weights=equal_weights()
            ),
            **listed,
        ),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=CONCEPT_ID))],
        input_source=resources_pb2.TaskInputSource(type="ALL_INPUTS"),
        sample_ms=1000,
        review=resources_pb2.TaskReview(
            strategy="CONSENSUS",
            consensus_strategy_info=resources_pb2.TaskReviewConsensusStrategyInfo(approval_threshold=2),
            users=[resources_pb2.User(id=USER_ID_4)],
        ),
        **fields,
    )


def create_assigned_task(stub: Any) -> str:
    post_tasks_response = stub.PostTasks(assigned_task_request(), metadata=metadata)
    assert post_tasks_response.status.code == status_code_pb2.SUCCESS, post_tasks_response.status
    return post_tasks_response.tasks[0].id


def test_create_an_assigned_task(clarifai_stub, clarifai_fake):
    post_tasks_response = clarifai_stub.PostTasks(assigned_task_request(), metadata=metadata)
    assert post_tasks_response.status.code == status_code_pb2.SUCCESS, post_tasks_response.status
    (created,) = post_tasks_response.tasks
    assert created.status.code == Code.TASK_IN_PROGRESS
    assert [w.user.id for w in created.worker.workers] == [WORKER_USER_ID]
    assert [u.id for u in created.review.users] == [REVIEWER_USER_ID]
    stored = clarifai_fake.store.app(USER_ID, APP_ID).tasks[created.id]
    assert stored.assignments == {}  # DYNAMIC: nothing is assigned at creation
    assert stored.work.take(WORKER_USER_ID, 10) == ["docs-1", "docs-2"]


def test_create_a_task_with_consensus_review(clarifai_stub, clarifai_fake):
    post_tasks_response = clarifai_stub.PostTasks(
        service_pb2.PostTasksRequest(user_app_id=userDataObject, tasks=[consensus_task()]), metadata=metadata
    )
    assert post_tasks_response.status.code == status_code_pb2.SUCCESS, post_tasks_response.status
    (created,) = post_tasks_response.tasks
    assert created.review.consensus_strategy_info.approval_threshold == 2
    stored = clarifai_fake.store.app(USER_ID, APP_ID).tasks[created.id]
    for input_id in ("docs-1", "docs-2", "docs-3"):  # three workers per input, three workers: all of them
        assert sorted(stored.workers_on(input_id)) == [USER_ID_1, USER_ID_2, USER_ID_3]


def test_create_an_auto_annotation_task(clarifai_stub, clarifai_fake):
    post_tasks_response = clarifai_stub.PostTasks(
        service_pb2.PostTasksRequest(
            user_app_id=userDataObject,
            tasks=[
                resources_pb2.Task(
                    type="TYPE_NOT_SET",
                    name="Auto-Annotate " + CONCEPT_ID,
                    worker=resources_pb2.TaskWorker(
                        strategy="FULL",
                        workers=[
                            resources_pb2.Worker(
                                model=resources_pb2.Model(
                                    id=MODEL_ID, model_version=resources_pb2.ModelVersion(id=MODEL_VERSION_ID)
                                )
                            )
                        ],
                    ),
                    concepts=[
                        resources_pb2.TaskConcept(
                            concept=resources_pb2.Concept(id=CONCEPT_ID),
                            auto_annotation_config=resources_pb2.TaskConceptAutoAnnotationConfig(
                                annotation_data_types=1,
                                threshold_range=resources_pb2.ThresholdRange(
                                    is_lower_inclusive=True, is_upper_inclusive=True, lower=0.7, upper=0.999
                                ),
                                status_code=24150,
                            ),
                        )
                    ],
                    input_source=resources_pb2.TaskInputSource(type="DATASET", id=DATASET_ID),
                    sample_ms=1000,
                    review=resources_pb2.TaskReview(strategy="NONE"),
                )
            ],
        ),
        metadata=metadata,
    )
    assert post_tasks_response.status.code == status_code_pb2.SUCCESS, post_tasks_response.status
    (created,) = post_tasks_response.tasks
    app = clarifai_fake.store.app(USER_ID, APP_ID)
    assert app.tasks[created.id].assignments == {}
    written = [app.annotations[i] for i in app.annotation_ids_by_task.get(created.id, ())]
    assert [(a.input_id, a.status.code) for a in written] == [("docs-1", 24150)]  # 0.41 is below 0.7


def test_get_a_task_by_id(clarifai_stub):
    created_id = create_assigned_task(clarifai_stub)
    get_tasks_response = clarifai_stub.GetTask(
        service_pb2.GetTaskRequest(user_app_id=userDataObject, task_id=created_id), metadata=metadata
    )
    assert get_tasks_response.status.code == status_code_pb2.SUCCESS, get_tasks_response.status
    assert get_tasks_response.task.id == created_id
    assert get_tasks_response.task.name == "Annotate " + CONCEPT_ID


def test_list_all_tasks(clarifai_stub):
    first = create_assigned_task(clarifai_stub)
    second = create_assigned_task(clarifai_stub)
    list_tasks_response = clarifai_stub.ListTasks(
        service_pb2.ListTasksRequest(user_app_id=userDataObject), metadata=metadata
    )
    assert list_tasks_response.status.code == status_code_pb2.SUCCESS, list_tasks_response.status
    assert [t.id for t in list_tasks_response.tasks] == [second, first]


def test_list_tasks_assigned_to_a_user(clarifai_stub):
    theirs = create_assigned_task(clarifai_stub)
    ok(
        clarifai_stub.PostTasks(
            service_pb2.PostTasksRequest(user_app_id=userDataObject, tasks=[consensus_task()]), metadata=metadata
        )
    )
    list_tasks_response = clarifai_stub.ListTasks(
        service_pb2.ListTasksRequest(user_app_id=userDataObject, worker_user_ids=[USER_ID_3]), metadata=metadata
    )
    assert list_tasks_response.status.code == status_code_pb2.SUCCESS, list_tasks_response.status
    assert theirs not in [t.id for t in list_tasks_response.tasks]
    assert len(list_tasks_response.tasks) == 1
    assert USER_ID_3 in [w.user.id for w in list_tasks_response.tasks[0].worker.workers]


def test_list_tasks_assigned_to_a_user_for_review(clarifai_stub):
    reviewed = create_assigned_task(clarifai_stub)
    ok(
        clarifai_stub.PostTasks(
            service_pb2.PostTasksRequest(user_app_id=userDataObject, tasks=[consensus_task()]), metadata=metadata
        )
    )
    list_tasks_response = clarifai_stub.ListTasks(
        service_pb2.ListTasksRequest(user_app_id=userDataObject, review_user_ids=[REVIEW_USER_ID]), metadata=metadata
    )
    assert list_tasks_response.status.code == status_code_pb2.SUCCESS, list_tasks_response.status
    assert len(list_tasks_response.tasks) == 2  # REVIEW_USER_ID reviews both
    assert reviewed in [t.id for t in list_tasks_response.tasks]
    worker_only = clarifai_stub.ListTasks(
        service_pb2.ListTasksRequest(user_app_id=userDataObject, review_user_ids=[WORKER_USER_ID]), metadata=metadata
    )
    assert list(worker_only.tasks) == []


def test_update_a_task(clarifai_stub, clarifai_fake):
    request = assigned_task_request()
    request.tasks[0].id = TASK_ID
    ok(clarifai_stub.PostTasks(request, metadata=metadata))
    patch_tasks_response = clarifai_stub.PatchTasks(
        service_pb2.PatchTasksRequest(
            user_app_id=userDataObject,
            action="overwrite",
            tasks=[consensus_task(deprecated_users=True, id=TASK_ID, status=status_pb2.Status(code="TASK_DONE"))],
        ),
        metadata=metadata,
    )
    assert patch_tasks_response.status.code == status_code_pb2.SUCCESS, patch_tasks_response.status
    (patched,) = patch_tasks_response.tasks
    assert patched.status.code == status_code_pb2.TASK_DONE
    assert patched.worker.strategy == resources_pb2.TaskWorker.PARTITIONED
    assert [w.user.id for w in patched.worker.workers] == [USER_ID_1, USER_ID_2, USER_ID_3]
    assert patched.input_source.type == resources_pb2.TaskInputSource.ALL_INPUTS
    stored = clarifai_fake.store.app(USER_ID, APP_ID).tasks[TASK_ID]  # the DYNAMIC task is now partitioned
    assert set(stored.inputs_of(USER_ID_3)) == {"docs-1", "docs-2", "docs-3"}


def test_delete_tasks(clarifai_stub):
    request = assigned_task_request()
    request.tasks[0].id = TASK_ID_1
    ok(clarifai_stub.PostTasks(request, metadata=metadata))
    delete_tasks_response = clarifai_stub.DeleteTasks(
        service_pb2.DeleteTasksRequest(user_app_id=userDataObject, ids=[TASK_ID_1, TASK_ID_2]), metadata=metadata
    )
    assert delete_tasks_response.status.code == status_code_pb2.SUCCESS, delete_tasks_response.status
    remaining = clarifai_stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=userDataObject), metadata=metadata)
    assert list(remaining.tasks) == []
