"""Tasks (BEHAVIOUR.md §4): PostTasks, GetTask, ListTasks, PatchTasks, DeleteTasks, and how a task starts (§5).

Every request is checked whole (`domain.task_validation`) before anything changes. A task lives in
`AppState.tasks` as a `TaskState`: the normalized Task proto plus its assignments.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import filterfalse
from operator import attrgetter

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.context import CallContext
from fake_clarifai.domain import review
from fake_clarifai.domain.assignment import (
    DynamicPool,
    FullPlan,
    Held,
    PartitionPlan,
    deal_partitioned,
    effective_wpi,
    open_slots,
)
from fake_clarifai.domain.review_policy import PENDING
from fake_clarifai.domain.task_validation import (
    AppFacts,
    ValidTask,
    check_request_work,
    check_task_count,
    check_task_id,
    check_task_status,
    is_auto_annotation,
    validate_task,
)
from fake_clarifai.domain.work import frozen_keys, key_sequence
from fake_clarifai.errors import ApiError, Code, invalid, status_of
from fake_clarifai.persistent import KeySequence, PMap
from fake_clarifai.services import rpc
from fake_clarifai.services.assembled import Assembled, assembler
from fake_clarifai.services.auto_annotation import start_auto_annotation
from fake_clarifai.services.batch import existing_task, require_action, require_new_ids
from fake_clarifai.services.grants import task_participant
from fake_clarifai.services.pagination import paginate
from fake_clarifai.services.searches import selected_input_ids
from fake_clarifai.store import AppState, Assignment, Store, TaskState

Task = resources_pb2.Task
TaskWorker = resources_pb2.TaskWorker
TaskInputSource = resources_pb2.TaskInputSource

DECIDED = frozenset({Code.TASK_ASSIGNMENT_SUCCESS, Code.TASK_ASSIGNMENT_REJECTED})
USER_FIELDS = ("worker.users", "review.users")
METRIC_FIELDS = (
    "metrics.input_source.inputs_count_estimated",
    "metrics.work.inputs_count_estimated",
    "metrics.work.inputs_percent_estimated",
    "metrics.review.inputs_count_estimated",
    "metrics.review.inputs_count_estimated_per_reviewer",
    "metrics.review.inputs_percent_estimated",
    "metrics.review.inputs_percent_estimated_per_reviewer",
    "metrics.review.inputs_reviewable_count_estimated_per_reviewer",
)
ADDITIONAL_FIELDS = ("all", *USER_FIELDS, *METRIC_FIELDS)
NO_FIELDS: frozenset[str] = frozenset()
TASK_FILTERS = frozenset(  # the ListTasksRequest fields that choose tasks
    ("ids", "worker_user_ids", "review_user_ids", "worker_ids", "input_source_type", "input_source_ids")
) | {"label_order_ids", "including_label_order_tasks"}
TASK_OF, LABEL_ORDER_ID_OF = attrgetter("task"), attrgetter("task.label_order_id")
ONE_TASK = assembler(service_pb2.SingleTaskResponse, "task")
TASK_PAGE = assembler(service_pb2.MultiTaskResponse, "tasks")


# -- the RPCs ---------------------------------------------------------------------------------------------
@rpc("PostTasks")
def post_tasks(ctx: CallContext, request: service_pb2.PostTasksRequest) -> service_pb2.MultiTaskResponse:
    app = ctx.app
    if not request.tasks:
        raise invalid("tasks is empty: send at least one task")
    check_task_count(len(request.tasks))
    for i, task in enumerate(request.tasks):
        if task.id:
            check_task_id(task.id, f"tasks[{i}]")
    require_new_ids([task.id for task in request.tasks], app.tasks, "tasks[{i}].id", Code.TASK_CONFLICT, generated=True)
    for i, task in enumerate(request.tasks):
        if task.id in app.annotation_ids_by_task:
            raise ApiError(
                Code.TASK_CONFLICT,
                f"tasks[{i}].id '{task.id}' belonged to a deleted task whose annotations still carry it",
            )
    facts = app_facts(ctx.store, app)
    checked = [validate_task(task, facts, f"tasks[{i}]") for i, task in enumerate(request.tasks)]
    sources = request_sources(app, [(f"tasks[{i}]", valid) for i, valid in enumerate(checked)])
    response = service_pb2.MultiTaskResponse()
    for valid, requested in zip(checked, request.tasks, strict=True):
        now = ctx.timestamp()
        task = _owned(valid.task, requested.id or ctx.new_id(), app, Code.TASK_IN_PROGRESS, now, now)
        state = TaskState(
            task=task,
            worker_user_ids=frozenset(valid.worker_user_ids),
            reviewer_user_ids=frozenset(valid.reviewer_user_ids),
        )
        app.put_task(state)
        start_task(ctx, app, state, valid, sources[source_key(task)])
        response.tasks.append(state.task)
    return response


@rpc("GetTask", grant=task_participant(lambda request: request.task_id))
def get_task(ctx: CallContext, request: service_pb2.GetTaskRequest) -> Assembled:
    fields = additional_fields(request.additional_fields)
    app = ctx.app
    state = existing_task(app, request.task_id, "task_id", field_in_details=False)
    return ONE_TASK(shown(ctx.store, app, state, fields))


@rpc("ListTasks")
def list_tasks(ctx: CallContext, request: service_pb2.ListTasksRequest) -> Assembled:
    fields = additional_fields(request.additional_fields)
    app = ctx.app
    page = paginate(listed_tasks(app, request), request.page, request.per_page)
    if fields:
        return TASK_PAGE([shown(ctx.store, app, state, fields) for state in page])
    return TASK_PAGE(map(TASK_OF, page))


@rpc("PatchTasks")
def patch_tasks(ctx: CallContext, request: service_pb2.PatchTasksRequest) -> service_pb2.MultiTaskResponse:
    app = ctx.app
    action = require_action(request.action, ("overwrite", "merge"), Code.CONN_INVALID_REQUEST)
    if not request.tasks:
        raise invalid("tasks is empty: send at least one task")
    check_task_count(len(request.tasks))
    seen: set[str] = set()
    for i, task in enumerate(request.tasks):
        if task.id in seen:
            raise invalid(f"tasks[{i}].id '{task.id}' appears twice in the request")
        existing_task(app, task.id, f"tasks[{i}].id", hint="name the task to patch")
        seen.add(task.id)
    if action == "merge":
        for i, task in enumerate(request.tasks):
            check_status_only(task, f"tasks[{i}]")
        for task in request.tasks:
            app.changing(task.id).set_status(task.status.code, ctx.now())
    else:
        facts = app_facts(ctx.store, app)
        checked = []
        for i, task in enumerate(request.tasks):
            checked.append(validate_task(task, facts, f"tasks[{i}]"))
            if task.status.code:
                check_task_status(task.status.code, f"tasks[{i}]")
        redealt = [
            (f"tasks[{i}]", valid)
            for i, (valid, requested) in enumerate(zip(checked, request.tasks, strict=True))
            if changes_work(app.tasks[requested.id].task, valid.task)
        ]
        sources = request_sources(app, redealt)
        for valid, requested in zip(checked, request.tasks, strict=True):
            app.put_task(redefined(ctx, app, app.changing(requested.id), valid, requested.status.code, sources))
    return service_pb2.MultiTaskResponse(tasks=[app.tasks[task.id].task for task in request.tasks])


@rpc("DeleteTasks")
def delete_tasks(ctx: CallContext, request: service_pb2.DeleteTasksRequest) -> status_pb2.BaseResponse:
    app = ctx.app
    if not request.ids:
        raise invalid("ids is empty: name the tasks to delete")
    for i, task_id in enumerate(request.ids):
        existing_task(app, task_id, f"ids[{i}]")
    for task_id in dict.fromkeys(request.ids):
        app.remove_task(task_id)
    return status_pb2.BaseResponse()


# -- starting a task: who gets which input ------------------------------------------------------------------
def start_task(
    ctx: CallContext, app: AppState, state: TaskState, valid: ValidTask, input_ids: KeySequence[str],
    held: Sequence[Assignment] = (),
) -> None:
    """Give the task its work source for the source's inputs (`input_ids`, in source order, frozen:
    `source_keys`), by its strategy (docs/BEHAVIOUR.md §5): `STARTS` holds one starter per work strategy;
    auto-annotation tasks get their model's work (services/auto_annotation).

    PARTITIONED / FULL: the inputs are dealt into a `PartitionPlan` / `FullPlan` over `input_ids`; their
    assignment records are made only as the work is handed out (LABEL_START), so PostTasks does not make
    300k records for 100k inputs, and a FULL plan holds no list of the source at all.

    `state` holds no assignments yet. `held` is the work the task had before an overwrite changed its
    workers, strategy or source (PatchTasks); it is reconciled, not redone:
    - work on inputs no longer in the source leaves the task, as when an input leaves the source later;
    - submitted (non-pending) assignments are kept, and their workers hold those inputs (`open_slots`);
    - PARTITIONED / FULL: only the open slots are dealt afresh (never to a worker holding the input); a
      pending assignment of the same worker and input is kept (same id, at its place in the worker's
      queue: the work dealt before it is handed out too), other pending ones are dropped;
    - DYNAMIC: pending batches of workers still listed are kept where their input has an open slot; the
      pool hands each input only to the open slots the kept work leaves, never to a worker holding it;
    - auto-annotation tasks get no human assignments: their model annotates the inputs (services/auto_annotation).
    """
    if held:
        held = [a for a in held if a.input_id in input_ids]
        state.consensus_labels = PMap((i, agreed) for i, agreed in state.consensus_labels.items() if i in input_ids)
    state.add(a for a in held if a.state != PENDING)
    batches = state.review_batches.items()  # work that left the task leaves the reviewers' batches too
    state.review_batches = {r: tuple(i for i in ids if i in state.assignments) for r, ids in batches}
    pending = {(a.worker_id, a.input_id): a for a in held if a.state == PENDING}
    if is_auto_annotation(state.task):
        start_auto_annotation(ctx.store, app, state, input_ids)
        return
    STARTS[state.task.worker.strategy](ctx, state, valid, input_ids, pending)


Pending = Mapping[tuple[str, str], Assignment]  # (worker, input) -> a pending assignment kept from before


def start_pool(
    ctx: CallContext, state: TaskState, valid: ValidTask, input_ids: KeySequence[str], pending: Pending
) -> None:
    """DYNAMIC: a live pool over the source; kept pending batches stay where their input has an open slot."""
    wpi = state.task.worker.partitioned_strategy_info.workers_per_input
    state.add(kept_pending(state, pending.values(), wpi))
    holders = state.holders()
    state.kept_beyond_wpi = kept_beyond(holders, wpi)
    state.work = DynamicPool(wpi, input_ids, holders)


Plan = PartitionPlan | FullPlan


def start_plan(plan: Callable[[ValidTask, KeySequence[str], Held, float], Plan]) -> Starter:
    """PARTITIONED / FULL: the source dealt by `plan` around the held work (now); kept pending work is handed
    out where it was dealt in each worker's queue."""

    def start(
        ctx: CallContext, state: TaskState, valid: ValidTask, input_ids: KeySequence[str], pending: Pending
    ) -> None:
        holders = state.holders()
        now = ctx.now()
        work = state.work = plan(valid, input_ids, holders, now)
        if work.bounded:  # an overwrite may have lowered workers_per_input below the kept work
            state.kept_beyond_wpi = kept_beyond(holders, state.task.worker.partitioned_strategy_info.workers_per_input)
        kept_by_worker: dict[str, dict[str, Assignment]] = {}
        for (worker, input_id), assignment in pending.items():
            if work.has(worker, input_id):
                kept_by_worker.setdefault(worker, {})[input_id] = assignment
        for worker in work.workers():
            kept = kept_by_worker.get(worker)
            if kept:
                through = work.take_through(worker, max(kept, key=input_ids.index))
                state.hand_out(worker, through, ctx.store.ids.new_ids, now, kept)

    return start


