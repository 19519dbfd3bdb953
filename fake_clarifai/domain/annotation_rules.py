"""Annotation rules that need neither the wire nor the store (BEHAVIOUR.md §3.6)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from fake_clarifai.errors import ApiError, Code

INVALID = Code.ANNOTATION_INVALID_ARGUMENT

# The statuses an annotation can be put in (the enum's annotation states; its errors and the modify and track
# states are not states of an annotation) [policy]
SETTABLE_STATUSES = (
    Code.ANNOTATION_SUCCESS,
    Code.ANNOTATION_PENDING,
    Code.ANNOTATION_FAILED,
    Code.ANNOTATION_UNKNOWN_STATUS,
    Code.ANNOTATION_AWAITING_REVIEW,
    Code.ANNOTATION_AWAITING_CONSENSUS_REVIEW,
    Code.ANNOTATION_REVIEW_DENIED,
)
WORKER_FIELDS = ("all", "names")  # ListAnnotationWorkersRequest.additional_fields


def settable_status(code: int, field: str) -> int:
    """`code` if an annotation may be put in it, else ANNOTATION_INVALID_ARGUMENT naming `field`."""
    if code not in SETTABLE_STATUSES:
        choices = ", ".join(Code.Name(c) for c in SETTABLE_STATUSES)  # (the request door refused unknown numbers)
        raise ApiError(INVALID, f"{field} {Code.Name(code)} is not an annotation status: use one of {choices}")
    return code


def lists_all(request: service_pb2.ListAnnotationsRequest) -> bool:
    """Whether a list shows untrusted annotations too: `list_all_annotations`, or any worker filter, which sets
    it [proto: `ListAnnotationsRequest.list_all_annotations`, `.user_ids`, `.model_version_ids`,
    `.workflow_version_ids`]."""
    return bool(
        request.list_all_annotations or request.user_ids or request.model_version_ids or request.workflow_version_ids
    )


def named_author(requested: resources_pb2.Annotation, caller: str, field: str) -> str:
    """Whom a posted annotation is by: `worker.user.id`, else the deprecated `user_id`, else the caller
    [docs: Annotations page ("if empty, it is the user who posts"); proto: `Annotation.user_id`]."""
    by_worker, by_user_id = requested.worker.user.id, requested.user_id
    if by_worker and by_user_id and by_worker != by_user_id:
        raise ApiError(
            INVALID, f"{field}.user_id '{by_user_id}' and {field}.worker.user.id '{by_worker}' name different users"
        )
    return by_worker or by_user_id or caller


def worker_key(annotation: resources_pb2.Annotation) -> tuple[str, str, str]:
    """Who made `annotation`, as ListAnnotationWorkers tells workers apart: a user by id, a model or a workflow
    by id and version."""
    worker = annotation.worker
    if worker.HasField("model") or annotation.model_version_id:  # (the deprecated field alone names a model)
        return ("model", worker.model.id, worker.model.model_version.id or annotation.model_version_id)
    if worker.HasField("workflow"):
        return ("workflow", worker.workflow.id, worker.workflow.version.id)
    return ("user", worker.user.id or annotation.user_id, "")


def is_trusted(annotation: resources_pb2.Annotation) -> bool:
    """Made by a user, not by a model or workflow [docs: Annotations list page (a default list is of
    user-created annotations, without those of models); proto: `Annotation.trusted`]."""
    return worker_key(annotation)[0] == "user"


def annotation_workers(
    annotations: Iterable[resources_pb2.Annotation], trusted_only: bool
) -> list[resources_pb2.Annotation]:
    """One annotation per distinct worker (its first, in the given order); with `trusted_only`, only workers
    with a trusted annotation [proto: `ListAnnotationWorkersRequest.trusted_only`]."""
    first: dict[tuple[str, str, str], resources_pb2.Annotation] = {}
    for annotation in annotations:
        if not trusted_only or is_trusted(annotation):
            first.setdefault(worker_key(annotation), annotation)
    return list(first.values())


def supported_worker_fields(requested: Sequence[str]) -> frozenset[str]:
    for i, name in enumerate(requested):
        if name not in WORKER_FIELDS:
            raise ApiError(INVALID, f"additional_fields[{i}] '{name}' is not supported: use {', '.join(WORKER_FIELDS)}")
    return frozenset(requested)


def task_link(annotation: resources_pb2.Annotation, field: str) -> str:
    """The task an annotation is linked to: `task_id`, else the deprecated `annotation_info` key "task_id"
    [proto: `Annotation.annotation_info` ("task_id is deprecated in annotation_info. Use task_id"); docs: Task
    Annotations page]. Both given and different, or a non-string key: ANNOTATION_INVALID_ARGUMENT [policy]."""
    value = annotation.annotation_info.fields.get("task_id")
    if value is None:
        return annotation.task_id
    if value.WhichOneof("kind") != "string_value":
        raise ApiError(INVALID, f"{field}.annotation_info.task_id is not a string: give the task id as a string")
    legacy = value.string_value
    if annotation.task_id and legacy and legacy != annotation.task_id:
        raise ApiError(
            INVALID,
            f"{field}.task_id '{annotation.task_id}' and {field}.annotation_info.task_id '{legacy}' name different "
            "tasks: give one (annotation_info.task_id is deprecated)",
        )
    return annotation.task_id or legacy


def with_task_link(annotation: resources_pb2.Annotation, field: str) -> resources_pb2.Annotation:
    """`annotation` with `task_id` filled in from `task_link` (a copy when it changes; annotation_info is kept)."""
    task_id = task_link(annotation, field)
    if task_id == annotation.task_id:
        return annotation
    linked = resources_pb2.Annotation()
    linked.CopyFrom(annotation)
    linked.task_id = task_id
    return linked
