"""The work on a task (BEHAVIOUR.md §5, §6): PutTaskAssignments, ListNextTaskAssignments, GetTaskInputCount,
GetTaskAnnotationCount, and the rule for annotations posted with a `task_id`.

The lifecycle rules (transitions, per-reviewer reviews, CONSENSUS settlement, counting) are pure functions in
`fake_clarifai.domain.review`; this module finds the assignments a request names, checks who may act on
them, and writes the new states to the assignment (the sync half, in the response) and records what follows
asynchronously (its labeler's task annotation statuses, CONSENSUS settlement) in the task's state, applied by
`apply_async_half` right after the call or, while `FakeClarifai.hold_async()` holds it, by `FakeClarifai.settle()`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.domain import review
from fake_clarifai.domain.annotation_rules import task_link, with_task_link
from fake_clarifai.domain.review import AWAITING_REVIEW, PENDING, Decision, IllegalTransition
from fake_clarifai.errors import ApiError, Code, invalid, status_of
from fake_clarifai.ids import to_timestamp
from fake_clarifai.persistent import PMap
from fake_clarifai.services import rpc
from fake_clarifai.services.batch import existing_task
from fake_clarifai.services.grants import task_participant
from fake_clarifai.store import AppState, Assignment, TaskState

Action = service_pb2.PutTaskAssignmentsRequestAction
BATCH = 10  # inputs per LABEL_START, assignments per REVIEW_START [doc]
DECISIONS: dict[int, tuple[Decision, str]] = {
    Action.REVIEW_APPROVE: (Decision.APPROVE, "review_approve_config"),
    Action.REVIEW_REQUEST_CHANGES: (Decision.REQUEST_CHANGES, "review_request_changes_config"),
    Action.REVIEW_REJECT: (Decision.REJECT, "review_reject_config"),
}
participant = task_participant(lambda request: request.task_id)


# -- PutTaskAssignments ------------------------------------------------------------------------


@rpc("PutTaskAssignments", grant=participant)
def put_task_assignments(
    ctx: CallContext, request: service_pb2.PutTaskAssignmentsRequest
) -> service_pb2.MultiTaskAssignmentResponse:
    task = existing_task(ctx.app, request.task_id, "task_id")
    action = request.action
    if request.input_id:
        if action not in (Action.PUT_TASK_ASSIGNMENTS_REQUEST_ACTION_NOT_SET, Action.LABEL_SUBMIT):
            raise invalid(
                f"input_id '{request.input_id}' is the deprecated form of LABEL_SUBMIT: "
                f"it cannot be combined with action {action_name(action)}"
            )
        action = Action.LABEL_SUBMIT
    handler = ACTIONS.get(action)
    if handler is None:
        known = ", ".join(Action.Name(a) for a in ACTIONS)
        raise invalid(f"action {action_name(action)} is not one of {known}")
    done = handler(ctx, task, request)
    response = service_pb2.MultiTaskAssignmentResponse(task_assignments=[as_message(ctx, task, a) for a in done])
    if not ctx.store.hold_async:
        apply_async_half(ctx, task)
    return response


def label_start(ctx: CallContext, task: TaskState, request: Any = None) -> list[Assignment]:
    """The caller's next batch: its pending work, topped up by the task's work source (PARTITIONED / FULL:
    from its planned inputs once its assignments are fewer than a batch; DYNAMIC: new inputs from the pool
    once it has none)."""
    worker = require_worker(task, ctx.caller.user_id)
    return task.next_batch(worker, BATCH, ctx.store.ids.new_ids, ctx.now())


def label_submit(ctx: CallContext, task: TaskState, request: service_pb2.PutTaskAssignmentsRequest) -> list[Assignment]:
    """Submit the caller's named assignments; already submitted ones are left as they are [doc]."""
    worker = require_worker(task, ctx.caller.user_id)
    targets = submit_targets(ctx, task, request, worker)
    policy = task.review_policy
    for assignment in targets:
        if assignment.state == PENDING:
            move(ctx, task, assignment, policy.on_submit(task.task.review))
    if policy.settles(task.task.review):
        task.unsettled_inputs.update(dict.fromkeys(a.input_id for a in targets))  # the async half settles them
    return [task.assignments[a.id] for a in targets]


