"""Inputs (SPEC §3): PostInputs, GetInput, ListInputs, GetInputCount, DeleteInput, DeleteInputs.

Inputs are stored by id with their data as sent: URLs and text by reference, nothing is downloaded, and
the status is `INPUT_DOWNLOAD_SUCCESS` at once. Tasks learn of added and deleted inputs through
`source_events`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import ApiError, Code, not_found
from fake_clarifai.services import rpc, source_events
from fake_clarifai.services.annotations import remove_annotations
from fake_clarifai.services.batch import require_existing_ids, require_id, require_new_ids
from fake_clarifai.services.datasets import add_members, leave_all_datasets
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState, new_input

INVALID = Code.INPUT_INVALID_REQUEST
SUFFIX = resources_pb2.InputIDConflictResolution.SUFFIX


def store_inputs(app: AppState, inputs: Sequence[resources_pb2.Input]) -> None:
    """Put new inputs (ids unused) in the app, in order, and tell the tasks drawing from the app."""
    for item in inputs:
        app.inputs[item.id] = item
    if inputs:
        source_events.inputs_added(app, [item.id for item in inputs])


def assigned_to_caller(app: AppState, user_id: str, request: service_pb2.GetInputRequest) -> bool:
    """SPEC §2: a task's worker may read an input assigned to them (by the tasks' per-input index)."""
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
        new_input(input_id, data=item.data, created_at=now) for input_id, item in zip(ids, request.inputs, strict=True)
    ]
    store_inputs(app, inputs)
    members: dict[str, list[str]] = {}
    for input_id, item in zip(ids, request.inputs, strict=True):
        for dataset_id in item.dataset_ids:
            members.setdefault(dataset_id, []).append(input_id)
    for dataset_id, input_ids in members.items():
        add_members(app, dataset_id, input_ids, ctx.timestamp())
    return service_pb2.MultiInputResponse(inputs=inputs)


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
def get_input(ctx: CallContext, request: service_pb2.GetInputRequest) -> service_pb2.SingleInputResponse:
    input_id = require_id(request.input_id, "input_id", INVALID)
    found = ctx.app.inputs.get(input_id)
    if found is None:
        raise not_found("input", input_id)
    return service_pb2.SingleInputResponse(input=found)


@rpc("ListInputs")
def list_inputs(ctx: CallContext, request: service_pb2.ListInputsRequest) -> service_pb2.MultiInputResponse:
    """All inputs in creation order, or the asked `ids` that exist in the order asked; `status.code` filters."""
    inputs = ctx.app.inputs
    found = (inputs[i] for i in dict.fromkeys(request.ids) if i in inputs) if request.ids else inputs.values()
    code = request.status.code
    matching = (item for item in found if not code or item.status.code == code)
    return service_pb2.MultiInputResponse(inputs=paginate(matching, request.page, request.per_page))


@rpc("GetInputCount")
def get_input_count(
    ctx: CallContext, request: service_pb2.GetInputCountRequest
) -> service_pb2.SingleInputCountResponse:
    return service_pb2.SingleInputCountResponse(counts=resources_pb2.InputCount(processed=len(ctx.app.inputs)))


@rpc("DeleteInput")
def delete_input(ctx: CallContext, request: service_pb2.DeleteInputRequest) -> status_pb2.BaseResponse:
    input_id = require_id(request.input_id, "input_id", INVALID)
    if input_id not in ctx.app.inputs:
        raise not_found("input", input_id)
    delete_inputs_of(ctx.app, [input_id])
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
    remove_annotations(app, [a for input_id in input_ids for a in app.annotation_ids_by_input.get(input_id, ())])
    for input_id in input_ids:
        leave_all_datasets(app, input_id)
        del app.inputs[input_id]
        source_events.input_removed(app, input_id)
