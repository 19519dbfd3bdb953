"""Annotations (BEHAVIOUR.md §3): PostAnnotations, GetAnnotation, ListAnnotations, PatchAnnotations,
DeleteAnnotation(s).

An annotation belongs to an input and to the user who posted it. Indexes kept beside `app.annotations`:
`annotation_ids_by_input` (tuples) and `annotation_ids_by_task` (ordered id dicts), both in creation order; every
write goes through `AppState.add_annotations` / `replace_annotation` / `remove_annotations`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, MutableSequence, Sequence
from itertools import chain
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.context import CallContext
from fake_clarifai.domain.annotation_rules import (
    annotation_workers,
    is_trusted,
    lists_all,
    named_author,
    settable_status,
    supported_worker_fields,
    task_link,
    worker_key,
)
from fake_clarifai.errors import ApiError, Code, invalid, not_found, status_of
from fake_clarifai.services import rpc, task_work
from fake_clarifai.services.batch import patched, require_action, require_existing_ids, require_id, require_new_ids
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState

INVALID = Code.ANNOTATION_INVALID_ARGUMENT
EDITABLE = ("data", "annotation_info")


def new_annotation(
    ctx: CallContext, requested: resources_pb2.Annotation, author: str, created_at: Timestamp
) -> resources_pb2.Annotation:
    """An annotation as stored: by `author` (a user, so trusted), `ANNOTATION_SUCCESS` unless the request sets a
    status."""
    annotation = resources_pb2.Annotation()
    annotation.CopyFrom(requested)
    annotation.id = requested.id or ctx.new_id()
    annotation.user_id = author
    annotation.ClearField("worker")
    annotation.worker.user.id = author
    annotation.trusted = True
    annotation.status.CopyFrom(status_of(requested.status.code or Code.ANNOTATION_SUCCESS))
    annotation.created_at.CopyFrom(created_at)
    annotation.modified_at.CopyFrom(created_at)
    return annotation


def input_level_annotations(ctx: CallContext, inputs: Iterable[resources_pb2.Input]) -> list[resources_pb2.Annotation]:
    """For each input posted with labels (concepts or regions in `data`), an input-level annotation by the
    poster holding them [docs: Annotations page (an input-level annotation per input, with the data posted);
    proto: `Annotation.input_level`; none for an input without labels: policy, it would hold nothing]."""
    created_at = ctx.timestamp()
    labelled = [item for item in inputs if item.data.concepts or item.data.regions]
    return [
        new_annotation(
            ctx,
            resources_pb2.Annotation(
                input_id=item.id,
                input_level=True,
                data=resources_pb2.Data(concepts=item.data.concepts, regions=item.data.regions),
            ),
            ctx.caller.user_id,
            created_at,
        )
        for item in labelled
    ]



def existing_annotation(app: AppState, annotation_id: str, input_id: str, field: str) -> resources_pb2.Annotation:
    """The annotation `annotation_id` (named by `field`); when `input_id` is given it must be that input's."""
    annotation = app.annotations.get(require_id(annotation_id, field, INVALID))
    if annotation is None:
        raise not_found("annotation", annotation_id)
    if input_id and annotation.input_id != input_id:
        raise ApiError(Code.CONN_DOES_NOT_EXIST, f"annotation '{annotation_id}' of input '{input_id}' does not exist")
    return annotation


@rpc("PostAnnotations", grant=task_work.task_worker_grant)
def post_annotations(
    ctx: CallContext, request: service_pb2.PostAnnotationsRequest
) -> service_pb2.MultiAnnotationResponse:
    app = ctx.app
    checked = task_work.checked_task_annotations(ctx, request.annotations)  # first: see its docstring
    ids = [a.id for a in request.annotations]
    require_new_ids(ids, app.annotations, "annotations[{i}].id", INVALID, generated=True)
    input_ids = [a.input_id for a in request.annotations]
    require_existing_ids(input_ids, app.inputs, "annotations[{i}].input_id", "input", INVALID, repeats_ok=True)
    for i, requested in enumerate(checked):
        if requested.status.code:
            settable_status(requested.status.code, f"annotations[{i}].status.code")
    authors = [attributed_author(ctx, requested, f"annotations[{i}]") for i, requested in enumerate(checked)]
    created_at = ctx.timestamp()
    annotations = [new_annotation(ctx, *made, created_at) for made in zip(checked, authors, strict=True)]
    app.add_annotations(annotations)
    return service_pb2.MultiAnnotationResponse(annotations=annotations)


