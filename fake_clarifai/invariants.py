"""Consistency checks over the fake's whole state, for the fake's own tests and for yours.

`violations(store)` lists every broken invariant (an empty list means consistent): references that
point at nothing (a task's concept, a dataset member), records filed under the wrong key, indexes that
disagree with what they index, and the task rules: no work of any kind (assignment, planned, review batch,
consensus) on an input outside the task's source (deleted, or out of its DATASET); per input, no more
distinct workers than `workers_per_input` (FULL: each worker once; more only where an overwrite that
lowered it kept submitted work); and GetTaskInputCount's tallies and the task metrics agree with the
records. `check_invariants(fake_or_store)` raises `InvariantViolation` listing them. (To assert that a
call changed nothing, compare two `FakeClarifai.dump_state()`s.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from clarifai_grpc.grpc.api import resources_pb2

from fake_clarifai.domain.assignment import effective_wpi
from fake_clarifai.domain.review_policy import PENDING
from fake_clarifai.domain.task_validation import is_auto_annotation
from fake_clarifai.errors import Code
from fake_clarifai.services.task_work import annotation_worker_key, input_count_tallies
from fake_clarifai.services.tasks import task_metrics
from fake_clarifai.store import AppState, Assignment, Store, TaskState

if TYPE_CHECKING:
    from fake_clarifai.server import FakeClarifai

ASSIGNMENT_STATES = frozenset(number for name, number in Code.items() if name.startswith("TASK_ASSIGNMENT_"))
DECIDED = frozenset({Code.TASK_ASSIGNMENT_SUCCESS, Code.TASK_ASSIGNMENT_REJECTED})
TaskInputSource = resources_pb2.TaskInputSource


class InvariantViolation(AssertionError):
    """The state is inconsistent; `problems` lists every broken invariant."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} state invariant(s) broken:\n  " + "\n  ".join(problems))
        self.problems = problems


def check_invariants(target: Store | FakeClarifai) -> None:
    """Raise `InvariantViolation` unless the state of `target` (a Store or a FakeClarifai) is consistent."""
    store = target if isinstance(target, Store) else target.store
    problems = violations(store)
    if problems:
        raise InvariantViolation(problems)


def violations(store: Store) -> list[str]:
    """Every broken invariant of `store`, each naming where (`app owner/main task t1: ...`)."""
    with store.lock:
        problems = [f"user {key!r}: stored with id {user.id!r}" for key, user in store.users.items() if user.id != key]
        for key, token in store.tokens.items():
            if token.value != key or token.user_id not in store.users:
                problems.append(f"token {key!r}: value {token.value!r}, user {token.user_id!r} (unknown user?)")
            if token.app_id is not None and (token.user_id, token.app_id) not in store.apps:
                problems.append(f"app key {key!r}: bound to missing app {token.user_id}/{token.app_id}")
        for (user_id, app_id), app in store.apps.items():
            where = f"app {user_id}/{app_id}"
            problems += [f"{where}: {problem}" for problem in _app_violations(store, user_id, app_id, app)]
        members: dict[str, set[tuple[str, str]]] = {}
        for key, app in store.apps.items():
            for member in (app.user_id, *app.collaborators):
                members.setdefault(member, set()).add(key)
        indexed = {user: set(keys) for user, keys in store.app_keys_by_member.items()}
        if indexed != members:
            problems.append(f"app_keys_by_member {sorted(indexed.items())} != owners and collaborators")
        return problems


