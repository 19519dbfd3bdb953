"""Inputs (BEHAVIOUR.md §3): PostInputs, PatchInputs, GetInput, ListInputs, GetInputCount, DeleteInput, DeleteInputs,
and the add jobs PostInputs records (GetInputsAddJob, ListInputsAddJobs).

Inputs are stored by id with their data as sent: URLs and text by reference, nothing is downloaded, and
the status is `INPUT_DOWNLOAD_SUCCESS` at once. Media posted as bytes (`base64`) is kept and answered as a
URL the fake serves (`hosted_url`), as the real API answers with a hosted URL on its own data host instead
of echoing the bytes. Tasks learn of added and deleted inputs through `source_events`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from urllib.parse import quote

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import ApiError, Code, describe
from fake_clarifai.records import new_input
from fake_clarifai.services import rpc, source_events
from fake_clarifai.services.annotations import input_level_annotations
from fake_clarifai.services.assembled import Assembled, assembler
from fake_clarifai.services.batch import (
    require_action,
    require_existing_ids,
    require_found,
    require_new_ids,
)
from fake_clarifai.services.datasets import add_members, leave_all_datasets
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState, Store

INVALID = Code.INPUT_INVALID_REQUEST
SUFFIX = resources_pb2.InputIDConflictResolution.SUFFIX
ONE_INPUT = assembler(service_pb2.SingleInputResponse, "input")
INPUT_PAGE = assembler(service_pb2.MultiInputResponse, "inputs")


def store_inputs(store: Store, app: AppState, inputs: Sequence[resources_pb2.Input]) -> None:
    """Put new inputs (ids unused) in the app, in order, and tell the tasks drawing from the app."""
    app.add_inputs(inputs)
    if inputs:
        source_events.inputs_added(store, app, [item.id for item in inputs])


def assigned_to_caller(app: AppState, user_id: str, request: service_pb2.GetInputRequest) -> bool:
    """BEHAVIOUR.md §2: a task's worker may read an input assigned to them (by the tasks' per-input index)."""
    return any(
        user_id in task.worker_user_ids and task.is_assigned(user_id, request.input_id) for task in app.tasks.values()
    )


@rpc("PostInputs")
def post_inputs(ctx: CallContext, request: service_pb2.PostInputsRequest) -> service_pb2.MultiInputResponse:
    app = ctx.app
    resolve_conflicts = request.input_id_conflict_resolution == SUFFIX
    requested_ids = [item.id for item in request.inputs]
    taken = () if resolve_conflicts else app.inputs
    require_new_ids(requested_ids, taken, "inputs[{i}].id", INVALID, generated=True)
    for n, item in enumerate(request.inputs):
        if item.data.ByteSize() == 0:
            raise ApiError(INVALID, f"inputs[{n}].data is empty: give a url, base64 bytes or text")
        field = f"inputs[{n}].dataset_ids[{{i}}]"
        require_existing_ids(item.dataset_ids, app.datasets, field, "dataset", INVALID, repeats_ok=True)
    ids = assign_ids(requested_ids, app.inputs if resolve_conflicts else (), ctx.new_id)
    now = ctx.now()
    inputs = [
        new_input(input_id, data=hosted(ctx, app, input_id, item.data), created_at=now)
        for input_id, item in zip(ids, request.inputs, strict=True)
    ]
    store_inputs(ctx.store, app, inputs)
    app.add_annotations(input_level_annotations(ctx, inputs))
    if request.inputs_add_job_id:
        record_add_job(ctx, app, request.inputs_add_job_id, len(inputs))
    members: dict[str, list[str]] = {}
    for input_id, item in zip(ids, request.inputs, strict=True):
        for dataset_id in item.dataset_ids:
            members.setdefault(dataset_id, []).append(input_id)
    for dataset_id, input_ids in members.items():
        add_members(ctx.store, app, dataset_id, input_ids, ctx.timestamp())
    return service_pb2.MultiInputResponse(inputs=inputs)


MEDIA = ("image", "video", "audio")
HOSTED_PREFIX = "/fake-clarifai/hosted/"


def hosted_url(base: str, app: AppState, input_id: str) -> str:
    """Where the fake serves the bytes `input_id` was posted with (the JSON/HTTP gateway answers GET on it)."""
    return f"{base}{HOSTED_PREFIX}{quote(app.user_id)}/{quote(app.app_id)}/{quote(input_id)}"


def hosted(ctx: CallContext, app: AppState, input_id: str, data: resources_pb2.Data) -> resources_pb2.Data:
    """`data` as stored: media sent as bytes is kept in `app.hosted_bytes` and replaced by its hosted URL."""
    media = next((name for name in MEDIA if getattr(data, name).base64), None)
    if media is None:
        return data
    stored = resources_pb2.Data()
    stored.CopyFrom(data)
    part = getattr(stored, media)
    app.put_hosted_bytes(input_id, part.base64)
    part.ClearField("base64")
    part.url = hosted_url(ctx.store.hosted_base(), app, input_id)
    return stored


def hosted_bytes(store: Store, user_id: str, app_id: str, input_id: str) -> bytes | None:
    """The bytes behind a hosted URL (None when the app or input is gone): for the gateway's GET route."""
    with store.lock:
        app = store.app(user_id, app_id)
        return None if app is None else app.hosted_bytes.get(input_id)