def attributed_author(ctx: CallContext, requested: resources_pb2.Annotation, field: str) -> str:
    """The poster, or another user it names [docs: Annotations page (posting with another user's `user_id`)]:
    an app member (owner or collaborator; scopes are not modelled) may name another member, but a task
    annotation is always its labeler's own [policy: a labeler submits its own work]."""
    app, caller = ctx.app, ctx.caller.user_id
    user_id = named_author(requested, caller, field)
    if user_id == caller:
        return user_id
    if requested.task_id:
        raise ApiError(
            Code.TASK_PERMISSION_DENIED,
            f"{field}.user_id '{user_id}': a task annotation is by the labeler who posts it: leave it empty",
        )
    if not app.is_member(user_id):
        raise ApiError(
            INVALID,
            f"{field}.user_id '{user_id}' is not the owner or a collaborator of app '{app.user_id}/{app.app_id}'",
        )
    return user_id


@rpc("GetAnnotation")
def get_annotation(ctx: CallContext, request: service_pb2.GetAnnotationRequest) -> service_pb2.SingleAnnotationResponse:
    annotation = existing_annotation(ctx.app, request.annotation_id, request.input_id, "annotation_id")
    return service_pb2.SingleAnnotationResponse(annotation=annotation)


@rpc("ListAnnotations", grant=task_work.participant)
def list_annotations(
    ctx: CallContext, request: service_pb2.ListAnnotationsRequest
) -> service_pb2.MultiAnnotationResponse:
    app = ctx.app
    matches = annotation_filter(request)
    everyone = lists_all(request)
    found = (app.annotations[i] for i in candidate_ids(app, request) if i in app.annotations)
    page = paginate((a for a in found if (everyone or is_trusted(a)) and matches(a)), request.page, request.per_page)
    return service_pb2.MultiAnnotationResponse(annotations=page)


def candidate_ids(app: AppState, request: service_pb2.ListAnnotationsRequest) -> Iterable[str]:
    """The narrowest index for the request: asked ids, else by input, else by task, else the whole app."""
    if request.ids:
        return dict.fromkeys(request.ids)
    if request.input_ids:
        return chain.from_iterable(app.annotation_ids_by_input.get(i, ()) for i in dict.fromkeys(request.input_ids))
    if request.task_id:
        return app.annotation_ids_by_task.get(request.task_id, ())
    return app.annotations.keys()


def annotation_filter(request: service_pb2.ListAnnotationsRequest) -> Callable[[resources_pb2.Annotation], bool]:
    """All of the request's filters; the worker filters (users, model and workflow versions) are OR'ed [doc]."""
    ids, input_ids, statuses = set(request.ids), set(request.input_ids), {s.code for s in request.statuses}
    user_ids, model_versions = set(request.user_ids), set(request.model_version_ids)
    workflow_versions = set(request.workflow_version_ids)
    any_worker = not (user_ids or model_versions or workflow_versions)

    def matches(a: resources_pb2.Annotation) -> bool:
        return (
            (not ids or a.id in ids)
            and (not input_ids or a.input_id in input_ids)
            and (not request.task_id or a.task_id == request.task_id)
            and (not statuses or a.status.code in statuses)
            and (
                any_worker
                or a.user_id in user_ids
                or (a.model_version_id or a.worker.model.model_version.id) in model_versions
                or a.worker.workflow.version.id in workflow_versions
            )
        )

    return matches


@rpc("PatchAnnotations")
def patch_annotations(
    ctx: CallContext, request: service_pb2.PatchAnnotationsRequest
) -> service_pb2.MultiAnnotationResponse:
    app = ctx.app
    action = require_action(request.action, ("overwrite", "merge", "remove"), INVALID)
    ids = [a.id for a in request.annotations]
    require_existing_ids(ids, app.annotations, "annotations[{i}].id", "annotation", INVALID)
    changed = []
    for n, change in enumerate(request.annotations):
        stored = existing_annotation(app, change.id, change.input_id, f"annotations[{n}].id")
        task_work.require_labeler_may_edit(app, stored, ctx.caller.user_id, f"annotations[{n}]")
        edited = changed_annotation(stored, change, action, f"annotations[{n}]")
        require_same_task(stored, edited, f"annotations[{n}]")
        changed.append(edited)
    emptied = [a.id for a in changed if request.delete_if_empty_data and is_deletable_when_empty(a, action)]
    modified_at = ctx.timestamp()
    for annotation in changed:
        annotation.modified_at.CopyFrom(modified_at)
        app.replace_annotation(annotation)
    app.remove_annotations(emptied)
    return service_pb2.MultiAnnotationResponse(annotations=[a for a in changed if a.id not in emptied])


