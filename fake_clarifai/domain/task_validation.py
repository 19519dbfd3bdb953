"""A Task definition checked and normalized (BEHAVIOUR.md §1 aliases, §4 validation, §7 worker rules).

Pure: no gRPC, no store. The caller says what exists in the app (`AppFacts`, the store's own dicts
will do) and where the task sits in the request (`tasks[0]`), so that every error names the field and
the value. Normalized form: `worker.workers` holds the workers (user workers carry only the user id),
with `worker.users`/`worker.user_ids` mirroring the human ones; `review.users`/`review.user_ids` both
hold the reviewers; `concepts` holds the concepts, `concept_ids` mirrors them; an unset review strategy
is NONE; output-only fields (`metrics`) are cleared.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf import json_format

from fake_clarifai.domain.assignment import NO_VALUE, AssignmentConfigError, effective_wpi, validate_partitioned
from fake_clarifai.domain.review_policy import policy_of
from fake_clarifai.errors import ApiError, Code, invalid

Task = resources_pb2.Task
TaskWorker = resources_pb2.TaskWorker
TaskReview = resources_pb2.TaskReview
TaskInputSource = resources_pb2.TaskInputSource
PartitionInfo = resources_pb2.TaskWorkerPartitionedStrategyInfo

HUMAN_STRATEGIES = {TaskWorker.PARTITIONED: "PARTITIONED", TaskWorker.FULL: "FULL", TaskWorker.DYNAMIC: "DYNAMIC"}
TASK_STATUSES = (Code.TASK_IN_PROGRESS, Code.TASK_DONE, Code.TASK_WONT_DO, Code.TASK_FAILED, Code.TASK_IDLE)
TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,48}")
# [policy] What one PostTasks / PatchTasks request may ask for (BEHAVIOUR.md §4.1). Clarifai documents 128 as
# its batch size per request for inputs and predictions and nothing for tasks; the work bound keeps one
# request's deal (and the records it may become) within what a test process holds.
MAX_TASKS_PER_REQUEST = 128
MAX_WORK_PER_REQUEST = 20_000_000  # (worker, input) pairs dealt at creation by the tasks of one request


class Versioned(Protocol):
    @property
    def version_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AppFacts:
    """What exists, for reference checks: users of the fake, and the app's concepts, datasets, inputs,
    models and workflows (id -> something with a `version_id`), and saved searches."""

    users: Container[str]
    concepts: Container[str]
    datasets: Container[str]
    inputs: Container[str]
    models: Mapping[str, Versioned]
    workflows: Mapping[str, Versioned]
    searches: Container[str] = ()


@dataclass(frozen=True, slots=True)
class ValidTask:
    """A checked task: its normalized copy, who takes part in it (in the order the task lists them) and, for
    a WEIGHTED PARTITIONED task, the checked weights as floats in worker order (None: EVENLY, or not
    PARTITIONED). The store takes these as they are: nothing is checked or parsed twice."""

    task: resources_pb2.Task
    worker_user_ids: tuple[str, ...]
    reviewer_user_ids: tuple[str, ...]
    weights: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class _Named:
    """A worker or reviewer as the request gave it: `entry` is its path, `id_field` the path of its user id."""

    entry: str
    id_field: str
    worker: resources_pb2.Worker


def is_auto_annotation(task: resources_pb2.Task) -> bool:
    """Auto-annotation tasks are the ones of type TYPE_NOT_SET (BEHAVIOUR.md §7)."""
    return task.type == Task.TYPE_NOT_SET


def worker_user_ids(task: resources_pb2.Task) -> list[str]:
    """The human workers of a normalized task, in task order."""
    return [worker.user.id for worker in task.worker.workers if worker.HasField("user")]


def partition_weights(task: resources_pb2.Task) -> dict[str, object] | None:
    """The WEIGHTED weights as plain Python values (None unless the partition type is WEIGHTED)."""
    info = task.worker.partitioned_strategy_info
    if info.type != PartitionInfo.WEIGHTED:
        return None
    return {
        worker: NO_VALUE if value.WhichOneof("kind") is None else json_format.MessageToDict(value)
        for worker, value in info.weights.fields.items()
    }


def check_task_id(task_id: str, where: str) -> None:
    """A caller-chosen task id: 1 to 48 letters, digits, '-' or '_'."""
    if not TASK_ID.fullmatch(task_id):
        raise invalid(f"{where}.id '{task_id}' is not a valid task id: use 1 to 48 letters, digits, '-' or '_'")


def check_task_status(status_code: int, where: str) -> None:
    """A task status a caller may set (PatchTasks)."""
    if status_code not in TASK_STATUSES:
        names = ", ".join(Code.Name(code) for code in TASK_STATUSES)
        raise invalid(f"{where}.status.code {_code_name(status_code)} is not a task status: use one of {names}")


def check_task_count(count: int) -> None:
    """At most `MAX_TASKS_PER_REQUEST` tasks in one request's `tasks`."""
    if count > MAX_TASKS_PER_REQUEST:
        raise invalid(
            f"tasks holds {count} tasks, more than the {MAX_TASKS_PER_REQUEST} one request may carry: "
            "send them in several requests"
        )


