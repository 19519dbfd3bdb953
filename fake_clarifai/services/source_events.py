"""What tasks learn when their input source changes (called by the input and dataset services).

BEHAVIOUR.md §5: DYNAMIC tasks draw from the live source, so inputs added later are handed out; PARTITIONED
and FULL tasks keep what creation assigned. An input that leaves a task's source (deleted from the app,
removed from the task's DATASET, or the dataset deleted) leaves the task: `TaskState.drop_input`.
"""

from __future__ import annotations

from collections.abc import Sequence

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.services import searches
from fake_clarifai.store import AppState, Store, TaskState

ALL_INPUTS = resources_pb2.TaskInputSource.ALL_INPUTS
DATASET = resources_pb2.TaskInputSource.DATASET
SAVED_SEARCH = resources_pb2.TaskInputSource.SAVED_SEARCH


def draws_from(task: TaskState, dataset_id: str | None) -> bool:
    """Whether inputs added to the app (dataset_id None) or to `dataset_id` join `task`'s source."""
    source = task.task.input_source
    if dataset_id is None:
        return source.type == ALL_INPUTS
    return source.type == DATASET and source.id == dataset_id


def inputs_added(store: Store, app: AppState, input_ids: Sequence[str], dataset_id: str | None = None) -> None:
    """New inputs in the app (`dataset_id` None) or new members of `dataset_id`, in order: the work source
    of each task drawing from there hears of them, if it follows its source (`WorkSource.follows_source`)."""
    for task_id, seen in list(app.tasks.items()):
        if not seen.work.follows_source:
            continue
        if draws_from(seen, dataset_id):
            task = app.changing(task_id)
            task.work.inputs_joined(input_ids, store, app, task)
        elif dataset_id is None and seen.task.input_source.type == SAVED_SEARCH:
            selected = searches.newly_selected(app, seen.task.input_source.id, input_ids)
            task = app.changing(task_id)
            task.work.inputs_joined(selected, store, app, task)


def inputs_left(app: AppState, input_ids: Sequence[str], dataset_id: str) -> None:
    """Members left `dataset_id`: they leave every task drawing from it."""
    for task in app.changing_tasks(lambda task: draws_from(task, dataset_id)):
        for input_id in input_ids:
            task.drop_input(input_id)


def input_removed(app: AppState, input_id: str) -> None:
    """An input left the app: it leaves every task."""
    for task in app.changing_tasks():
        task.drop_input(input_id)