def require_same_task(stored: resources_pb2.Annotation, edited: resources_pb2.Annotation, field: str) -> None:
    """A patch never moves an annotation to or from a task: its annotation_info may not name another task
    than the annotation's own [policy: the task link is made when the annotation is posted, §6.3]."""
    named = task_link(resources_pb2.Annotation(annotation_info=edited.annotation_info), field)
    if named and named != stored.task_id:
        held = f"task '{stored.task_id}'" if stored.task_id else "no task"
        raise ApiError(
            INVALID,
            f"{field}.annotation_info.task_id '{named}': annotation '{stored.id}' belongs to {held}, "
            "and a patch does not change it",
        )


def changed_annotation(
    stored: resources_pb2.Annotation, change: resources_pb2.Annotation, action: str, field: str
) -> resources_pb2.Annotation:
    """`edited_annotation`, and with overwrite or merge a status the change sets [docs: Annotations page
    ("update annotation status" merges a new status)]."""
    result = edited_annotation(stored, change, action)
    if action != "remove" and change.status.code:
        result.status.CopyFrom(status_of(settable_status(change.status.code, f"{field}.status.code")))
    return result


def edited_annotation(
    stored: resources_pb2.Annotation, change: resources_pb2.Annotation, action: str
) -> resources_pb2.Annotation:
    """overwrite: data and annotation_info replaced; merge: concepts and regions by id, the rest merged;
    remove: the named concepts, regions and metadata keys (and annotation_info keys) taken out."""
    if action == "overwrite":
        return patched(stored, change, EDITABLE, action)
    result = copy.deepcopy(stored)
    if action == "merge":
        result.data.CopyFrom(merged_data(stored.data, change.data))
        result.annotation_info.MergeFrom(change.annotation_info)
    else:
        result.data.CopyFrom(removed_data(stored.data, change.data))
        for key in change.annotation_info.fields:
            result.annotation_info.fields.pop(key, None)
    return result


def is_deletable_when_empty(annotation: resources_pb2.Annotation, action: str) -> bool:
    """PatchAnnotations' delete_if_empty_data: a "remove" that left no data, except on input-level ones [doc]."""
    return action == "remove" and not annotation.input_level and annotation.data.ByteSize() == 0


def merged_data(stored: resources_pb2.Data, change: resources_pb2.Data) -> resources_pb2.Data:
    result = copy.deepcopy(stored)
    rest = copy.deepcopy(change)
    rest.ClearField("concepts")
    rest.ClearField("regions")
    result.MergeFrom(rest)
    replace_by_id(result.concepts, change.concepts)
    replace_by_id(result.regions, change.regions)
    return result


def replace_by_id(items: MutableSequence[Any], changes: Sequence[Any]) -> None:
    """Items with a changed item's id are replaced by it; the others are appended."""
    position = {item.id: i for i, item in enumerate(items) if item.id}
    for change in changes:
        if change.id in position:
            items[position[change.id]].CopyFrom(change)
        else:
            items.add().CopyFrom(change)


def removed_data(stored: resources_pb2.Data, change: resources_pb2.Data) -> resources_pb2.Data:
    result = copy.deepcopy(stored)
    concept_ids = {c.id for c in change.concepts}
    region_ids = {r.id for r in change.regions}
    del result.concepts[:]
    result.concepts.extend(c for c in stored.concepts if c.id not in concept_ids)
    del result.regions[:]
    result.regions.extend(r for r in stored.regions if r.id not in region_ids)
    for key in change.metadata.fields:
        result.metadata.fields.pop(key, None)
    return result


@rpc("DeleteAnnotation")
def delete_annotation(ctx: CallContext, request: service_pb2.DeleteAnnotationRequest) -> status_pb2.BaseResponse:
    annotation = existing_annotation(ctx.app, request.annotation_id, request.input_id, "annotation_id")
    ctx.app.remove_annotations([annotation.id])
    return status_pb2.BaseResponse()


@rpc("DeleteAnnotations")
def delete_annotations(ctx: CallContext, request: service_pb2.DeleteAnnotationsRequest) -> status_pb2.BaseResponse:
    """`input_ids` is required [doc]; with `ids` too, the i-th id must be an annotation of the i-th input."""
    app = ctx.app
    if not request.input_ids:
        raise ApiError(INVALID, "input_ids is empty: name the inputs whose annotations to delete")
    if request.ids:
        if len(request.ids) != len(request.input_ids):
            raise ApiError(INVALID, f"ids has {len(request.ids)} entries but input_ids has {len(request.input_ids)}")
        pairs = enumerate(zip(request.ids, request.input_ids, strict=True))
        doomed = [existing_annotation(app, a, i, f"ids[{n}]").id for n, (a, i) in pairs]
    else:
        require_existing_ids(request.input_ids, app.inputs, "input_ids[{i}]", "input", INVALID, repeats_ok=True)
        doomed = [a for i in request.input_ids for a in app.annotation_ids_by_input.get(i, ())]
    app.remove_annotations(doomed)
    return status_pb2.BaseResponse()