def submit_targets(
    ctx: CallContext, task: TaskState, request: service_pb2.PutTaskAssignmentsRequest, worker: str
) -> list[Assignment]:
    if request.input_id:
        input_id = request.input_id
        assignment = own_assignment(task, input_id, worker) or task.claim_planned(
            worker, input_id, ctx.store.ids.new_ids, ctx.now()
        )
        if assignment is None:
            raise ApiError(
                Code.TASK_PERMISSION_DENIED,
                f"input_id '{request.input_id}' is not assigned to user '{worker}' in task '{task.task.id}'",
            )
        return [assignment]
    field = "label_submit_config.task_assignments"
    named = request.label_submit_config.task_assignments
    if not named:
        raise invalid(f"{field} is empty: name the assignments to submit (or set the deprecated input_id)")
    targets = named_assignments(task, named, field)
    for where, assignment in targets.items():
        if assignment.worker_id != worker:
            raise ApiError(
                Code.TASK_PERMISSION_DENIED, f"{where} is assigned to user '{assignment.worker_id}', not to '{worker}'"
            )
    return list(targets.values())


def review_start(ctx: CallContext, task: TaskState, request: service_pb2.PutTaskAssignmentsRequest) -> list[Assignment]:
    """The reviewer's batch: up to 10 assignments awaiting its review (stacked review: every reviewer reviews
    every input; evenly distributed: each input waits for one reviewer); the same batch until all of it is
    decided."""
    reviewer = require_reviewer(task, ctx.caller.user_id)
    workers = chosen_workers(ctx.app, task, request.review_start_config.workers, "review_start_config.workers")
    batch = [a for a in awaiting_review(task, task.review_batches.get(reviewer, ())) if awaits(task, a.id, reviewer)]
    if batch:
        return batch
    candidates = (
        task.assignments[i]
        for worker in workers
        for i in task.assignment_ids_by_worker_state.get((worker, task.review_policy.reviewable), ())
        if awaits(task, i, reviewer)
    )
    batch = list(islice(candidates, BATCH))
    task.review_batches[reviewer] = tuple(a.id for a in batch)
    return batch


def awaits(task: TaskState, assignment_id: str, reviewer: str) -> bool:
    """Whether `reviewer`'s review of the assignment is pending."""
    return task.reviews.get(assignment_id, {}).get(reviewer) == review.REVIEW_PENDING


def review_decide(
    ctx: CallContext, task: TaskState, request: service_pb2.PutTaskAssignmentsRequest
) -> list[Assignment]:
    """REVIEW_APPROVE / REVIEW_REQUEST_CHANGES / REVIEW_REJECT by assignment ids and/or in bulk by workers.

    Evenly distributed review: any reviewer may decide any assignment awaiting review [policy]. Stacked
    review: only one whose own review is pending, and an approval is final once every reviewer approved."""
    reviewer = require_reviewer(task, ctx.caller.user_id)
    decision, field = DECISIONS[request.action]
    config = getattr(request, field)
    if not config.task_assignments and not config.workers:
        raise invalid(f"{field} names no task_assignments and no workers: say what to decide")
    stacked = task.review_policy.stacked(task.task.review)
    named = named_assignments(task, config.task_assignments, f"{field}.task_assignments")
    for where, assignment in named.items():
        try:
            review.decide(assignment.state, decision)
        except IllegalTransition as error:
            raise ApiError(Code.TASK_CONFLICT, f"{where} is not awaiting review: {error}") from error
        if stacked and not awaits(task, assignment.id, reviewer):
            raise ApiError(  # stacked review: each reviewer decides once [policy]
                Code.TASK_CONFLICT,
                f"{where} is not awaiting a review by '{reviewer}': its reviews are "
                f"{review_states(task, assignment.id)}",
            )
        if decision is Decision.REQUEST_CHANGES and assignment.worker_id in model_worker_keys(ctx.app, task):
            raise ApiError(  # a model does not redo its work on request [policy, BEHAVIOUR.md §7.1]
                Code.TASK_CONFLICT,
                f"{where} is the work of the task's model or workflow (version '{assignment.worker_id}'), which "
                "cannot be asked to redo it: approve or reject it",
            )
        if decision is Decision.REQUEST_CHANGES and assignment.worker_id not in task.worker_user_ids:
            raise ApiError(  # its labeler could never take it again [policy]
                Code.TASK_CONFLICT,
                f"{where} is the work of '{assignment.worker_id}', who is no longer a worker of task "
                f"'{task.task.id}': approve or reject it",
            )
    workers = chosen_workers(ctx.app, task, config.workers, f"{field}.workers") if config.workers else []
    in_bulk = (
        task.assignments[i]
        for worker in workers
        for i in task.ids_in_state(worker, AWAITING_REVIEW)
        if not stacked or awaits(task, i, reviewer)
    )
    targets = list({a.id: a for a in chain(named.values(), in_bulk)}.values())
    for assignment in targets:
        verdict = review.reviews_after(task.reviews.get(assignment.id, {}), reviewer, decision, stacked)
        task.reviews[assignment.id] = verdict.reviews
        if verdict.state is not None:
            move(ctx, task, assignment, verdict.state)
    for other, batch in task.review_batches.items():  # decided work leaves the reviewers' batches
        task.review_batches[other] = tuple(a.id for a in awaiting_review(task, batch) if awaits(task, a.id, other))
    return [task.assignments[a.id] for a in targets]