def plan_full(valid: ValidTask, input_ids: KeySequence[str], held: Held, now: float) -> FullPlan:
    return FullPlan(input_ids, valid.worker_user_ids, now, held)


def plan_partitioned(valid: ValidTask, input_ids: KeySequence[str], held: Held, now: float) -> PartitionPlan:
    wpi = valid.task.worker.partitioned_strategy_info.workers_per_input
    return PartitionPlan(deal_partitioned(input_ids, valid.worker_user_ids, wpi, valid.weights, held), input_ids, now)


Starter = Callable[[CallContext, TaskState, ValidTask, KeySequence[str], Pending], None]
STARTS: dict[int, Starter] = {
    TaskWorker.PARTITIONED: start_plan(plan_partitioned),
    TaskWorker.FULL: start_plan(plan_full),
    TaskWorker.DYNAMIC: start_pool,
}


def kept_pending(state: TaskState, pending: Iterable[Assignment], wpi: int) -> list[Assignment]:
    """The pending assignments a DYNAMIC task keeps through an overwrite: a listed worker's, while its input
    has an open slot next to the submitted work and the pending work kept before it (`open_slots`)."""
    holders = {i: set(workers) for i, workers in state.holders().items()}
    kept = []
    for assignment in pending:
        on_input = holders.setdefault(assignment.input_id, set())
        if assignment.worker_id in state.worker_user_ids and open_slots(wpi, on_input):
            on_input.add(assignment.worker_id)
            kept.append(assignment)
    return kept