def record_add_job(ctx: CallContext, app: AppState, job_id: str, count: int) -> None:
    """The add job a PostInputs with `inputs_add_job_id` starts: finished at once, as the inputs are [policy]."""
    job = resources_pb2.InputsAddJob(id=job_id, created_at=ctx.timestamp(), modified_at=ctx.timestamp())
    previous = app.inputs_add_jobs.get(job_id)
    done = count + (previous.progress.success_count if previous is not None else 0)
    job.progress.success_count = done
    job.status.code = Code.JOB_COMPLETED
    job.status.description = describe(Code.JOB_COMPLETED)
    app.put_add_job(job)


@rpc("GetInputsAddJob")
def get_inputs_add_job(
    ctx: CallContext, request: service_pb2.GetInputsAddJobRequest
) -> service_pb2.SingleInputsAddJobResponse:
    job = require_found(ctx.app.inputs_add_jobs, request.id, "id", "inputs add job", INVALID)
    return service_pb2.SingleInputsAddJobResponse(inputs_add_job=job)


@rpc("ListInputsAddJobs")
def list_inputs_add_jobs(
    ctx: CallContext, request: service_pb2.ListInputsAddJobsRequest
) -> service_pb2.MultiInputsAddJobResponse:
    page = paginate(ctx.app.inputs_add_jobs.values(), request.page, request.per_page)
    return service_pb2.MultiInputsAddJobResponse(inputs_add_jobs=page)


PATCHABLE = ("concepts", "metadata", "geo")


@rpc("PatchInputs")
def patch_inputs(ctx: CallContext, request: service_pb2.PatchInputsRequest) -> service_pb2.MultiInputResponse:
    """Patch `data` (concepts, metadata, geo; the media stays) of existing inputs [proto: PatchInputsRequest]."""
    app = ctx.app
    action = require_action(request.action, ("merge", "overwrite", "remove"), INVALID)
    require_existing_ids([item.id for item in request.inputs], app.inputs, "inputs[{i}].id", "input", INVALID)
    for n, item in enumerate(request.inputs):
        unpatchable = [f"data.{d.name}" for d, _ in item.data.ListFields() if d.name not in PATCHABLE]
        if unpatchable:
            raise ApiError(INVALID, f"inputs[{n}].{unpatchable[0]} cannot be patched: only {', '.join(PATCHABLE)}")
    changed = [patched_input(app.inputs[item.id], named(app, item.data), action) for item in request.inputs]
    modified_at = ctx.timestamp()
    for item in changed:
        item.modified_at.CopyFrom(modified_at)
        app.replace_input(item)
    return service_pb2.MultiInputResponse(inputs=changed)


def named(app: AppState, data: resources_pb2.Data) -> resources_pb2.Data:
    """`data` whose unnamed concepts carry the app concept's name, else their id (clarifai-python-grpc's
    test_post_list_patch_get_delete_image reads `concepts[0].name == id` after PatchInputs)."""
    if all(c.name for c in data.concepts):
        return data
    result = resources_pb2.Data()
    result.CopyFrom(data)
    for c in result.concepts:
        c.name = c.name or (app.concepts[c.id].name if c.id in app.concepts else c.id)
    return result


