"""Apps, collaborators and the caller's user (BEHAVIOUR.md §3; GetUser, PatchApp, DeleteApp for the clarifai SDK)."""

from __future__ import annotations

from operator import attrgetter

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.errors import ApiError, Code, invalid
from fake_clarifai.services import rpc
from fake_clarifai.services.assembled import Assembled, assembler
from fake_clarifai.services.batch import patched, require_action, require_new_ids
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState

ONE_APP = assembler(service_pb2.SingleAppResponse, "app")
APP_PAGE = assembler(service_pb2.MultiAppResponse, "apps")
APP_OF = attrgetter("app")


@rpc("PostApps", scope="user")
def post_apps(ctx: CallContext, request: service_pb2.PostAppsRequest) -> service_pb2.MultiAppResponse:
    user_id = ctx.caller.user_id
    owned = {app_id for owner, app_id in ctx.store.apps if owner == user_id}
    ids = [app.id for app in request.apps]
    where, hint = f"for user '{user_id}'", "give every app an id"
    require_new_ids(ids, owned, "apps[{i}].id", Code.CONN_INVALID_REQUEST, owner=where, empty_hint=hint)
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
def get_app(ctx: CallContext, request: service_pb2.GetAppRequest) -> Assembled:
    return ONE_APP(ctx.app.app)


APP_EDITABLE = ("name", "description", "notes", "metadata", "default_workflow", "visibility", "image", "is_template")


def require_owner(ctx: CallContext, method: str) -> AppState:
    """The app in play, when the caller owns it: collaborators use an app but do not change or delete it [policy]."""
    app = ctx.app
    if ctx.caller.user_id != app.user_id:
        raise ApiError(Code.CONN_KEY_INVALID, f"only the app owner '{app.user_id}' can {method}")
    return app


@rpc("PatchApp")
def patch_app(ctx: CallContext, request: service_pb2.PatchAppRequest) -> service_pb2.SingleAppResponse:
    app = require_owner(ctx, "patch the app")
    action = require_action(request.action, ("overwrite", "merge"), Code.CONN_INVALID_REQUEST)
    if request.app.id and request.app.id != app.app_id:
        raise invalid(f"app.id '{request.app.id}' differs from user_app_id.app_id '{app.app_id}'")
    changed = patched(app.app, request.app, APP_EDITABLE, action)
    changed.name = changed.name or app.app_id
    changed.modified_at.CopyFrom(ctx.timestamp())
    app.app = changed
    return service_pb2.SingleAppResponse(app=changed)


@rpc("DeleteApp")
def delete_app(ctx: CallContext, request: service_pb2.DeleteAppRequest) -> status_pb2.BaseResponse:
    """The app and everything in it (inputs, datasets, tasks, …) go at once."""
    ctx.store.remove_app(require_owner(ctx, "delete the app"))
    return status_pb2.BaseResponse()


@rpc("GetUser", scope="user")
def get_user(ctx: CallContext, request: service_pb2.GetUserRequest) -> service_pb2.SingleUserResponse:
    """The caller's own user (a user-level call: another user's id is refused by the wire's user scope)."""
    return service_pb2.SingleUserResponse(user=ctx.store.users[ctx.caller.user_id])


@rpc("ListApps", scope="user")
def list_apps(ctx: CallContext, request: service_pb2.ListAppsRequest) -> Assembled:
    keys = paginate(ctx.store.app_keys_by_member.get(ctx.caller.user_id, ()), request.page, request.per_page)
    return APP_PAGE(map(APP_OF, ctx.store.apps.values_of(keys)))


@rpc("PostCollaborators")
def post_collaborators(
    ctx: CallContext, request: service_pb2.PostCollaboratorsRequest
) -> service_pb2.MultiCollaboratorsResponse:
    app = require_owner(ctx, "add collaborators")
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


@rpc("DeleteCollaborators")
def delete_collaborators(ctx: CallContext, request: service_pb2.DeleteCollaboratorsRequest) -> status_pb2.BaseResponse:
    """Only the owner. A collaborator is named by its collaborator id or its user id, or by one of its user's
    email addresses; every name must be a collaborator (repeats fine) or nothing is removed [policy]. The
    removed users keep what they were named for in tasks (§2.4)."""
    app = require_owner(ctx, "delete collaborators")
    if not request.collaborator_ids and not request.user_emails:
        raise invalid("collaborator_ids and user_emails are empty: name the collaborators to delete")
    by_name = {c.id: user_id for user_id, c in app.collaborators.items()} | {u: u for u in app.collaborators}
    by_email = {e: u for u, c in app.collaborators.items() for e in emails(ctx.store.users.get(u, c.user))}
    doomed = [
        named_collaborator(by_name, name, f"collaborator_ids[{i}]") for i, name in enumerate(request.collaborator_ids)
    ]
    doomed += [named_collaborator(by_email, email, f"user_emails[{i}]") for i, email in enumerate(request.user_emails)]
    for user_id in dict.fromkeys(doomed):
        ctx.store.remove_collaborator(app, user_id)
    return status_pb2.BaseResponse()


def emails(user: resources_pb2.User) -> list[str]:
    return [e for e in (user.primary_email, *(a.email for a in user.email_addresses)) if e]


def named_collaborator(known: dict[str, str], name: str, field: str) -> str:
    if not name:
        raise invalid(f"{field} is empty")
    if name not in known:
        raise ApiError(Code.CONN_DOES_NOT_EXIST, f"{field} '{name}' is not a collaborator of the app")
    return known[name]
