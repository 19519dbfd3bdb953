"""Seeded models and workflows over the wire: GetModel, ListModels, GetWorkflow (BEHAVIOUR.md §3)."""

from __future__ import annotations

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, outsider_is_refused
from clarifai_grpc.grpc.api import service_pb2


@pytest.fixture
def models(clarifai_fake):
    """Models m-0 … m-4 (version v-<n>, m-0 named "Tagger") and workflow wf-1 ending in m-2."""
    for n in range(5):
        clarifai_fake.add_model("owner", "main", f"m-{n}", version_id=f"v-{n}", name="Tagger" if n == 0 else "")
    clarifai_fake.add_workflow("owner", "main", "wf-1", model_id="m-2", version_id="wfv-1")


def get_model(stub, model_id, version_id=""):
    request = service_pb2.GetModelRequest(user_app_id=MAIN, model_id=model_id, version_id=version_id)
    return stub.GetModel(request, metadata=OWNER)


def get_workflow(stub, workflow_id):
    return stub.GetWorkflow(service_pb2.GetWorkflowRequest(user_app_id=MAIN, workflow_id=workflow_id), metadata=OWNER)


def test_get_model_shows_its_trained_version(clarifai_stub, models):
    model = ok(get_model(clarifai_stub, "m-0")).model
    assert (model.id, model.name, model.app_id, model.user_id) == ("m-0", "Tagger", "main", "owner")
    version = model.model_version
    assert (version.id, version.app_id, version.user_id, version.status.code) == (
        "v-0",
        "main",
        "owner",
        Code.MODEL_TRAINED,
    )
    assert ok(get_model(clarifai_stub, "m-0", "v-0")).model == model
    assert ok(get_model(clarifai_stub, "m-1")).model.name == "m-1"


def test_get_model_unknown_wrong_version_or_empty(clarifai_stub, models):
    assert_error(get_model(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "model 'nope' does not exist")
    details = "version 'v-1' of model 'm-0' does not exist"
    assert_error(get_model(clarifai_stub, "m-0", "v-1"), Code.CONN_DOES_NOT_EXIST, details)
    assert_error(get_model(clarifai_stub, ""), Code.CONN_INVALID_REQUEST, "model_id is empty")


def test_list_models_pages_in_seeding_order(clarifai_stub, models):
    def listed(**params):
        response = ok(
            clarifai_stub.ListModels(service_pb2.ListModelsRequest(user_app_id=MAIN, **params), metadata=OWNER)
        )
        return [(m.id, m.model_version.id) for m in response.models]

    everything = [(f"m-{n}", f"v-{n}") for n in range(5)]
    assert listed() == everything
    pages = [listed(page=p, per_page=2) for p in (0, 1, 2, 3, 4)]
    assert pages == [everything[0:2], everything[0:2], everything[2:4], everything[4:], []]


def test_get_workflow_has_one_node_pointing_at_its_model(clarifai_stub, models):
    workflow = ok(get_workflow(clarifai_stub, "wf-1")).workflow
    assert (workflow.id, workflow.app_id, workflow.user_id, workflow.version.id) == ("wf-1", "main", "owner", "wfv-1")
    assert [(node.id, node.model.id, node.model.model_version.id) for node in workflow.nodes] == [("m-2", "m-2", "v-2")]
    assert workflow.nodes[0].model == ok(get_model(clarifai_stub, "m-2")).model


def test_get_workflow_unknown_or_empty(clarifai_stub, models):
    assert_error(get_workflow(clarifai_stub, "nope"), Code.CONN_DOES_NOT_EXIST, "workflow 'nope' does not exist")
    assert_error(get_workflow(clarifai_stub, ""), Code.CONN_INVALID_REQUEST, "workflow_id is empty")


@pytest.mark.parametrize("method", ["GetModel", "ListModels", "GetWorkflow"])
def test_outsider_is_refused(clarifai_fake, clarifai_stub, models, method):
    outsider_is_refused(clarifai_fake, clarifai_stub, method)