def _app_violations(store: Store, user_id: str, app_id: str, app: AppState) -> list[str]:
    problems: list[str] = []
    if (app.app.user_id, app.app.id) != (user_id, app_id):
        problems.append(f"stored as {app.app.user_id}/{app.app.id}")
    if user_id not in store.users:
        problems.append(f"owner {user_id!r} is not a user")
    for key, collaborator in app.collaborators.items():
        if key not in store.users or key == user_id or collaborator.user.id != key:
            problems.append(f"collaborator {key!r}: not another user, or stored as {collaborator.user.id!r}")
    problems += _misfiled("concept", app.concepts, lambda concept: concept.id)
    problems += _misfiled("input", app.inputs, lambda item: item.id)
    problems += _misfiled("dataset", app.datasets, lambda dataset: dataset.id)
    problems += _misfiled("annotation", app.annotations, lambda annotation: annotation.id)
    problems += _misfiled("model", app.models, lambda model: model.id)
    problems += _misfiled("workflow", app.workflows, lambda workflow: workflow.id)
    problems += _misfiled("task", app.tasks, lambda task: task.task.id)
    if set(app.dataset_members) != set(app.datasets):
        problems.append(f"dataset_members keys {sorted(app.dataset_members)} != datasets {sorted(app.datasets)}")
    for dataset_id, members in app.dataset_members.items():
        for input_id, member in members.items():
            if input_id not in app.inputs or member.input.id != input_id:
                problems.append(f"dataset {dataset_id!r} member {input_id!r}: no such input, or stored as another")
    memberships = {(i, d) for d, members in app.dataset_members.items() for i in members}
    indexed = {(i, d) for i, dataset_ids in app.dataset_ids_by_input.items() for d in dataset_ids}
    problems += [f"dataset_ids_by_input misses {d!r} for input {i!r}" for i, d in sorted(memberships - indexed)]
    problems += [
        f"dataset_ids_by_input lists {d!r} for input {i!r}, not a member" for i, d in sorted(indexed - memberships)
    ]
    for workflow in app.workflows.values():
        if workflow.model_id not in app.models:
            problems.append(f"workflow {workflow.id!r}: model {workflow.model_id!r} does not exist")
    for annotation in app.annotations.values():
        if annotation.input_id not in app.inputs:
            problems.append(f"annotation {annotation.id!r}: input {annotation.input_id!r} does not exist")
    problems += _index_violations(
        "annotation_ids_by_input", app.annotation_ids_by_input, {a.id: a.input_id for a in app.annotations.values()}
    )
    problems += _index_violations(
        "annotation_ids_by_task",
        app.annotation_ids_by_task,
        {a.id: a.task_id for a in app.annotations.values() if a.task_id},
    )
    for task_id, task in app.tasks.items():
        problems += [f"task {task_id!r}: {problem}" for problem in _task_violations(store, app, task_id, task)]
    return problems


def _task_violations(store: Store, app: AppState, task_id: str, task: TaskState) -> list[str]:
    problems: list[str] = []
    if (task.task.user_id, task.task.app_id) != (app.user_id, app.app_id):
        problems.append(f"stored with user_id/app_id {task.task.user_id}/{task.task.app_id}")
    for role, user_ids in (("worker", task.worker_user_ids), ("reviewer", task.reviewer_user_ids)):
        problems += [f"{role} {user!r} is not a user" for user in sorted(user_ids - store.users.keys())]
    for concept in task.task.concepts:
        if concept.concept.id not in app.concepts:
            problems.append(f"concept {concept.concept.id!r} does not exist")
    # the held async half (task_work.apply_async_half) is bounded by the work it describes
    problems += [
        f"held annotation status for {i!r}, not an assignment"
        for i in task.held_annotation_status.keys() - task.assignments.keys()
    ]
    unsettled = task.unsettled_inputs.keys() - task.assignment_ids_by_input.keys()
    problems += [f"unsettled input {i!r} has no assignment" for i in sorted(unsettled)]
    for key, assignment in task.assignments.items():
        where = f"assignment {key!r}"
        if assignment.id != key or assignment.task_id != task_id:
            problems.append(f"{where}: stored as {assignment.id!r} of task {assignment.task_id!r}")
        if assignment.state not in ASSIGNMENT_STATES:
            problems.append(f"{where}: state {assignment.state} is not a TASK_ASSIGNMENT_* code")
        if assignment.worker_id not in store.users and not _model_review_item(app, task, assignment):
            problems.append(f"{where}: worker {assignment.worker_id!r} is not a user")
        if assignment.state == Code.TASK_ASSIGNMENT_PENDING:
            if assignment.input_id not in app.inputs:
                problems.append(f"{where}: pending on input {assignment.input_id!r}, which does not exist")
            if assignment.worker_id not in task.worker_user_ids:
                problems.append(f"{where}: pending for {assignment.worker_id!r}, who is not a worker of the task")
    pairs = Counter((a.worker_id, a.input_id) for a in task.assignments.values())
    problems += [f"worker {w!r} holds input {i!r} {n} times" for (w, i), n in pairs.items() if n > 1]
    problems += _index_violations(
        "assignment_ids_by_worker",
        task.assignment_ids_by_worker,
        {a.id: a.worker_id for a in task.assignments.values()},
    )
    problems += _index_violations(
        "assignment_ids_by_input",
        task.assignment_ids_by_input,
        {a.id: a.input_id for a in task.assignments.values()},
    )
    problems += _index_violations(
        "assignment_ids_by_worker_state",
        task.assignment_ids_by_worker_state,
        {a.id: (a.worker_id, a.state) for a in task.assignments.values()},
    )
    problems += _plan_violations(app, task)
    for reviewer, batch in task.review_batches.items():
        problems += [
            f"review batch of {reviewer!r} lists {i!r}, which does not exist"
            for i in batch
            if i not in task.assignments
        ]
    empty = [input_id for input_id, ids in task.assignment_ids_by_input.items() if not ids]
    problems += [f"assignment_ids_by_input[{input_id!r}] is empty" for input_id in empty]
    problems += _work_violations(app, task)
    problems += _review_violations(task)
    return problems


