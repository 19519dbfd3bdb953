"""Concepts (BEHAVIOUR.md §3): PostConcepts, GetConcept, ListConcepts, PatchConcepts."""

from __future__ import annotations

from clarifai_grpc.grpc.api import service_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import Code
from fake_clarifai.records import new_concept
from fake_clarifai.services import rpc
from fake_clarifai.services.batch import patched, require_action, require_existing_ids, require_found, require_new_ids
from fake_clarifai.services.pagination import paginate

INVALID = Code.CONCEPTS_INVALID_REQUEST
EDITABLE = ("name", "definition", "language", "vocab_id", "visibility", "metadata", "image", "extra_info")


@rpc("PostConcepts")
def post_concepts(ctx: CallContext, request: service_pb2.PostConceptsRequest) -> service_pb2.MultiConceptResponse:
    app = ctx.app
    require_new_ids([c.id for c in request.concepts], app.concepts, "concepts[{i}].id", INVALID)
    created_at = ctx.timestamp()
    for requested in request.concepts:
        app.put_concept(new_concept(app, requested, created_at))
    return service_pb2.MultiConceptResponse(concepts=[app.concepts[c.id] for c in request.concepts])


@rpc("GetConcept")
def get_concept(ctx: CallContext, request: service_pb2.GetConceptRequest) -> service_pb2.SingleConceptResponse:
    concept = require_found(ctx.app.concepts, request.concept_id, "concept_id", "concept", INVALID)
    return service_pb2.SingleConceptResponse(concept=concept)


@rpc("ListConcepts")
def list_concepts(ctx: CallContext, request: service_pb2.ListConceptsRequest) -> service_pb2.MultiConceptResponse:
    fragment = request.id.lower()
    matching = (c for c in ctx.app.concepts.values() if fragment in c.id.lower())
    return service_pb2.MultiConceptResponse(concepts=paginate(matching, request.page, request.per_page))


@rpc("PatchConcepts")
def patch_concepts(ctx: CallContext, request: service_pb2.PatchConceptsRequest) -> service_pb2.MultiConceptResponse:
    app = ctx.app
    action = require_action(request.action, ("overwrite", "merge"), INVALID)
    require_existing_ids([c.id for c in request.concepts], app.concepts, "concepts[{i}].id", "concept", INVALID)
    for change in request.concepts:
        concept = patched(app.concepts[change.id], change, EDITABLE, action)
        concept.name = concept.name or concept.id
        app.put_concept(concept)
    return service_pb2.MultiConceptResponse(concepts=[app.concepts[c.id] for c in request.concepts])