def kept_beyond(holders: Held, wpi: int) -> dict[str, int]:
    """The inputs whose kept work already exceeds `wpi` (an overwrite lowered it): how many workers hold each."""
    return {i: len(workers) for i, workers in holders.items() if len(workers) > effective_wpi(wpi)}


def source_input_ids(app: AppState, source: resources_pb2.TaskInputSource) -> Collection[str]:
    """The ids of a task's source inputs in source order: app creation order, dataset membership order
    (the app's own containers for ALL_INPUTS and DATASET: iterating them gives the ids)."""
    if source.type == TaskInputSource.ALL_INPUTS:
        return app.inputs
    if source.type == TaskInputSource.DATASET:
        return app.dataset_members.get(source.id, {})
    if source.type == TaskInputSource.SAVED_SEARCH:
        return selected_input_ids(app, app.searches[source.id].query) if source.id in app.searches else ()
    return (source.id,) if source.id in app.inputs else ()


def source_keys(app: AppState, source: resources_pb2.TaskInputSource) -> KeySequence[str]:
    """`source_input_ids` frozen as they are now: what a task is dealt from. O(1) where the app's container
    is a `PMap` (`frozen_keys`), else a copy."""
    ids = source_input_ids(app, source)
    return frozen_keys(ids) if isinstance(ids, Mapping) else key_sequence(ids)


