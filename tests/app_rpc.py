"""Helpers for the app-state RPC tests (test_apps_rpc, test_concepts_rpc, test_inputs_rpc, …)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai
from fake_clarifai.domain.work import WorkSource
from fake_clarifai.store import Assignment, TaskState
from fake_clarifai.wire import request_class

Code = status_code_pb2.StatusCode
MAIN = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
OWNER = FakeClarifai.metadata("owner-pat")
OUTSIDER = FakeClarifai.metadata("outsider-pat")
NO_ACCESS = "user 'outsider' has no access to app 'owner/main'"


def ok(response: Any) -> Any:
    assert response.status.code == Code.SUCCESS, response.status
    return response


def assert_error(response: Any, code: int, details: str) -> None:
    assert (Code.Name(response.status.code), response.status.details) == (Code.Name(code), details)


@contextmanager
def unchanged(fake: FakeClarifai) -> Iterator[None]:
    """Asserts that the block leaves the whole store as it found it."""
    before = fake.dump_state()
    yield
    assert fake.dump_state() == before


def outsider_is_refused(fake: FakeClarifai, stub: Any, method: str) -> None:
    """`method` on owner/main with the outsider's PAT: CONN_KEY_INVALID, nothing changed."""
    with unchanged(fake):
        response = getattr(stub, method)(request_class(method)(user_app_id=MAIN), metadata=OUTSIDER)
    assert_error(response, Code.CONN_KEY_INVALID, NO_ACCESS)


class RecordingRuntime(WorkSource):
    """A task's work source that records the source events it receives."""

    follows_source = True

    def __init__(self) -> None:
        self.added: list[list[str]] = []
        self.removed: list[str] = []

    def inputs_joined(self, input_ids: Any, store: Any, app: Any, task: Any) -> None:
        self.added.append(list(input_ids))

    def remove_input(self, input_id: str) -> None:
        self.removed.append(input_id)

    def clone(self) -> RecordingRuntime:
        return self


def put_task(
    fake: FakeClarifai,
    task_id: str,
    *,
    source: resources_pb2.TaskInputSource,
    assigned: dict[str, str] | None = None,
) -> TaskState:
    """A task planted straight in owner/main's store: `assigned` maps input id → worker user id (pending)."""
    app = fake.store.app("owner", "main")
    assigned = assigned or {}
    task = TaskState(
        task=resources_pb2.Task(id=task_id, input_source=source),
        worker_user_ids=frozenset(assigned.values()),
        work=RecordingRuntime(),
    )
    task.add(
        Assignment(f"{task_id}-{n}", task_id, input_id, worker, Code.TASK_ASSIGNMENT_PENDING, 0.0, 0.0)
        for n, (input_id, worker) in enumerate(assigned.items())
    )
    app.put_task(task)
    return task