def dealt_work(valid: ValidTask, source_size: int) -> tuple[int, str]:
    """The (worker, input) pairs a task deals at creation over a source of `source_size` inputs (§5), and
    how, in field names: FULL every worker × the source, PARTITIONED workers_per_input × the source, an
    auto-annotation task one model run per input; DYNAMIC none (its pool hands work out on demand)."""
    task = valid.task
    inputs = f"{source_size} inputs of its input_source"
    if is_auto_annotation(task):
        return source_size, f"type TYPE_NOT_SET: its model annotates the {inputs}"
    if task.worker.strategy == TaskWorker.FULL:
        workers = len(valid.worker_user_ids)
        return workers * source_size, f"worker.strategy FULL: {workers} worker.workers × {inputs}"
    if task.worker.strategy == TaskWorker.PARTITIONED:
        wpi = task.worker.partitioned_strategy_info.workers_per_input
        return effective_wpi(wpi) * source_size, (
            f"worker.partitioned_strategy_info.workers_per_input {wpi} × {inputs}"
        )
    return 0, ""


def check_request_work(tasks: Sequence[tuple[str, ValidTask, int]]) -> None:
    """The tasks of one request (where each sits, e.g. `tasks[3]`, its checked form and its source's size)
    deal at most `MAX_WORK_PER_REQUEST` (worker, input) pairs together (`dealt_work`)."""
    total = 0
    for where, valid, source_size in tasks:
        pairs, how = dealt_work(valid, source_size)
        total += pairs
        if total > MAX_WORK_PER_REQUEST:
            before = f", {total} with the tasks before it" if total != pairs else ""
            raise invalid(
                f"{where} deals {pairs} (worker, input) pairs ({how}){before}, more than the "
                f"{MAX_WORK_PER_REQUEST} one request may deal: send the tasks in several requests or give "
                "them smaller input sources"
            )


def validate_task(task: resources_pb2.Task, facts: AppFacts, where: str) -> ValidTask:
    """Check `task` (called `where` in errors) against `facts`; return its normalized form.

    Raises `ApiError`: CONN_INVALID_REQUEST for every rule of BEHAVIOUR.md §4, CONN_DOES_NOT_EXIST for an unknown
    model, model version or workflow, TASK_NOT_IMPLEMENTED for a SAVED_SEARCH source.
    """
    if task.type not in Task.TaskType.values():
        names = ", ".join(Task.TaskType.keys())
        raise invalid(f"{where}.type {task.type} is not a task type: use one of {names}")
    workers = _named_workers(task.worker, f"{where}.worker")
    if is_auto_annotation(task):
        _check_auto_worker(task.worker, workers, facts, where)
        human_ids: tuple[str, ...] = ()
        weights = None
    else:
        human_ids, weights = _check_human_workers(task, workers, facts, where)
    reviewer_ids = _check_users(_named_reviewers(task.review, f"{where}.review"), facts)
    _check_review(task.review, reviewer_ids, f"{where}.review")
    _check_concepts(task, facts, where)
    _check_source(task.input_source, facts, f"{where}.input_source")
    normalized = _normalized(task, [named.worker for named in workers], reviewer_ids)
    return ValidTask(task=normalized, worker_user_ids=human_ids, reviewer_user_ids=reviewer_ids, weights=weights)


def _named_workers(worker: resources_pb2.TaskWorker, where: str) -> list[_Named]:
    """The worker list from `workers`, else the deprecated `users`, else `user_ids` (BEHAVIOUR.md §1)."""
    if worker.workers:
        return [
            _Named(f"{where}.workers[{i}]", f"{where}.workers[{i}].user.id", w) for i, w in enumerate(worker.workers)
        ]
    if worker.users:
        return [
            _Named(f"{where}.users[{i}]", f"{where}.users[{i}].id", resources_pb2.Worker(user={"id": user.id}))
            for i, user in enumerate(worker.users)
        ]
    return [
        _Named(f"{where}.user_ids[{i}]", f"{where}.user_ids[{i}]", resources_pb2.Worker(user={"id": user_id}))
        for i, user_id in enumerate(worker.user_ids)
    ]