SourceKey = tuple[int, str]
Sources = Mapping[SourceKey, KeySequence[str]]


def source_key(task: resources_pb2.Task) -> SourceKey:
    return task.input_source.type, task.input_source.id


def request_sources(app: AppState, tasks: Sequence[tuple[str, ValidTask]]) -> Sources:
    """The input sources of a request's tasks (where each sits in the request, its checked form) that deal
    work, each frozen once (`source_keys`; tasks naming the same source share it), after checking that
    together they deal no more than one request may (`check_request_work`): raises ApiError before
    anything is stored."""
    sources: dict[SourceKey, KeySequence[str]] = {}
    for _, valid in tasks:
        key = source_key(valid.task)
        if key not in sources:
            sources[key] = source_keys(app, valid.task.input_source)
    check_request_work([(where, valid, len(sources[source_key(valid.task)])) for where, valid in tasks])
    return sources


def changes_work(previous: resources_pb2.Task, task: resources_pb2.Task) -> bool:
    """Whether an overwrite of `previous` by `task` recomputes its work: the workers (list, order, strategy,
    workers_per_input, weights), the source or the kind of task (human / auto-annotation) changed."""
    return (
        task.worker != previous.worker
        or task.input_source != previous.input_source
        or is_auto_annotation(task) != is_auto_annotation(previous)
    )