def review_states(task: TaskState, assignment_id: str) -> str:
    records = task.reviews.get(assignment_id, {})
    return ", ".join(f"{r}: {Code.Name(s)}" for r, s in records.items()) or "none"


ACTIONS: dict[int, Callable[[CallContext, TaskState, Any], list[Assignment]]] = {
    Action.LABEL_START: label_start,
    Action.LABEL_SUBMIT: label_submit,
    Action.REVIEW_START: review_start,
    **dict.fromkeys(DECISIONS, review_decide),
}


# -- ListNextTaskAssignments and the counts ----------------------------------------------------


@rpc("ListNextTaskAssignments", grant=participant)
def list_next_task_assignments(
    ctx: CallContext, request: service_pb2.ListNextTaskAssignmentsRequest
) -> service_pb2.MultiInputResponse:
    batch = label_start(ctx, existing_task(ctx.app, request.task_id, "task_id"))
    return service_pb2.MultiInputResponse(inputs=[input_of(ctx.app, a.input_id) for a in batch])


@rpc("GetTaskInputCount", grant=participant)
def get_task_input_count(
    ctx: CallContext, request: service_pb2.GetTaskCountRequest
) -> service_pb2.SingleTaskCountResponse:
    task = existing_task(ctx.app, request.task_id, "task_id")
    return count_response(ctx.app, task, request, input_count_tallies(task), review.ASSIGNMENT_COUNT_FIELD)


def input_count_tallies(task: TaskState) -> Iterable[tuple[str, int, int]]:
    """What GetTaskInputCount counts: (worker, state, how many) from the indexes; planned work is pending."""
    return chain(
        ((worker, state, len(ids)) for (worker, state), ids in task.assignment_ids_by_worker_state.items()),
        ((worker, PENDING, task.work.left(worker)) for worker in task.worker_user_ids),
    )


@rpc("GetTaskAnnotationCount", grant=participant)
def get_task_annotation_count(
    ctx: CallContext, request: service_pb2.GetTaskCountRequest
) -> service_pb2.SingleTaskCountResponse:
    app = ctx.app
    task = existing_task(app, request.task_id, "task_id")
    annotations = (app.annotations[i] for i in app.annotation_ids_by_task.get(task.task.id, ()))
    tallies = ((annotation_worker_key(a), a.status.code, 1) for a in annotations)
    return count_response(app, task, request, tallies, review.ANNOTATION_COUNT_FIELD)


def count_response(
    app: AppState,
    task: TaskState,
    request: service_pb2.GetTaskCountRequest,
    tallies: Iterable[tuple[str, int, int]],
    field_of_state: dict[int, str],
) -> service_pb2.SingleTaskCountResponse:
    """One entry per worker of the task (in task order) that the OR'ed worker filters select."""
    chosen = {"user": set(request.user_ids), "model": set(request.model_version_ids)}
    chosen["workflow"] = set(request.workflow_version_ids)
    keyed = [(worker_key(app, w), w) for w in task.task.worker.workers]
    if any(chosen.values()):
        keyed = [(key, w) for key, w in keyed if key in chosen[w.WhichOneof("worker") or "user"]]
    counts = review.counts_per_worker([key for key, _ in keyed], tallies, field_of_state)
    entries = [resources_pb2.TaskStatusCountPerUser(user_id=w.user.id, worker=w, **counts[key]) for key, w in keyed]
    return service_pb2.SingleTaskCountResponse(app_id=app.app_id, task_id=task.task.id, counts=entries)


