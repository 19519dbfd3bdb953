"""Datasets and their members (BEHAVIOUR.md §3).

Membership lives in `AppState.dataset_members[dataset_id]` (input_id → DatasetInput, in the order added)
and, for the way back, `AppState.dataset_ids_by_input[input_id]` (a tuple of dataset ids).
"""

from __future__ import annotations

from collections.abc import Iterable

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.context import CallContext
from fake_clarifai.errors import Code, describe, invalid
from fake_clarifai.records import new_dataset
from fake_clarifai.services import rpc, source_events
from fake_clarifai.services.batch import patched, require_action, require_existing_ids, require_found, require_new_ids
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState, Store

INVALID = Code.CONN_INVALID_REQUEST
EDITABLE = (
    "description",
    "metadata",
    "notes",
    "visibility",
    "default_annotation_filter",
    "default_processing_info",
    "image",
)


def add_members(
    store: Store, app: AppState, dataset_id: str, input_ids: Iterable[str], created_at: Timestamp
) -> None:
    """Make existing inputs members of an existing dataset (ones already in it keep their place); the tasks
    drawing from it hear of the new members."""
    added = app.add_members(dataset_id, input_ids, created_at)
    if added:
        source_events.inputs_added(store, app, added, dataset_id)


def remove_members(app: AppState, dataset_id: str, input_ids: Iterable[str]) -> None:
    """Take inputs out of a dataset; they leave the tasks drawing from it."""
    removed = app.remove_members(dataset_id, input_ids)
    if removed:
        source_events.inputs_left(app, removed, dataset_id)


def leave_all_datasets(app: AppState, input_id: str) -> None:
    """Take an input out of every dataset it belongs to (it is being deleted)."""
    for dataset_id in app.dataset_ids_by_input.get(input_id, ()):
        remove_members(app, dataset_id, [input_id])


def existing_dataset(app: AppState, dataset_id: str) -> resources_pb2.Dataset:
    return require_found(app.datasets, dataset_id, "dataset_id", "dataset", INVALID)


@rpc("PostDatasets")
def post_datasets(ctx: CallContext, request: service_pb2.PostDatasetsRequest) -> service_pb2.MultiDatasetResponse:
    app = ctx.app
    require_new_ids([d.id for d in request.datasets], app.datasets, "datasets[{i}].id", INVALID)
    created_at = ctx.timestamp()
    for requested in request.datasets:
        app.add_dataset(new_dataset(app, requested, created_at))
    return service_pb2.MultiDatasetResponse(datasets=[app.datasets[d.id] for d in request.datasets])


@rpc("GetDataset")
def get_dataset(ctx: CallContext, request: service_pb2.GetDatasetRequest) -> service_pb2.SingleDatasetResponse:
    return service_pb2.SingleDatasetResponse(dataset=existing_dataset(ctx.app, request.dataset_id))


@rpc("ListDatasets")
def list_datasets(ctx: CallContext, request: service_pb2.ListDatasetsRequest) -> service_pb2.MultiDatasetResponse:
    page = paginate(ctx.app.datasets.values(), request.page, request.per_page)
    return service_pb2.MultiDatasetResponse(datasets=page)


@rpc("PatchDatasets")
def patch_datasets(ctx: CallContext, request: service_pb2.PatchDatasetsRequest) -> service_pb2.MultiDatasetResponse:
    app = ctx.app
    action = require_action(request.action, ("overwrite", "merge", "remove"), INVALID)
    require_existing_ids([d.id for d in request.datasets], app.datasets, "datasets[{i}].id", "dataset", INVALID)
    changed = [changed_dataset(app.datasets[d.id], d, action, f"datasets[{i}]") for i, d in enumerate(request.datasets)]
    modified_at = ctx.timestamp()
    for dataset in changed:
        dataset.modified_at.CopyFrom(modified_at)
        app.replace_dataset(dataset)
    return service_pb2.MultiDatasetResponse(datasets=changed)


def changed_dataset(
    stored: resources_pb2.Dataset, change: resources_pb2.Dataset, action: str, where: str
) -> resources_pb2.Dataset:
    """The patched copy; "remove" only removes the image, named by its current `image.url` [doc]."""
    if action != "remove":
        return patched(stored, change, EDITABLE, action)
    if not stored.image.url or change.image.url != stored.image.url:
        raise invalid(f"{where}.image.url '{change.image.url}': 'remove' only removes the dataset's current image")
    result = resources_pb2.Dataset()
    result.CopyFrom(stored)
    result.ClearField("image")
    return result