@rpc("PatchAnnotationsStatus")
def patch_annotations_status(
    ctx: CallContext, request: service_pb2.PatchAnnotationsStatusRequest
) -> service_pb2.PatchAnnotationsStatusResponse:
    """Every annotation the filters (`task_id`, `user_ids`, `status_codes`, AND'ed; none given: all) select is put
    in `status_code` [proto: `PatchAnnotationsStatusRequest`]; ones already in it are not counted [policy]."""
    app = ctx.app
    require_action(request.action, ("overwrite",), INVALID)
    code = settable_status(request.status_code, "status_code")
    if request.task_id:
        task_work.existing_task(app, request.task_id, "task_id")
    users, statuses = set(request.user_ids), set(request.status_codes)
    candidates = app.annotation_ids_by_task.get(request.task_id, ()) if request.task_id else app.annotations
    chosen = [
        a
        for a in (app.annotations[i] for i in candidates)
        if (not users or a.user_id in users) and (not statuses or a.status.code in statuses) and a.status.code != code
    ]
    for a in chosen:
        task_work.require_labeler_may_edit(app, a, ctx.caller.user_id, f"annotation '{a.id}'")
    modified_at = ctx.timestamp()
    for stored in chosen:
        changed = copy.deepcopy(stored)
        changed.status.CopyFrom(status_of(code))
        changed.modified_at.CopyFrom(modified_at)
        app.replace_annotation(changed)
    user_ids = list(dict.fromkeys(a.user_id for a in chosen if a.user_id))
    return service_pb2.PatchAnnotationsStatusResponse(user_ids=user_ids, updated_count=len(chosen))


@rpc("ListAnnotationWorkers")
def list_annotation_workers(
    ctx: CallContext, request: service_pb2.ListAnnotationWorkersRequest
) -> service_pb2.MultiWorkerResponse:
    """The workers (users, models, workflows) that made the app's annotations, in the order of their first
    one; users by id only unless `additional_fields` asks for names [proto: `ListAnnotationWorkersRequest`,
    `Worker.user`]."""
    names = bool(supported_worker_fields(request.additional_fields))
    firsts = paginate(
        annotation_workers(ctx.app.annotations.values(), request.trusted_only), request.page, request.per_page
    )
    return service_pb2.MultiWorkerResponse(workers=[shown_worker(ctx, a, names) for a in firsts])


def shown_worker(ctx: CallContext, annotation: resources_pb2.Annotation, names: bool) -> resources_pb2.Worker:
    kind, worker_id, version_id = worker_key(annotation)
    if kind == "model" and not annotation.worker.HasField("model"):
        model = resources_pb2.Model(id=worker_id, model_version=resources_pb2.ModelVersion(id=version_id))
        return resources_pb2.Worker(model=model)
    if kind != "user":
        return annotation.worker
    user = resources_pb2.User(id=worker_id)
    known = ctx.store.users.get(worker_id)
    if names and known is not None:
        user.first_name, user.last_name = known.first_name, known.last_name
    return resources_pb2.Worker(user=user)


def task_reviewer(app: AppState, user_id: str, request: service_pb2.GetInputSamplesRequest) -> bool:
    """GetInputSamples by a reviewer of the request's task who is not an app member [policy: reviewers
    judge the labelers' samples; labelers do not see each other's work]."""
    task = app.tasks.get(request.task_id)
    return task is not None and user_id in task.reviewer_user_ids


@rpc("GetInputSamples", grant=task_reviewer)
def get_input_samples(
    ctx: CallContext, request: service_pb2.GetInputSamplesRequest
) -> service_pb2.MultiInputAnnotationResponse:
    """The task annotations of the labelers named (none named: every user worker of the task, in task order
    [proto: `GetInputSamplesRequest.user_ids`]): one hit per annotation, with its input, labeler by labeler
    in creation order; the fake samples everything [policy]."""
    app = ctx.app
    task = task_work.existing_task(app, request.task_id, "task_id")
    for i, user_id in enumerate(request.user_ids):
        if user_id not in task.worker_user_ids:
            raise invalid(f"user_ids[{i}] '{user_id}' is not a worker of task '{task.task.id}'")
    labelers = list(dict.fromkeys(request.user_ids)) or [w.user.id for w in task.task.worker.workers if w.user.id]
    of_task = [app.annotations[i] for i in app.annotation_ids_by_task.get(task.task.id, ())]
    hits = [
        resources_pb2.Hit(score=1.0, input=app.inputs[a.input_id], annotation=a, user_id=app.user_id, app_id=app.app_id)
        for labeler in labelers
        for a in of_task
        if a.user_id == labeler
    ]
    return service_pb2.MultiInputAnnotationResponse(hits=hits)