def worker_key(app: AppState, worker: resources_pb2.Worker) -> str:
    """How counts know a worker: a user by id, a model by version, a workflow by version."""
    if worker.HasField("model"):
        return worker.model.model_version.id
    if worker.HasField("workflow"):
        known = app.workflows.get(worker.workflow.id)
        return worker.workflow.version.id or (known.version_id if known is not None else "")
    return worker.user.id


def annotation_worker_key(annotation: resources_pb2.Annotation) -> str:
    """The `worker_key` of the worker that made `annotation`."""
    return (
        annotation.worker.model.model_version.id
        or annotation.model_version_id
        or annotation.worker.workflow.version.id
        or annotation.user_id
    )


# -- annotations posted with a task_id ---------------------------------------------------------


def checked_task_annotations(
    ctx: CallContext, annotations: Sequence[resources_pb2.Annotation]
) -> list[resources_pb2.Annotation]:
    """PostAnnotations' rule for annotations with a `task_id` (BEHAVIOUR.md §6), checked before anything is stored.

    The link is `task_id` or the deprecated `annotation_info` "task_id" (`annotation_rules.task_link`); the
    annotation is stored with `task_id` filled in. Only a worker of the task may post them, on an input
    assigned to it whose assignment is not yet submitted; they start `ANNOTATION_PENDING` whatever status
    the request gives. Returns the annotations to create (copies where the link or the status changed).

    Checked before the app-wide id checks, so that a worker who is not an app member learns nothing of
    the app's other inputs: a missing input is "not assigned" like any other; and such a worker may not
    choose annotation ids [policy], since "already exists" would tell which ids exist.
    """
    result = []
    member = ctx.app.is_member(ctx.caller.user_id)
    for i, given in enumerate(annotations):
        requested = with_task_link(given, f"annotations[{i}]")  # the deprecated annotation_info form too
        if not requested.task_id:
            result.append(requested)
            continue
        link_field = "task_id" if given.task_id else "annotation_info.task_id"
        task = existing_task(ctx.app, requested.task_id, f"annotations[{i}].{link_field}")
        worker = ctx.caller.user_id
        if requested.id and not member:
            raise ApiError(
                Code.TASK_PERMISSION_DENIED,
                f"annotations[{i}].id: user '{worker}' is not an app member and cannot choose annotation ids: "
                "leave it empty",
            )
        assignment = own_assignment(task, requested.input_id, worker)
        if assignment is None and not task.is_assigned(worker, requested.input_id):
            raise ApiError(
                Code.TASK_PERMISSION_DENIED,
                f"annotations[{i}].input_id '{requested.input_id}' is not assigned to user '{worker}' "
                f"in task '{task.task.id}'",
            )
        require_pending(assignment, f"annotations[{i}]")
        pending = resources_pb2.Annotation()
        pending.CopyFrom(requested)
        pending.status.CopyFrom(status_of(Code.ANNOTATION_PENDING))
        result.append(pending)
    return result


def require_pending(assignment: Assignment | None, where: str) -> None:
    """A labeler's task annotations change only while its work on the input is pending [policy] (planned
    work, without a record yet, is pending)."""
    if assignment is not None and assignment.state != PENDING:
        raise ApiError(
            Code.TASK_CONFLICT,
            f"{where}: assignment '{assignment.id}' of input '{assignment.input_id}' is "
            f"{Code.Name(assignment.state)}: annotate while it is TASK_ASSIGNMENT_PENDING",
        )


def require_labeler_may_edit(app: AppState, annotation: resources_pb2.Annotation, caller: str, where: str) -> None:
    """PatchAnnotations on a task annotation by its own labeler follows PostAnnotations' rule: pending work only."""
    task = app.tasks.get(annotation.task_id)
    if task is not None and annotation.user_id == caller:
        require_pending(own_assignment(task, annotation.input_id, caller), where)