@rpc("DeleteDatasets")
def delete_datasets(ctx: CallContext, request: service_pb2.DeleteDatasetsRequest) -> status_pb2.BaseResponse:
    app = ctx.app
    require_existing_ids(request.dataset_ids, app.datasets, "dataset_ids[{i}]", "dataset", INVALID, repeats_ok=True)
    for dataset_id in dict.fromkeys(request.dataset_ids):
        remove_members(app, dataset_id, list(app.dataset_members[dataset_id]))
        app.remove_dataset(dataset_id)
    return status_pb2.BaseResponse()


@rpc("PostDatasetInputs")
def post_dataset_inputs(
    ctx: CallContext, request: service_pb2.PostDatasetInputsRequest
) -> service_pb2.MultiDatasetInputResponse:
    app = ctx.app
    dataset = existing_dataset(app, request.dataset_id)
    if request.HasField("search"):
        raise invalid("search: adding the results of a search to a dataset is not emulated; list dataset_inputs")
    input_ids = [member.input.id for member in request.dataset_inputs]
    require_existing_ids(input_ids, app.inputs, "dataset_inputs[{i}].input.id", "input", INVALID, repeats_ok=True)
    add_members(ctx.store, app, dataset.id, input_ids, ctx.timestamp())
    members = app.dataset_members[dataset.id]
    return service_pb2.MultiDatasetInputResponse(dataset_inputs=[members[i] for i in dict.fromkeys(input_ids)])


@rpc("ListDatasetInputs")
def list_dataset_inputs(
    ctx: CallContext, request: service_pb2.ListDatasetInputsRequest
) -> service_pb2.MultiDatasetInputResponse:
    dataset = existing_dataset(ctx.app, request.dataset_id)
    page = paginate(ctx.app.dataset_members[dataset.id].values(), request.page, request.per_page)
    return service_pb2.MultiDatasetInputResponse(dataset_inputs=page)


@rpc("DeleteDatasetInputs")
def delete_dataset_inputs(ctx: CallContext, request: service_pb2.DeleteDatasetInputsRequest) -> status_pb2.BaseResponse:
    app = ctx.app
    dataset = existing_dataset(app, request.dataset_id)
    members = app.dataset_members[dataset.id]
    require_existing_ids(request.input_ids, members, "input_ids[{i}]", "dataset input", INVALID, repeats_ok=True)
    remove_members(app, dataset.id, request.input_ids)
    return status_pb2.BaseResponse()


VERSION_EDITABLE = ("description", "metadata", "visibility")


@rpc("PostDatasetVersions")
def post_dataset_versions(
    ctx: CallContext, request: service_pb2.PostDatasetVersionsRequest
) -> service_pb2.MultiDatasetVersionResponse:
    """A version freezes the dataset's member count; it is READY at once (the real API builds it in the
    background, DATASET_VERSION_PENDING first) [policy]. The fake keeps no copy of the members."""
    app = ctx.app
    dataset = existing_dataset(app, request.dataset_id)
    versions = app.dataset_versions[dataset.id]
    requested_ids = [v.id for v in request.dataset_versions]
    require_new_ids(requested_ids, versions, "dataset_versions[{i}].id", INVALID, generated=True)
    made = [new_version(ctx, app, dataset.id, requested) for requested in request.dataset_versions]
    for version in made:
        app.add_dataset_version(dataset.id, version)
    return service_pb2.MultiDatasetVersionResponse(dataset_versions=made)


def new_version(
    ctx: CallContext, app: AppState, dataset_id: str, requested: resources_pb2.DatasetVersion
) -> resources_pb2.DatasetVersion:
    version = patched(resources_pb2.DatasetVersion(), requested, VERSION_EDITABLE, "merge")
    version.id = requested.id or ctx.new_id()
    version.app_id, version.user_id, version.dataset_id = app.app_id, app.user_id, dataset_id
    version.created_at.CopyFrom(ctx.timestamp())
    version.modified_at.CopyFrom(version.created_at)
    version.status.code = Code.DATASET_VERSION_READY
    version.status.description = describe(Code.DATASET_VERSION_READY)
    version.metrics["/"].inputs_count.value = len(app.dataset_members[dataset_id])
    return version


@rpc("ListDatasetVersions")
def list_dataset_versions(
    ctx: CallContext, request: service_pb2.ListDatasetVersionsRequest
) -> service_pb2.MultiDatasetVersionResponse:
    """Newest first, as the SDK's `list_versions` shows them [policy: the proto does not say]."""
    dataset = existing_dataset(ctx.app, request.dataset_id)
    newest_first = reversed(ctx.app.dataset_versions[dataset.id].values())
    page = paginate(newest_first, request.page, request.per_page)
    return service_pb2.MultiDatasetVersionResponse(dataset_versions=page)