def _named_reviewers(review: resources_pb2.TaskReview, where: str) -> list[tuple[str, str]]:
    """(field, user id) of each reviewer from `users`, else the deprecated `user_ids` (BEHAVIOUR.md §1)."""
    if review.users:
        return [(f"{where}.users[{i}].id", user.id) for i, user in enumerate(review.users)]
    return [(f"{where}.user_ids[{i}]", user_id) for i, user_id in enumerate(review.user_ids)]


def _check_users(named: Sequence[tuple[str, str]], facts: AppFacts) -> tuple[str, ...]:
    """Each (field, user id) names an existing user, once; returns the ids in order."""
    seen: set[str] = set()
    for field, user_id in named:
        if not user_id:
            raise invalid(f"{field} is empty: name an existing user")
        if user_id not in facts.users:
            raise invalid(f"{field} '{user_id}' is not a user")
        if user_id in seen:
            raise invalid(f"{field} '{user_id}' is listed twice")
        seen.add(user_id)
    return tuple(user_id for _, user_id in named)


def _check_human_workers(
    task: resources_pb2.Task, workers: Sequence[_Named], facts: AppFacts, where: str
) -> tuple[tuple[str, ...], dict[str, float] | None]:
    """The human workers' user ids in task order, and the PARTITIONED weights checked (None: EVENLY or
    not PARTITIONED)."""
    worker = task.worker
    task_type = Task.TaskType.Name(task.type)
    if worker.strategy not in HUMAN_STRATEGIES:
        choices = "PARTITIONED, FULL or DYNAMIC"
        if worker.strategy == TaskWorker.WORKER_STRATEGY_NOT_SET:
            raise invalid(f"{where}.worker.strategy is not set: a {task_type} task needs {choices}")
        raise invalid(f"{where}.worker.strategy {worker.strategy} is not a worker strategy: use {choices}")
    if worker.type == TaskWorker.WORKER_AUTO:
        raise invalid(f"{where}.worker.type WORKER_AUTO needs task type TYPE_NOT_SET, not {task_type}")
    for named in workers:
        kind = named.worker.WhichOneof("worker")
        if kind != "user":
            raise invalid(
                f"{named.entry} is {_worker_kind(kind)}: a {task_type} task takes only user workers "
                "(model and workflow workers are for auto-annotation tasks, type TYPE_NOT_SET)"
            )
    ids = _check_users([(named.id_field, named.worker.user.id) for named in workers], facts)
    info = worker.partitioned_strategy_info
    if (
        worker.strategy == TaskWorker.PARTITIONED
        and info.type not in PartitionInfo.TaskWorkerPartitionedStrategy.values()
    ):
        raise invalid(f"{where}.worker.partitioned_strategy_info.type {info.type} is not EVENLY or WEIGHTED")
    if worker.strategy == TaskWorker.FULL or (not ids and worker.strategy == TaskWorker.DYNAMIC):
        return ids, None  # a task without workers has nobody to share DYNAMIC work among [policy, §4.2]
    weights = partition_weights(task) if worker.strategy == TaskWorker.PARTITIONED else None
    try:
        return ids, validate_partitioned(ids, info.workers_per_input, weights)
    except AssignmentConfigError as error:
        raise invalid(f"{where}.{error}") from error


def _check_auto_worker(
    worker: resources_pb2.TaskWorker, workers: Sequence[_Named], facts: AppFacts, where: str
) -> None:
    if worker.strategy not in TaskWorker.TaskWorkerStrategy.values():
        raise invalid(f"{where}.worker.strategy {worker.strategy} is not a worker strategy")
    if worker.type == TaskWorker.WORKER_HUMAN:
        raise invalid(f"{where}.worker.type WORKER_HUMAN needs a labeling task type, not TYPE_NOT_SET")
    if len(workers) != 1:
        raise invalid(
            f"{where}.worker.workers has {len(workers)} workers: an auto-annotation task (type TYPE_NOT_SET) "
            "takes exactly one model or workflow worker"
        )
    named = workers[0]
    kind = named.worker.WhichOneof("worker")
    if kind == "model":
        model = named.worker.model
        if not model.id:
            raise invalid(f"{named.entry}.model.id is empty: name a model of the app")
        if model.id not in facts.models:
            raise ApiError(Code.CONN_DOES_NOT_EXIST, f"{named.entry}.model.id: model '{model.id}' does not exist")
        version = model.model_version.id
        if not version:
            raise invalid(f"{named.entry}.model.model_version.id is empty: name the version that annotates")
        if version != facts.models[model.id].version_id:
            raise ApiError(
                Code.CONN_DOES_NOT_EXIST,
                f"{named.entry}.model.model_version.id: model '{model.id}' has no version '{version}'",
            )
    elif kind == "workflow":
        workflow = named.worker.workflow
        if not workflow.id:
            raise invalid(f"{named.entry}.workflow.id is empty: name a workflow of the app")
        if workflow.id not in facts.workflows:
            raise ApiError(
                Code.CONN_DOES_NOT_EXIST, f"{named.entry}.workflow.id: workflow '{workflow.id}' does not exist"
            )
        version = workflow.version.id
        if version and version != facts.workflows[workflow.id].version_id:
            raise ApiError(
                Code.CONN_DOES_NOT_EXIST,
                f"{named.entry}.workflow.version.id: workflow '{workflow.id}' has no version '{version}'",
            )
    else:
        raise invalid(
            f"{named.entry} is {_worker_kind(kind)}: an auto-annotation task (type TYPE_NOT_SET) takes a model or "
            "workflow worker; give a human task a labeling type such as CONCEPTS_CLASSIFICATION"
        )