def task_worker_grant(app: AppState, user_id: str, request: service_pb2.PostAnnotationsRequest) -> bool:
    """PostAnnotations by a task worker who is not an app member: every annotation names one of its tasks."""
    tasks = [app.tasks.get(linked_task_or_none(a)) for a in request.annotations]
    return bool(tasks) and all(task is not None and user_id in task.worker_user_ids for task in tasks)


def linked_task_or_none(annotation: resources_pb2.Annotation) -> str | None:
    """`task_link` for the grant, which only answers yes or no: a malformed link grants nothing."""
    try:
        return task_link(annotation, "annotation")
    except ApiError:
        return None


# -- shared steps ------------------------------------------------------------------------------


def require_worker(task: TaskState, user_id: str) -> str:
    if user_id not in task.worker_user_ids:
        raise ApiError(Code.TASK_PERMISSION_DENIED, f"user '{user_id}' is not a worker of task '{task.task.id}'")
    return user_id


def require_reviewer(task: TaskState, user_id: str) -> str:
    if user_id not in task.reviewer_user_ids:
        raise ApiError(Code.TASK_PERMISSION_DENIED, f"user '{user_id}' is not a reviewer of task '{task.task.id}'")
    return user_id


def own_assignment(task: TaskState, input_id: str, worker: str) -> Assignment | None:
    """`worker`'s assignment on `input_id`, if it was handed out (planned work has no record yet)."""
    return next((a for a in task.of_input(input_id) if a.worker_id == worker), None)


def named_assignments(
    task: TaskState, named: Sequence[resources_pb2.TaskAssignment], field: str
) -> dict[str, Assignment]:
    """The assignments `named` by id, each an assignment of the task, keyed by where the request first
    names it (e.g. "label_submit_config.task_assignments[0].id 'a1'"); repeats count once."""
    found: dict[str, Assignment] = {}
    seen: set[str] = set()
    for i, item in enumerate(named):
        where = f"{field}[{i}].id '{item.id}'"
        assignment = task.assignments.get(item.id)
        if assignment is None:
            raise ApiError(Code.CONN_DOES_NOT_EXIST, f"{where} is not an assignment of task '{task.task.id}'")
        if assignment.id not in seen:
            seen.add(assignment.id)
            found[where] = assignment
    return found


def chosen_workers(
    app: AppState, task: TaskState, workers: Sequence[resources_pb2.Worker], field: str
) -> list[str]:
    """The user ids of `workers` (each a user worker of the task), or, when none is named, all the task's
    workers by `worker_key` (an auto-annotation task's model or workflow by its version, §7.1)."""
    for i, worker in enumerate(workers):
        if worker.user.id not in task.worker_user_ids:
            raise invalid(f"{field}[{i}].user.id '{worker.user.id}' is not a worker of task '{task.task.id}'")
    return list(dict.fromkeys(w.user.id for w in workers)) or [worker_key(app, w) for w in task.task.worker.workers]


def model_worker_keys(app: AppState, task: TaskState) -> set[str]:
    """The `worker_key`s of the task's model and workflow workers (an auto-annotation task's one worker)."""
    return {worker_key(app, w) for w in task.task.worker.workers if not w.HasField("user")}


def awaiting_review(task: TaskState, assignment_ids: Iterable[str]) -> list[Assignment]:
    found = (task.assignments.get(i) for i in assignment_ids)
    reviewable = task.review_policy.reviewable
    return [a for a in found if a is not None and a.state == reviewable]


def move(
    ctx: CallContext, task: TaskState, assignment: Assignment, state: int, annotation_state: int | None = None
) -> None:
    """Put `assignment` in `state`; its labeler's task annotations on the input follow in the async half.

    Work returning to PENDING joins the end of its worker's queue, after the worker's planned inputs: those
    are handed out first (made into assignments) so that the queue keeps that order."""
    worker = assignment.worker_id
    if state == PENDING and assignment.state != PENDING and task.work.left(worker):
        task.hand_out(worker, task.work.take_all(worker), ctx.store.ids.new_ids, ctx.now())
    task.replace(dataclasses.replace(assignment, state=state, modified_at=ctx.now()))
    reviewable = task.review_policy.reviewable
    if state == reviewable and assignment.state != reviewable:
        task.open_reviews(assignment.id)
    elif assignment.state == reviewable and state != reviewable:
        task.close_reviews(assignment.id)
    code = review.ANNOTATION_STATE[state] if annotation_state is None else annotation_state
    task.held_annotation_status[assignment.id] = code  # the async half applies it (`apply_async_half`)