def redefined(
    ctx: CallContext, app: AppState, old: TaskState, valid: ValidTask, status_code: int, sources: Sources
) -> TaskState:
    """`old` under its overwritten definition: assignments are recomputed (from `sources`, the request's)
    only when `changes_work`; else they stay as they are."""
    previous = old.task
    task = _owned(
        valid.task, previous.id, app, status_code or previous.status.code, previous.created_at, ctx.timestamp()
    )
    reviewers = frozenset(valid.reviewer_user_ids)
    review_batches = {r: batch for r, batch in old.review_batches.items() if r in reviewers}
    if not changes_work(previous, task):
        old.task, old.reviewer_user_ids, old.review_batches = task, reviewers, review_batches
        old.sync_reviews()
        return old
    state = TaskState(
        task=task,
        worker_user_ids=frozenset(valid.worker_user_ids),
        reviewer_user_ids=reviewers,
        review_batches=review_batches,
        consensus_labels=old.consensus_labels,
        reviews=old.reviews,
        review_turn=old.review_turn,
        unsettled_inputs=old.unsettled_inputs.copy(),
    )
    held = [old.assignments[i] for ids in old.assignment_ids_by_worker_state.values() for i in ids]
    start_task(ctx, app, state, valid, sources[source_key(task)], held)
    state.held_annotation_status = PMap((i, c) for i, c in old.held_annotation_status.items() if i in state.assignments)
    state.sync_reviews()
    return state


def check_status_only(task: resources_pb2.Task, where: str) -> None:
    """action "merge" changes only `status` (BEHAVIOUR.md §4)."""
    for field, _ in task.ListFields():
        if field.name not in ("id", "status"):
            raise invalid(
                f"{where}.{field.name} is set: action 'merge' only changes status (use 'overwrite' for the definition)"
            )
    if not task.status.code:
        raise invalid(f"{where}.status.code is not set: action 'merge' only changes status")
    check_task_status(task.status.code, where)


def _owned(
    task: resources_pb2.Task, task_id: str, app: AppState, status_code: int, created: Timestamp, modified: Timestamp
) -> resources_pb2.Task:
    """The normalized `task` (a fresh copy, owned here) as stored: id, app, status and times filled in."""
    task.id = task_id
    task.app_id = app.app_id
    task.user_id = app.user_id
    task.status.CopyFrom(status_of(status_code))
    task.created_at.CopyFrom(created)
    task.modified_at.CopyFrom(modified)
    return task


def app_facts(store: Store, app: AppState) -> AppFacts:
    return AppFacts(
        users=store.users,
        concepts=app.concepts,
        datasets=app.datasets,
        inputs=app.inputs,
        models=app.models,
        workflows=app.workflows,
        searches=app.searches,
    )


# -- reading tasks: additional fields and filters -----------------------------------------------------------
def additional_fields(requested: Sequence[str]) -> frozenset[str]:
    if not requested:
        return NO_FIELDS
    for i, name in enumerate(requested):
        if name not in ADDITIONAL_FIELDS:
            raise invalid(f"additional_fields[{i}] '{name}' is not supported: use {', '.join(ADDITIONAL_FIELDS)}")
    return frozenset(ADDITIONAL_FIELDS if "all" in requested else requested)


def shown(store: Store, app: AppState, state: TaskState, fields: frozenset[str]) -> resources_pb2.Task:
    """The stored task with the requested additional fields: full users, metrics."""
    if not fields:
        return state.task
    task = resources_pb2.Task()
    task.CopyFrom(state.task)
    if "worker.users" in fields:
        for worker in task.worker.workers:
            if worker.HasField("user"):
                worker.user.CopyFrom(store.users.get(worker.user.id, worker.user))
        for user in task.worker.users:
            user.CopyFrom(store.users.get(user.id, user))
    if "review.users" in fields:
        for user in task.review.users:
            user.CopyFrom(store.users.get(user.id, user))
    metric_paths = sorted(fields.intersection(METRIC_FIELDS))
    if metric_paths:
        computed = resources_pb2.Task(metrics=task_metrics(app, state))
        field_mask_pb2.FieldMask(paths=metric_paths).MergeMessage(computed, task)
    return task


