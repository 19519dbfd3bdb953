"""Seeded models and workflows, read-only (BEHAVIOUR.md §3): GetModel, ListModels, GetWorkflow, ListWorkflows."""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import ApiError, Code, describe
from fake_clarifai.services import rpc
from fake_clarifai.services.batch import require_found
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState, FakeModel, FakeWorkflow

INVALID = Code.CONN_INVALID_REQUEST


def model_message(app: AppState, model: FakeModel) -> resources_pb2.Model:
    """A seeded model as the API shows it: its one (trained) version inside."""
    trained = resources_pb2.ModelVersion(id=model.version_id, app_id=app.app_id, user_id=app.user_id)
    trained.status.code = Code.MODEL_TRAINED
    trained.status.description = describe(Code.MODEL_TRAINED)
    return resources_pb2.Model(
        id=model.id, name=model.name, app_id=app.app_id, user_id=app.user_id, model_version=trained
    )


@rpc("GetModel")
def get_model(ctx: CallContext, request: service_pb2.GetModelRequest) -> service_pb2.SingleModelResponse:
    model = require_found(ctx.app.models, request.model_id, "model_id", "model", INVALID)
    if request.version_id and request.version_id != model.version_id:
        raise ApiError(Code.CONN_DOES_NOT_EXIST, f"version '{request.version_id}' of model '{model.id}' does not exist")
    return service_pb2.SingleModelResponse(model=model_message(ctx.app, model))


@rpc("ListModels")
def list_models(ctx: CallContext, request: service_pb2.ListModelsRequest) -> service_pb2.MultiModelResponse:
    page = paginate(ctx.app.models.values(), request.page, request.per_page)
    return service_pb2.MultiModelResponse(models=[model_message(ctx.app, model) for model in page])


def workflow_message(app: AppState, workflow: FakeWorkflow) -> resources_pb2.Workflow:
    """A seeded workflow as the API shows it: one node running its model."""
    node = resources_pb2.WorkflowNode(id=workflow.model_id, model=model_message(app, app.models[workflow.model_id]))
    return resources_pb2.Workflow(
        id=workflow.id,
        app_id=app.app_id,
        user_id=app.user_id,
        nodes=[node],
        version=resources_pb2.WorkflowVersion(id=workflow.version_id, workflow_id=workflow.id),
    )


@rpc("GetWorkflow")
def get_workflow(ctx: CallContext, request: service_pb2.GetWorkflowRequest) -> service_pb2.SingleWorkflowResponse:
    workflow = require_found(ctx.app.workflows, request.workflow_id, "workflow_id", "workflow", INVALID)
    return service_pb2.SingleWorkflowResponse(workflow=workflow_message(ctx.app, workflow))


@rpc("ListWorkflows")
def list_workflows(ctx: CallContext, request: service_pb2.ListWorkflowsRequest) -> service_pb2.MultiWorkflowResponse:
    page = paginate(ctx.app.workflows.values(), request.page, request.per_page)
    return service_pb2.MultiWorkflowResponse(workflows=[workflow_message(ctx.app, w) for w in page])
