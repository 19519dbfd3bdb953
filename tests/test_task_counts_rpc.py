"""GetTaskInputCount / GetTaskAnnotationCount through the wire (BEHAVIOUR.md §4): one entry per worker with all five
counts, the OR'ed worker filters, model workers, and who may ask. (The counts after each lifecycle step are
checked in test_lifecycle_rpc.py.)"""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import TaskClient, counts, human_task

LABELERS = ["labeler-1", "labeler-2", "labeler-3"]
COUNT_METHODS = ["GetTaskInputCount", "GetTaskAnnotationCount"]


@pytest.fixture
def tasks(clarifai_stub, clarifai_fake, clarifai_app) -> TaskClient:
    for i in range(5):
        clarifai_fake.add_input("owner", "main", f"in-{i}", url=f"https://samples.example/in-{i}.jpg")
    return TaskClient(clarifai_stub, clarifai_fake, clarifai_app)


def count_request(tasks: TaskClient, task_id: str, **filters) -> service_pb2.GetTaskCountRequest:
    return service_pb2.GetTaskCountRequest(user_app_id=tasks.app, task_id=task_id, **filters)


def auto_annotation_task(tasks: TaskClient) -> str:
    """A model worker that tags in-0 and in-1 with water (score 0.9)."""
    tasks.fake.add_model(
        "owner", "main", "tagger", version_id="tagger-v1", predictions={"in-0": {"water": 0.9}, "in-1": {"water": 0.9}}
    )
    task = resources_pb2.Task(
        type="TYPE_NOT_SET",
        worker=resources_pb2.TaskWorker(
            strategy="FULL",
            workers=[resources_pb2.Worker(model={"id": "tagger", "model_version": {"id": "tagger-v1"}})],
        ),
        concepts=[
            resources_pb2.TaskConcept(
                concept={"id": "water"},
                auto_annotation_config={"annotation_data_types": 1, "threshold_range": {"lower": 0.5, "upper": 1}},
            )
        ],
        input_source=resources_pb2.TaskInputSource(type="ALL_INPUTS"),
    )
    return tasks.post_task(task)


@pytest.mark.parametrize("method", COUNT_METHODS)
def test_every_worker_has_an_entry_with_all_counts_even_when_zero(tasks, method):
    task_id = tasks.post_task(human_task(LABELERS, strategy="DYNAMIC"))
    response = getattr(tasks.stub, method)(count_request(tasks, task_id), metadata=tasks.metadata("owner"))
    assert response.status.code == status_code_pb2.SUCCESS
    assert [(entry.worker.user.id, entry.user_id) for entry in response.counts] == [(w, w) for w in LABELERS]
    assert tasks.counts(task_id, method) == dict.fromkeys(LABELERS, counts())


def test_input_counts_start_with_what_creation_assigned(tasks):
    task_id = tasks.post_task(human_task(["labeler-1", "labeler-2"]))
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=3), "labeler-2": counts(pending=2)}
    tasks.submit("labeler-2", task_id, [a.id for a in tasks.start("labeler-2", task_id)])
    assert tasks.counts(task_id) == {"labeler-1": counts(pending=3), "labeler-2": counts(success=2)}


@pytest.mark.parametrize(
    ("filters", "selected"),
    [
        ({"user_ids": ["labeler-2"]}, ["labeler-2"]),
        ({"user_ids": ["labeler-3", "labeler-1"]}, ["labeler-1", "labeler-3"]),
        ({"user_ids": ["labeler-2"], "model_version_ids": ["tagger-v1"]}, ["labeler-2"]),
        ({"model_version_ids": ["tagger-v1"]}, []),
        ({"user_ids": ["reviewer"]}, []),
    ],
)
@pytest.mark.parametrize("method", COUNT_METHODS)
def test_worker_filters_are_ored_and_keep_task_order(tasks, method, filters, selected):
    task_id = tasks.post_task(human_task(LABELERS))
    assert list(tasks.counts(task_id, method, **filters)) == selected


def test_a_model_worker_counts_its_annotations(tasks):
    task_id = auto_annotation_task(tasks)
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"tagger-v1": counts(success=2)}
    assert tasks.counts(task_id, "GetTaskAnnotationCount", model_version_ids=["tagger-v1"]) == {
        "tagger-v1": counts(success=2)
    }
    assert tasks.counts(task_id, "GetTaskAnnotationCount", user_ids=["owner"]) == {}
    assert tasks.counts(task_id, "GetTaskInputCount") == {"tagger-v1": counts()}


def test_annotations_without_the_task_id_are_not_counted(tasks):
    task_id = tasks.post_task(human_task(["labeler-1"]))
    (first, *_) = tasks.start("labeler-1", task_id)
    assert tasks.label("labeler-1", task_id, first.input.id, {"water": 1}).status.code == status_code_pb2.SUCCESS
    untasked = resources_pb2.Annotation(input_id=first.input.id, data={"concepts": [{"id": "sky", "value": 1}]})
    request = service_pb2.PostAnnotationsRequest(user_app_id=tasks.app, annotations=[untasked])
    assert tasks.stub.PostAnnotations(request, metadata=tasks.metadata("owner")).status.code == status_code_pb2.SUCCESS
    assert tasks.counts(task_id, "GetTaskAnnotationCount") == {"labeler-1": counts(pending=1)}


@pytest.mark.parametrize("method", COUNT_METHODS)
def test_who_may_ask_for_counts(tasks, clarifai_fake, method):
    task_id = tasks.post_task(human_task(["outsider"]))
    as_worker = getattr(tasks.stub, method)(count_request(tasks, task_id), metadata=tasks.metadata("outsider"))
    assert as_worker.status.code == status_code_pb2.SUCCESS
    assert [entry.worker.user.id for entry in as_worker.counts] == ["outsider"]

    other_task = tasks.post_task(human_task(["labeler-1"]))
    refused = getattr(tasks.stub, method)(count_request(tasks, other_task), metadata=tasks.metadata("outsider"))
    assert (refused.status.code, refused.status.details) == (
        status_code_pb2.CONN_KEY_INVALID,
        "user 'outsider' has no access to app 'owner/main'",
    )
    missing = getattr(tasks.stub, method)(count_request(tasks, "no-such-task"), metadata=tasks.metadata("owner"))
    assert (missing.status.code, missing.status.details) == (
        status_code_pb2.TASK_MISSING,
        "task_id: task 'no-such-task' does not exist",
    )