def task_metrics(app: AppState, state: TaskState) -> resources_pb2.TaskMetrics:
    """Counts over the task's assignments: an input is worked on once someone submitted it, and reviewed
    once all of its assignments are decided (SUCCESS or REJECTED; planned work is pending). The per-reviewer
    lists follow `review.users` and count the reviewers' review records (review.per_reviewer_metrics)."""
    total = len(source_input_ids(app, state.task.input_source))
    worked = reviewed = 0
    assignments = state.assignments
    for input_id, ids in state.assignment_ids_by_input.items():
        states = [assignments[i].state for i in ids]
        worked += any(s != PENDING for s in states)
        reviewed += all(s in DECIDED for s in states) and not state.planned_workers(input_id)
    records = ((assignments[i].input_id, reviews) for i, reviews in state.reviews.items() if i in assignments)
    done, available, percents = review.per_reviewer_metrics(state.reviewers, records)
    return resources_pb2.TaskMetrics(
        input_source=resources_pb2.TaskInputSourceMetrics(inputs_count_estimated=total),
        work=resources_pb2.TaskWorkMetrics(
            inputs_count_estimated=worked, inputs_percent_estimated=_percent(worked, total)
        ),
        review=resources_pb2.TaskReviewMetrics(
            inputs_count_estimated=reviewed,
            inputs_percent_estimated=_percent(reviewed, total),
            inputs_count_estimated_per_reviewer=done,
            inputs_reviewable_count_estimated_per_reviewer=available,
            inputs_percent_estimated_per_reviewer=percents,
        ),
    )


def _percent(part: int, total: int) -> int:
    """Whole percent, rounded down so that 100 means all."""
    return min(100, part * 100 // total) if total else 0


def listed_tasks(app: AppState, request: service_pb2.ListTasksRequest) -> Iterator[TaskState]:
    """The tasks ListTasks lists, newest first: the filters' (`task_filter`), else all but those of a
    label order (proto comment), chosen in C-level passes (no Python per task)."""
    newest_first = reversed(app.tasks.values())
    if any(field.name in TASK_FILTERS for field, _ in request.ListFields()):
        return filter(task_filter(request), newest_first)
    return filterfalse(LABEL_ORDER_ID_OF, newest_first)


def task_filter(request: service_pb2.ListTasksRequest) -> Callable[[TaskState], bool]:
    """ListTasks filters: ANY-match within a filter, all given filters at once. Tasks of a label order are
    listed only with `including_label_order_tasks` or `label_order_ids` (proto comment)."""
    ids = set(request.ids)
    workers = set(request.worker_user_ids)
    reviewers = set(request.review_user_ids)
    worker_sets = list(request.worker_ids)
    source_type = request.input_source_type
    source_ids = set(request.input_source_ids)
    label_orders = set(request.label_order_ids)
    with_label_orders = request.including_label_order_tasks or bool(label_orders)

    def keep(state: TaskState) -> bool:
        task = state.task
        return (
            (not ids or task.id in ids)
            and (not workers or not workers.isdisjoint(state.worker_user_ids))
            and (not reviewers or not reviewers.isdisjoint(state.reviewer_user_ids))
            and (not worker_sets or any(names_worker(s, w, task) for s in worker_sets for w in task.worker.workers))
            and (not source_type or task.input_source.type == source_type)
            and (not source_ids or task.input_source.id in source_ids)
            and (not label_orders or task.label_order_id in label_orders)
            and (with_label_orders or not task.label_order_id)
        )

    return keep


def names_worker(ids: resources_pb2.WorkerIDSet, worker: resources_pb2.Worker, task: resources_pb2.Task) -> bool:
    """Whether a WorkerIDSet names `worker`: a model or workflow (with version and owning app when given),
    else a user."""
    named = (
        ("model", ids.model_id, ids.model_version_id)
        if ids.model_id
        else ("workflow", ids.workflow_id, ids.workflow_version_id)
        if ids.workflow_id
        else None
    )
    if named is not None:
        kind, wanted_id, wanted_version = named
        if not worker.HasField(kind):
            return False
        held = getattr(worker, kind)
        version = held.model_version.id if kind == "model" else held.version.id
        same_app = ids.app_id in ("", task.app_id) and ids.user_id in ("", task.user_id)
        return held.id == wanted_id and wanted_version in ("", version) and same_app
    return bool(ids.user_id) and worker.HasField("user") and worker.user.id == ids.user_id
