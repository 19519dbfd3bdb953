"""Annotations (BEHAVIOUR.md §3): PostAnnotations, GetAnnotation, ListAnnotations, PatchAnnotations,
DeleteAnnotation(s).

An annotation belongs to an input and to the user who posted it. Indexes kept beside `app.annotations`:
`annotation_ids_by_input` (tuples) and `annotation_ids_by_task` (ordered id dicts), both in creation order; every
write goes through the `AppState` methods (`add_annotations`, `replace_annotation`, `remove_annotations`).
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
from fake_clarifai.errors import ApiError, Code, describe, not_found
from fake_clarifai.services import rpc, task_work
from fake_clarifai.services.batch import patched, require_action, require_existing_ids, require_id, require_new_ids
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState

INVALID = Code.ANNOTATION_INVALID_ARGUMENT
EDITABLE = ("data", "annotation_info")


def new_annotation(
    ctx: CallContext, requested: resources_pb2.Annotation, created_at: Timestamp
) -> resources_pb2.Annotation:
    """An annotation as stored: by the caller, `ANNOTATION_SUCCESS` unless the request sets a status."""
    annotation = resources_pb2.Annotation()
    annotation.CopyFrom(requested)
    annotation.id = requested.id or ctx.new_id()
    annotation.user_id = ctx.caller.user_id
    annotation.worker.user.id = ctx.caller.user_id
    annotation.status.code = requested.status.code or Code.ANNOTATION_SUCCESS
    annotation.status.description = describe(annotation.status.code)
    annotation.created_at.CopyFrom(created_at)
    annotation.modified_at.CopyFrom(created_at)
    return annotation


def add_annotations(app: AppState, annotations: Iterable[resources_pb2.Annotation]) -> None:
    """Store new annotations (ids unused, inputs existing); `AppState.add_annotations` indexes them."""
    app.add_annotations(annotations)


def remove_annotations(app: AppState, annotation_ids: Iterable[str]) -> None:
    """Delete existing annotations; `AppState.remove_annotations` keeps the indexes true."""
    app.remove_annotations(annotation_ids)


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
    created_at = ctx.timestamp()
    annotations = [new_annotation(ctx, requested, created_at) for requested in checked]
    add_annotations(app, annotations)
    return service_pb2.MultiAnnotationResponse(annotations=annotations)


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
    found = (app.annotations[i] for i in candidate_ids(app, request) if i in app.annotations)
    page = paginate((a for a in found if matches(a)), request.page, request.per_page)
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
    changed = [
        changed_annotation(existing_annotation(app, a.id, a.input_id, f"annotations[{n}].id"), a, action)
        for n, a in enumerate(request.annotations)
    ]
    emptied = [a.id for a in changed if request.delete_if_empty_data and is_deletable_when_empty(a, action)]
    modified_at = ctx.timestamp()
    for annotation in changed:
        annotation.modified_at.CopyFrom(modified_at)
        app.replace_annotation(annotation)
    remove_annotations(app, emptied)
    return service_pb2.MultiAnnotationResponse(annotations=[a for a in changed if a.id not in emptied])


def changed_annotation(
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
    remove_annotations(ctx.app, [annotation.id])
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
    remove_annotations(app, doomed)
    return status_pb2.BaseResponse()