def patched_input(stored: resources_pb2.Input, change: resources_pb2.Data, action: str) -> resources_pb2.Input:
    """merge: concepts by id and metadata by key; overwrite: replace the three; remove: drop the given concept
    ids and metadata keys [policy, after PatchDatasets/PatchConcepts]."""
    result = resources_pb2.Input()
    result.CopyFrom(stored)
    data = result.data
    if action == "remove":
        dropped = {c.id for c in change.concepts}
        kept = [c for c in data.concepts if c.id not in dropped]
        del data.concepts[:]
        data.concepts.extend(kept)
        for key in change.metadata:
            data.metadata.fields.pop(key, None)
        return result
    if action == "overwrite":
        for name in PATCHABLE:
            data.ClearField(name)
    by_id = {c.id: c for c in data.concepts}
    by_id.update({c.id: c for c in change.concepts})
    del data.concepts[:]
    data.concepts.extend(by_id.values())
    data.metadata.MergeFrom(change.metadata)
    if change.HasField("geo"):
        data.geo.CopyFrom(change.geo)
    return result


def assign_ids(requested: Sequence[str], conflicting: Container[str], new_id: Callable[[], str]) -> list[str]:
    """Generated ids for empty ones; a requested id found in `conflicting` gets a suffix "-1" … "-9", else a
    random one (`input_id_conflict_resolution = SUFFIX` [doc])."""
    taken = set(requested)
    ids = []
    for input_id in requested:
        if not input_id:
            input_id = new_id()
        elif input_id in conflicting:
            candidates = (f"{input_id}-{n}" for n in range(1, 10))
            free = next((c for c in candidates if c not in conflicting and c not in taken), None)
            input_id = free or f"{input_id}-{new_id()}"
        taken.add(input_id)
        ids.append(input_id)
    return ids


@rpc("GetInput", grant=assigned_to_caller)
def get_input(ctx: CallContext, request: service_pb2.GetInputRequest) -> Assembled:
    return ONE_INPUT(require_found(ctx.app.inputs, request.input_id, "input_id", "input", INVALID))


@rpc("ListInputs")
def list_inputs(ctx: CallContext, request: service_pb2.ListInputsRequest) -> Assembled:
    """All inputs in creation order, or the asked `ids` that exist in the order asked; `status.code` filters."""
    inputs = ctx.app.inputs
    found = (inputs[i] for i in dict.fromkeys(request.ids) if i in inputs) if request.ids else inputs.values()
    code = request.status.code
    matching = (item for item in found if item.status.code == code) if code else found
    return INPUT_PAGE(paginate(matching, request.page, request.per_page))


@rpc("GetInputCount")
def get_input_count(
    ctx: CallContext, request: service_pb2.GetInputCountRequest
) -> service_pb2.SingleInputCountResponse:
    return service_pb2.SingleInputCountResponse(counts=resources_pb2.InputCount(processed=len(ctx.app.inputs)))


@rpc("DeleteInput")
def delete_input(ctx: CallContext, request: service_pb2.DeleteInputRequest) -> status_pb2.BaseResponse:
    require_found(ctx.app.inputs, request.input_id, "input_id", "input", INVALID)
    delete_inputs_of(ctx.app, [request.input_id])
    return status_pb2.BaseResponse()


@rpc("DeleteInputs")
def delete_inputs(ctx: CallContext, request: service_pb2.DeleteInputsRequest) -> status_pb2.BaseResponse:
    require_existing_ids(request.ids, ctx.app.inputs, "ids[{i}]", "input", INVALID, repeats_ok=True)
    delete_inputs_of(ctx.app, dict.fromkeys(request.ids))
    return status_pb2.BaseResponse()


def delete_inputs_of(app: AppState, input_ids: Iterable[str]) -> None:
    """Delete existing inputs with their dataset memberships and annotations [policy]; tasks drop their
    pending work on them."""
    input_ids = list(input_ids)
    app.remove_annotations(a for input_id in input_ids for a in app.annotation_ids_by_input.get(input_id, ()))
    for input_id in input_ids:
        leave_all_datasets(app, input_id)
        app.remove_input(input_id)
        source_events.input_removed(app, input_id)
