"""The Tasks page's non-assigned task and the Task Annotations page's example, made against the fake over
gRPC and over JSON (BEHAVIOUR.md §5.8, §6.3).

Each test sends the request its docs example sends, with the placeholders bound to seeded constants, and
checks the effect the page describes: the task exists with no workers; the annotation is the task's, counted.
"""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf import descriptor
from google.protobuf.struct_pb2 import Struct

from fake_clarifai import FakeClarifai

USER_ID = "owner"
PAT = "owner-pat"
APP_ID = "main"
CONCEPT_ID = "water"
INPUT_ID = "docs-input"
TASK_ID = "docs-task"

metadata = (("authorization", "Key " + PAT),)
userDataObject = resources_pb2.UserAppIDSet(user_id=USER_ID, app_id=APP_ID)

# clarifai-grpc's JSON converter cannot encode a Concept under protobuf 7 (BEHAVIOUR.md §8.13)
CONCEPTS_OVER_JSON = pytest.mark.xfail(
    not hasattr(descriptor.FieldDescriptor, "label"), raises=AttributeError, strict=True, reason="§8.13"
)


@pytest.fixture(params=["grpc", pytest.param("json", marks=CONCEPTS_OVER_JSON)])
def stub(request: pytest.FixtureRequest, clarifai_fake: FakeClarifai):
    """The docs' `stub` over either transport, on a reset fake with INPUT_ID in owner/main."""
    clarifai_fake.add_input(USER_ID, APP_ID, INPUT_ID, url="https://samples.example.com/docs.jpg")
    return request.getfixturevalue({"grpc": "clarifai_stub", "json": "clarifai_json_stub"}[request.param])


def succeeded(response):
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    return response


def test_create_a_non_assigned_task(stub, clarifai_fake):
    # Tasks page, "Non-Assigned Task": a FULL task without workers
    post_tasks_response = stub.PostTasks(
        service_pb2.PostTasksRequest(
            user_app_id=userDataObject,
            tasks=[
                resources_pb2.Task(
                    type="CONCEPTS_CLASSIFICATION",
                    name="Annotate " + CONCEPT_ID,
                    worker=resources_pb2.TaskWorker(strategy="FULL"),
                    concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=CONCEPT_ID))],
                    input_source=resources_pb2.TaskInputSource(type="ALL_INPUTS"),
                    sample_ms=1000,
                    review=resources_pb2.TaskReview(strategy="NONE"),
                )
            ],
        ),
        metadata=metadata,
    )
    (created,) = succeeded(post_tasks_response).tasks
    assert created.worker.strategy == resources_pb2.TaskWorker.FULL and list(created.worker.workers) == []
    stored = clarifai_fake.store.app(USER_ID, APP_ID).tasks[created.id]
    assert stored.assignments == {} and stored.worker_user_ids == frozenset()  # the task exists; nobody works on it


def labeling_task(fake: FakeClarifai) -> None:
    """A FULL task with the docs' user as its one worker, so that INPUT_ID is assigned to it."""
    task = resources_pb2.Task(
        id=TASK_ID,
        type="CONCEPTS_CLASSIFICATION",
        worker=resources_pb2.TaskWorker(
            strategy="FULL", workers=[resources_pb2.Worker(user=resources_pb2.User(id=USER_ID))]
        ),
        concept_ids=[CONCEPT_ID],
        input_source=resources_pb2.TaskInputSource(type="ALL_INPUTS"),
        review=resources_pb2.TaskReview(strategy="NONE"),
    )
    stub = fake.stub()
    succeeded(stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=userDataObject, tasks=[task]), metadata=metadata))


def test_create_a_task_annotation_with_annotation_info(stub, clarifai_fake):
    # Task Annotations page: the task link given as annotation_info {"task_id": ...} (proto: deprecated form of
    # Annotation.task_id)
    labeling_task(clarifai_fake)
    annotation_info = Struct()
    annotation_info.update({"task_id": TASK_ID})
    post_annotations_response = stub.PostAnnotations(
        service_pb2.PostAnnotationsRequest(
            user_app_id=userDataObject,
            annotations=[
                resources_pb2.Annotation(
                    input_id=INPUT_ID,
                    annotation_info=annotation_info,
                    data=resources_pb2.Data(concepts=[resources_pb2.Concept(id=CONCEPT_ID, value=1)]),
                )
            ],
        ),
        metadata=metadata,
    )
    (posted,) = succeeded(post_annotations_response).annotations
    assert posted.task_id == TASK_ID  # filled in from annotation_info, which is kept as given
    assert dict(posted.annotation_info) == {"task_id": TASK_ID}
    assert posted.status.code == status_code_pb2.ANNOTATION_PENDING  # a task annotation, pending until submit
    app = clarifai_fake.store.app(USER_ID, APP_ID)
    assert list(app.annotation_ids_by_task[TASK_ID]) == [posted.id]
    count = succeeded(
        stub.GetTaskAnnotationCount(
            service_pb2.GetTaskCountRequest(user_app_id=userDataObject, task_id=TASK_ID), metadata=metadata
        )
    )
    assert [(c.user_id, c.pending) for c in count.counts] == [(USER_ID, 1)]
