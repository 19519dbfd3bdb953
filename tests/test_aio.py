"""grpc.aio: an aio `V2Stub` (`ClarifaiChannel.get_aio_insecure_grpc_channel`) against the same fake."""

from __future__ import annotations

import asyncio

from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

from fake_clarifai.errors import Code
from fake_clarifai.server import FakeClarifai

APP = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
OWNER = FakeClarifai.metadata("owner-pat")
Assignments = service_pb2.MultiTaskAssignmentResponse
EventLoop = asyncio.AbstractEventLoop


def test_the_aio_stub_reads_the_state_seeded_through_the_fake(
    clarifai_fake: FakeClarifai,
    clarifai_aio_stub: service_pb2_grpc.V2Stub,
    clarifai_aio_loop: EventLoop,
) -> None:
    clarifai_fake.add_app("owner", "aio-app")
    response = clarifai_aio_loop.run_until_complete(
        clarifai_aio_stub.ListApps(service_pb2.ListAppsRequest(), metadata=OWNER)
    )
    assert response.status.code == Code.SUCCESS
    assert sorted(app.id for app in response.apps) == ["aio-app", "main"]


def test_aio_errors_are_clarifai_statuses(
    clarifai_aio_stub: service_pb2_grpc.V2Stub, clarifai_aio_loop: EventLoop
) -> None:
    response = clarifai_aio_loop.run_until_complete(
        clarifai_aio_stub.GetTask(service_pb2.GetTaskRequest(user_app_id=APP, task_id="ghost"), metadata=OWNER)
    )
    assert response.status.code == Code.TASK_MISSING
    assert "ghost" in response.status.details


async def label_start(stub: service_pb2_grpc.V2Stub, task_id: str, worker: str) -> Assignments:
    return await stub.PutTaskAssignments(
        service_pb2.PutTaskAssignmentsRequest(user_app_id=APP, task_id=task_id, action=service_pb2.LABEL_START),
        metadata=FakeClarifai.metadata(f"{worker}-pat"),
    )


async def label_submit(stub: service_pb2_grpc.V2Stub, task_id: str, worker: str, batch: Assignments) -> Assignments:
    config = service_pb2.LabelSubmitConfig(
        task_assignments=[resources_pb2.TaskAssignment(id=a.id) for a in batch.task_assignments]
    )
    return await stub.PutTaskAssignments(
        service_pb2.PutTaskAssignmentsRequest(
            user_app_id=APP, task_id=task_id, action=service_pb2.LABEL_SUBMIT, label_submit_config=config
        ),
        metadata=FakeClarifai.metadata(f"{worker}-pat"),
    )


async def two_workers_label_a_dynamic_task(stub: service_pb2_grpc.V2Stub) -> dict[str, list[Assignments]]:
    """Both workers start at once, then both submit what they got, then both ask for more."""
    workers = ("labeler-1", "labeler-2")
    task = resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        name="aio",
        worker=resources_pb2.TaskWorker(
            strategy=resources_pb2.TaskWorker.DYNAMIC,
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in workers],
        ),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )
    created = await stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=APP, tasks=[task]), metadata=OWNER)
    assert created.status.code == Code.SUCCESS, created.status
    task_id = created.tasks[0].id

    started = await asyncio.gather(*(label_start(stub, task_id, w) for w in workers))
    submitted = await asyncio.gather(
        *(label_submit(stub, task_id, w, b) for w, b in zip(workers, started, strict=True))
    )
    more = await asyncio.gather(*(label_start(stub, task_id, w) for w in workers))
    return {w: [started[i], submitted[i], more[i]] for i, w in enumerate(workers)}


def test_label_start_and_submit_on_a_dynamic_task_over_aio(
    clarifai_fake: FakeClarifai,
    clarifai_aio_stub: service_pb2_grpc.V2Stub,
    clarifai_aio_loop: EventLoop,
) -> None:
    inputs = [f"in-{i:02}" for i in range(14)]
    for input_id in inputs:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    by_worker = clarifai_aio_loop.run_until_complete(two_workers_label_a_dynamic_task(clarifai_aio_stub))

    handed = []
    for worker, (started, submitted, more) in by_worker.items():
        assert [r.status.code for r in (started, submitted, more)] == [Code.SUCCESS] * 3
        assert {a.worker.user.id for a in started.task_assignments} == {worker}
        assert {a.status.code for a in started.task_assignments} == {Code.TASK_ASSIGNMENT_PENDING}
        assert [a.id for a in submitted.task_assignments] == [a.id for a in started.task_assignments]
        assert {a.status.code for a in submitted.task_assignments} == {Code.TASK_ASSIGNMENT_SUCCESS}
        assert list(more.task_assignments) == []
        handed += [a.input.id for a in started.task_assignments]
    # Ten at a time, each input to one worker (workers_per_input 1): one got ten, the other the last four.
    assert sorted(len(started.task_assignments) for started, _, _ in by_worker.values()) == [4, 10]
    assert sorted(handed) == inputs
    assert {c.user_id for c in clarifai_fake.journal if c.method == "PutTaskAssignments"} == {"labeler-1", "labeler-2"}