def apply_async_half(ctx: CallContext, task: TaskState) -> None:
    """The async half of PutTaskAssignments [proto: `PutTaskAssignmentsRequestAction`]: CONSENSUS settlement
    of the inputs that had submissions, then each moved assignment's labeler's task annotations on its input
    take the status it left for them. Applied right after each call, or by `FakeClarifai.settle()` while
    `hold_async()` holds it [policy: when; proto: what]."""
    if task.unsettled_inputs:
        inputs, task.unsettled_inputs = task.unsettled_inputs, PMap()
        settle_consensus(ctx, task, inputs)
    held, task.held_annotation_status = task.held_annotation_status, PMap()
    for assignment_id, code in held.items():
        set_annotation_status(ctx, task, task.assignments[assignment_id], code)


def set_annotation_status(ctx: CallContext, task: TaskState, assignment: Assignment, code: int) -> None:
    app = ctx.app
    for annotation in labeler_annotations(app, task.task.id, assignment):
        if annotation.status.code != code:
            changed = resources_pb2.Annotation()
            changed.CopyFrom(annotation)
            changed.status.CopyFrom(status_of(code))
            changed.modified_at.CopyFrom(ctx.timestamp())
            app.replace_annotation(changed)


def settle_consensus(ctx: CallContext, task: TaskState, input_ids: Iterable[str]) -> None:
    """Apply the CONSENSUS rule to each input that just had a submission."""
    threshold = task.review_policy.threshold(task.task.review)
    for input_id in input_ids:
        on_input = task.of_input(input_id)
        labelers = [
            review.Labeler(a.id, a.state, labels(labeler_annotations(ctx.app, task.task.id, a))) for a in on_input
        ]
        expected = task.expected_labelers(input_id)
        settlement = review.settle(labelers, threshold, expected, task.consensus_labels.get(input_id))
        if settlement.agreed is not None:
            task.consensus_labels[input_id] = settlement.agreed
        for assignment_id, change in settlement.changes.items():
            move(ctx, task, task.assignments[assignment_id], change.state, change.annotation_state)


def labeler_annotations(app: AppState, task_id: str, assignment: Assignment) -> list[resources_pb2.Annotation]:
    """The annotations the assignment's worker (a labeler, or the task's model) made for `task_id` on its input."""
    found = (app.annotations[i] for i in app.annotation_ids_by_input.get(assignment.input_id, ()))
    return [a for a in found if a.task_id == task_id and annotation_worker_key(a) == assignment.worker_id]


def labels(annotations: Iterable[resources_pb2.Annotation]) -> frozenset[str]:
    """The concept ids with value > 0 that the annotations give, on the input or in its regions."""
    concepts = chain.from_iterable(
        chain(a.data.concepts, chain.from_iterable(r.data.concepts for r in a.data.regions)) for a in annotations
    )
    return frozenset(c.id for c in concepts if c.value > 0)


def as_message(ctx: CallContext, task: TaskState, assignment: Assignment) -> resources_pb2.TaskAssignment:
    return resources_pb2.TaskAssignment(
        id=assignment.id,
        created_at=to_timestamp(assignment.created_at),
        modified_at=to_timestamp(assignment.modified_at),
        worker=worker_message(ctx, task, assignment.worker_id),
        input=input_of(ctx.app, assignment.input_id),
        status=status_of(assignment.state),
    )


def worker_message(ctx: CallContext, task: TaskState, worker_id: str) -> resources_pb2.Worker:
    """The worker an assignment names: the task's model or workflow worker whose key it is, else the user."""
    for worker in task.task.worker.workers:
        if not worker.HasField("user") and worker_key(ctx.app, worker) == worker_id:
            return worker
    user = ctx.store.users.get(worker_id) or resources_pb2.User(id=worker_id)
    return resources_pb2.Worker(user=user)


def input_of(app: AppState, input_id: str) -> resources_pb2.Input:
    """The stored input (an id-only Input once the input was deleted)."""
    return app.inputs.get(input_id) or resources_pb2.Input(id=input_id)


def action_name(action: int) -> str:
    return Action.Name(action) if action in Action.values() else str(action)