REVIEW_STATES = (
    Code.TASK_ASSIGNMENT_REVIEW_PENDING,
    Code.TASK_ASSIGNMENT_REVIEW_SUCCESS,
    Code.TASK_ASSIGNMENT_REVIEW_DISMISSED,
)


def _review_violations(task: TaskState) -> list[str]:
    """Per-reviewer reviews (BEHAVIOUR.md §6.7): records only of existing assignments, in the three review
    states; a pending review only by a current reviewer and only on work awaiting review; work awaiting
    review awaits at least one reviewer: every reviewer under stacked review, exactly one otherwise."""
    problems: list[str] = []
    policy = task.review_policy
    reviewers = set(task.reviewers)
    stacked = policy.stacked(task.task.review)
    for assignment_id, records in task.reviews.items():
        assignment = task.assignments.get(assignment_id)
        if assignment is None:
            problems.append(f"reviews of {assignment_id!r}, which is not an assignment of the task")
            continue
        pending = {r for r, state in records.items() if state == Code.TASK_ASSIGNMENT_REVIEW_PENDING}
        problems += [
            f"review of {assignment_id!r} by {r!r} is {s}" for r, s in records.items() if s not in REVIEW_STATES
        ]
        problems += [f"review of {assignment_id!r} pending for {r!r}, not a reviewer" for r in pending - reviewers]
        if pending and assignment.state != policy.reviewable:
            problems.append(f"review of {assignment_id!r} pending while it is {Code.Name(assignment.state)}")
    if not (policy.needs_reviewers and reviewers):
        return problems
    for worker in task.worker_user_ids | {a.worker_id for a in task.assignments.values()}:
        for assignment_id in task.assignment_ids_by_worker_state.get((worker, policy.reviewable), ()):
            records = task.reviews.get(assignment_id, {})
            waiting = {r for r, state in records.items() if state == Code.TASK_ASSIGNMENT_REVIEW_PENDING}
            if not waiting:
                problems.append(f"{assignment_id!r} awaits review but no reviewer's review is pending")
            elif stacked and not reviewers <= (
                open_or_done := {r for r, s in records.items() if s in REVIEW_STATES[:2]}
            ):
                problems.append(f"{assignment_id!r}: stacked review, but {sorted(reviewers - open_or_done)} have none")
            elif not stacked and len(waiting) > 1:
                problems.append(f"{assignment_id!r}: distributed review pending for {sorted(waiting)}")
    return problems


def _model_review_item(app: AppState, task: TaskState, assignment: Assignment) -> bool:
    """An auto-annotation review item (BEHAVIOUR.md §7.1): never pending, and on an input where the task's
    annotations include one by that model or workflow version."""
    if not is_auto_annotation(task.task) or assignment.state == PENDING:
        return False
    found = (app.annotations[i] for i in app.annotation_ids_by_input.get(assignment.input_id, ()))
    return any(a.task_id == task.task.id and annotation_worker_key(a) == assignment.worker_id for a in found)


def _in_source(app: AppState, source: resources_pb2.TaskInputSource) -> Callable[[str], bool]:
    """Whether an input is in the task's source now: it exists and, for DATASET, is a member; INPUT: is it."""
    if source.type == TaskInputSource.DATASET:
        members = app.dataset_members.get(source.id, {})
        return lambda input_id: input_id in members
    if source.type == TaskInputSource.INPUT:
        return lambda input_id: input_id == source.id and input_id in app.inputs
    return lambda input_id: input_id in app.inputs


