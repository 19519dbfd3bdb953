"""Apps and collaborators (SPEC §3)."""

from __future__ import annotations

from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import ApiError, Code, invalid
from fake_clarifai.services import rpc
from fake_clarifai.services.assembled import Assembled, assemble
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState


@rpc("PostApps", scope="user")
def post_apps(ctx: CallContext, request: service_pb2.PostAppsRequest) -> service_pb2.MultiAppResponse:
    user_id = ctx.caller.user_id
    seen: set[str] = set()
    for i, app in enumerate(request.apps):
        if not app.id:
            raise invalid(f"apps[{i}].id is empty: give every app an id")
        if app.id in seen:
            raise invalid(f"apps[{i}].id '{app.id}' appears twice in the request")
        if ctx.store.app(user_id, app.id) is not None:
            raise invalid(f"apps[{i}].id '{app.id}' already exists for user '{user_id}'")
        seen.add(app.id)
    response = service_pb2.MultiAppResponse()
    for app in request.apps:
        stored = resources_pb2.App()
        stored.CopyFrom(app)
        stored.user_id = user_id
        stored.name = stored.name or app.id
        stored.created_at.CopyFrom(ctx.timestamp())
        stored.modified_at.CopyFrom(stored.created_at)
        ctx.store.add_app(AppState(app=stored))
        response.apps.append(stored)
    return response


@rpc("GetApp")
def get_app(ctx: CallContext, request: service_pb2.GetAppRequest) -> service_pb2.SingleAppResponse:
    return service_pb2.SingleAppResponse(app=ctx.app.app)  # an App is small: copying beats `assemble` here


@rpc("ListApps", scope="user")
def list_apps(ctx: CallContext, request: service_pb2.ListAppsRequest) -> Assembled:
    keys = paginate(ctx.store.app_keys_by_member.get(ctx.caller.user_id, ()), request.page, request.per_page)
    return assemble(service_pb2.MultiAppResponse(), apps=[ctx.store.apps[key].app for key in keys])


@rpc("PostCollaborators")
def post_collaborators(
    ctx: CallContext, request: service_pb2.PostCollaboratorsRequest
) -> service_pb2.MultiCollaboratorsResponse:
    app = ctx.app
    if ctx.caller.user_id != app.user_id:
        raise ApiError(Code.CONN_KEY_INVALID, f"only the app owner '{app.user_id}' can add collaborators")
    seen: set[str] = set()
    for i, collaborator in enumerate(request.collaborators):
        user_id = collaborator.user.id
        where = f"collaborators[{i}].user.id"
        if not user_id:
            raise invalid(f"{where} is empty")
        if user_id not in ctx.store.users:
            raise ApiError(Code.CONN_DOES_NOT_EXIST, f"{where}: user '{user_id}' does not exist")
        if user_id in seen:
            raise invalid(f"{where}: user '{user_id}' appears twice in the request")
        if user_id == app.user_id or user_id in app.collaborators:
            raise invalid(f"{where}: user '{user_id}' is already the owner or a collaborator of the app")
        seen.add(user_id)
    response = service_pb2.MultiCollaboratorsResponse()
    for collaborator in request.collaborators:
        stored = resources_pb2.Collaborator(
            id=collaborator.id or ctx.new_id(),
            user=ctx.store.users[collaborator.user.id],
            app=app.app,
            scopes=collaborator.scopes,
            endpoints=collaborator.endpoints,
            created_at=ctx.timestamp(),
        )
        ctx.store.add_collaborator(app, stored)
        response.collaborators.append(stored)
    return response


@rpc("ListCollaborators")
def list_collaborators(
    ctx: CallContext, request: service_pb2.ListCollaboratorsRequest
) -> service_pb2.MultiCollaboratorsResponse:
    page = paginate(ctx.app.collaborators.values(), request.page, request.per_page)
    return service_pb2.MultiCollaboratorsResponse(collaborators=page)