def _check_review(review: resources_pb2.TaskReview, reviewers: Sequence[str], where: str) -> None:
    """The review strategy's own rules (domain/review_policy.py)."""
    policy_of(review, where).validate(review, reviewers, where)


def _check_concepts(task: resources_pb2.Task, facts: AppFacts, where: str) -> None:
    """Concepts must exist in the app; `concept_ids` counts only when `concepts` is empty (BEHAVIOUR.md §1)."""
    if task.concepts:
        named = [(f"{where}.concepts[{i}].concept.id", c.concept.id) for i, c in enumerate(task.concepts)]
    else:
        named = [(f"{where}.concept_ids[{i}]", concept_id) for i, concept_id in enumerate(task.concept_ids)]
    for field, concept_id in named:
        if not concept_id:
            raise invalid(f"{field} is empty: name a concept of the app")
        if concept_id not in facts.concepts:
            raise invalid(f"{field} '{concept_id}' is not a concept of the app")


def _check_source(source: resources_pb2.TaskInputSource, facts: AppFacts, where: str) -> None:
    kind = source.type
    if kind == TaskInputSource.INPUT_SOURCE_TYPE_NOT_SET:
        raise invalid(f"{where}.type is not set: use ALL_INPUTS, DATASET or INPUT")
    if kind not in TaskInputSource.TaskInputSourceType.values():
        raise invalid(f"{where}.type {kind} is not an input source type: use ALL_INPUTS, DATASET or INPUT")
    if kind == TaskInputSource.DATASET:
        _check_member(source.id, facts.datasets, "DATASET", "a dataset", where)
    if kind == TaskInputSource.INPUT:
        _check_member(source.id, facts.inputs, "INPUT", "an input", where)
    if kind == TaskInputSource.SAVED_SEARCH:
        _check_member(source.id, facts.searches, "SAVED_SEARCH", "a saved search", where)


def _check_member(resource_id: str, existing: Container[str], source: str, noun: str, where: str) -> None:
    if not resource_id:
        raise invalid(f"{where}.id is empty: a {source} source names {noun} of the app")
    if resource_id not in existing:
        raise invalid(f"{where}.id '{resource_id}' is not {noun} of the app")


def _normalized(
    task: resources_pb2.Task, workers: Sequence[resources_pb2.Worker], reviewers: Sequence[str]
) -> resources_pb2.Task:
    out = resources_pb2.Task()
    out.CopyFrom(task)
    out.ClearField("metrics")
    worker = out.worker
    del worker.workers[:]
    worker.workers.extend(_bare(w) for w in workers)
    human = [w.user.id for w in workers if w.HasField("user")]
    del worker.users[:]
    worker.users.extend(resources_pb2.User(id=user_id) for user_id in human)
    worker.user_ids[:] = human
    review = out.review
    del review.users[:]
    review.users.extend(resources_pb2.User(id=user_id) for user_id in reviewers)
    review.user_ids[:] = reviewers
    if review.strategy == TaskReview.TASK_REVIEW_STRATEGY_NOT_SET:
        review.strategy = TaskReview.NONE
    if not out.concepts:
        out.concepts.extend(resources_pb2.TaskConcept(concept={"id": c}) for c in task.concept_ids)
    out.concept_ids[:] = [c.concept.id for c in out.concepts]
    return out


def _bare(worker: resources_pb2.Worker) -> resources_pb2.Worker:
    """A user worker reduced to its id (full users are filled on request); model/workflow workers as given."""
    if worker.HasField("user"):
        return resources_pb2.Worker(user={"id": worker.user.id})
    return worker


def _worker_kind(kind: str | None) -> str:
    return f"a {kind} worker" if kind else "empty (set user, model or workflow)"


def _code_name(code: int) -> str:
    return Code.Name(code) if code in Code.values() else str(code)