def _work_violations(app: AppState, task: TaskState) -> list[str]:
    """Work only on inputs in the source; per input at most workers_per_input distinct workers; counts and
    metrics as the records say."""
    problems: list[str] = []
    in_source = _in_source(app, task.task.input_source)
    planned = {w: task.work.inputs_of(w) for w in task.work.workers()}
    holders: dict[str, set[str]] = {}
    for assignment in task.assignments.values():
        holders.setdefault(assignment.input_id, set()).add(assignment.worker_id)
    planned_on: dict[str, set[str]] = {}
    for worker, input_ids in planned.items():
        for input_id in input_ids:
            planned_on.setdefault(input_id, set()).add(worker)
    for input_id in sorted(holders.keys() | planned_on.keys() | task.consensus_labels.keys()):
        if not in_source(input_id):
            problems.append(f"input {input_id!r} is not in the task's source, but the task still has work on it")
    for reviewer, batch in task.review_batches.items():
        stale = [a for a in batch if a in task.assignments and not in_source(task.assignments[a].input_id)]
        problems += [f"review batch of {reviewer!r} holds {a!r}, on an input not in the source" for a in stale]
    if task.work.bounded:
        wpi = effective_wpi(task.task.worker.partitioned_strategy_info.workers_per_input)
        for input_id in sorted(holders.keys() | planned_on.keys()):
            workers = holders.get(input_id, set()) | planned_on.get(input_id, set())
            bound = max(wpi, task.kept_beyond_wpi.get(input_id, 0))
            if len(workers) > bound:
                problems.append(
                    f"input {input_id!r} has {len(workers)} workers ({', '.join(sorted(workers))}), "
                    f"more than workers_per_input {wpi}"
                )
    problems += _count_violations(app, task, planned)
    return problems


def _count_violations(app: AppState, task: TaskState, planned: Mapping[str, list[str]]) -> list[str]:
    """GetTaskInputCount's tallies and the task metrics, against a count of the records themselves."""
    problems: list[str] = []
    expected: Counter[tuple[str, int]] = Counter((a.worker_id, a.state) for a in task.assignments.values())
    for worker, input_ids in planned.items():
        if input_ids:
            expected[(worker, PENDING)] += len(input_ids)
    counted: Counter[tuple[str, int]] = Counter()
    for worker, state, n in input_count_tallies(task):
        if n:
            counted[(worker, state)] += n
    if counted != +expected:
        problems.append(f"GetTaskInputCount tallies {sorted(counted.items())} != records {sorted(expected.items())}")
    states: dict[str, list[int]] = {}
    for assignment in task.assignments.values():
        states.setdefault(assignment.input_id, []).append(assignment.state)
    planned_inputs = {i for input_ids in planned.values() for i in input_ids}
    worked = sum(any(s != PENDING for s in found) for found in states.values())
    reviewed = sum(all(s in DECIDED for s in found) and i not in planned_inputs for i, found in states.items())
    metrics = task_metrics(app, task)
    shown = (metrics.work.inputs_count_estimated, metrics.review.inputs_count_estimated)
    if shown != (worked, reviewed):
        problems.append(f"metrics (worked, reviewed) {shown} != records {(worked, reviewed)}")
    return problems


def _plan_violations(app: AppState, task: TaskState) -> list[str]:
    """Planned work is pending work: on existing inputs, for workers of the task, not also handed out."""
    problems: list[str] = []
    handed = {(a.worker_id, a.input_id) for a in task.assignments.values()}
    for worker in task.work.workers():
        where = f"plan of {worker!r}"
        planned = task.work.inputs_of(worker)
        if planned and worker not in task.worker_user_ids:
            problems.append(f"{where}: {len(planned)} inputs planned, but {worker!r} is not a worker of the task")
        if len(planned) != task.work.left(worker):
            problems.append(f"{where}: counts {task.work.left(worker)} inputs left but lists {len(planned)}")
        problems += [f"{where}: input {i!r} does not exist" for i in planned if i not in app.inputs]
        problems += [f"{where}: input {i!r} is planned and handed out too" for i in planned if (worker, i) in handed]
    return problems


def _misfiled(kind: str, records: Mapping[str, Any], id_of: Callable[[Any], str]) -> list[str]:
    wrong = {key: id_of(record) for key, record in records.items() if id_of(record) != key}
    return [f"{kind} {key!r}: stored with id {record_id!r}" for key, record_id in wrong.items()]


def _index_violations(name: str, index: Mapping[Any, Iterable[str]], expected: Mapping[str, Any]) -> list[str]:
    """`index` maps a key to ids; each id in `expected` must be listed exactly once, under `expected[id]`."""
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for key, ids in index.items():
        for record_id in ids:
            seen[record_id] += 1
            if record_id not in expected:
                problems.append(f"{name}[{key!r}] lists {record_id!r}, which does not exist")
            elif expected[record_id] != key:
                problems.append(f"{name}[{key!r}] lists {record_id!r}, which belongs under {expected[record_id]!r}")
    problems += [f"{name} lists {record_id!r} {n} times" for record_id, n in seen.items() if n > 1]
    problems += [f"{name} misses {record_id!r}" for record_id in expected if record_id not in seen]
    return problems
