"""Searches over an app's inputs and annotations, and saved searches (the filters of `domain.search`).

PostInputsSearches / PostAnnotationsSearches run one `Search` (`searches[0]`) and answer its hits in creation
order, each with score 1 (filters select, they do not rank). PostSearches with `save` stores the search by its
id and answers without hits [proto: Search.save]; without `save` it runs the search like PostInputsSearches.
A task whose input source is SAVED_SEARCH draws the inputs the saved search selects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from fake_clarifai.context import CallContext
from fake_clarifai.domain.search import Candidate, selects, unsupported
from fake_clarifai.errors import Code, invalid
from fake_clarifai.services import rpc
from fake_clarifai.services.batch import require_found, require_new_ids
from fake_clarifai.services.pagination import paginate
from fake_clarifai.store import AppState

INVALID = Code.CONN_INVALID_REQUEST


def the_search(searches: list[resources_pb2.Search]) -> resources_pb2.Search:
    """The one search of a request, refused when it ranks (similarity search is not emulated)."""
    if len(searches) != 1:
        raise invalid(f"searches has {len(searches)} entries: send exactly one search")
    path = unsupported(searches[0].query)
    if path is not None:
        what = "ranking by similarity" if path.startswith("ranks") else "this search term"
        raise invalid(
            f"searches[0].query.{path}: {what} is not emulated by fake_clarifai; "
            "use query.filters (concepts, metadata, input types, datasets, status)"
        )
    return searches[0]


def input_candidates(app: AppState, input_ids: Iterable[str] | None = None) -> Iterator[Candidate]:
    """The app's inputs (or those of `input_ids`, existing, in that order) labeled by their data and annotations."""
    for item in app.inputs.values() if input_ids is None else (app.inputs[i] for i in input_ids if i in app.inputs):
        labels = [item.data, *(app.annotations[a].data for a in app.annotation_ids_by_input.get(item.id, ()))]
        yield Candidate(item, app.dataset_ids_by_input.get(item.id, ()), labels)


def selected_input_ids(app: AppState, query: resources_pb2.Query) -> list[str]:
    """The inputs `query` selects, in creation order (also what a SAVED_SEARCH task draws from)."""
    return [c.input.id for c in input_candidates(app) if selects(query, c)]


def newly_selected(app: AppState, search_id: str, input_ids: Sequence[str]) -> list[str]:
    """Of inputs just added to the app, those saved search `search_id` selects (none once it is deleted):
    what a DYNAMIC SAVED_SEARCH task adds to its pool [policy: judged once, when added]."""
    if search_id not in app.searches:
        return []
    query = app.searches[search_id].query
    return [c.input.id for c in input_candidates(app, input_ids) if selects(query, c)]


def hits_page(hits: list[resources_pb2.Hit], pagination: service_pb2.Pagination) -> list[resources_pb2.Hit]:
    return paginate(hits, pagination.page, pagination.per_page)


def input_hits(app: AppState, query: resources_pb2.Query) -> list[resources_pb2.Hit]:
    ids = selected_input_ids(app, query)
    return [resources_pb2.Hit(score=1.0, input=app.inputs[i], user_id=app.user_id, app_id=app.app_id) for i in ids]


@rpc("PostInputsSearches")
def post_inputs_searches(
    ctx: CallContext, request: service_pb2.PostInputsSearchesRequest
) -> service_pb2.MultiSearchResponse:
    search = the_search(list(request.searches))
    hits = hits_page(input_hits(ctx.app, search.query), request.pagination)
    return service_pb2.MultiSearchResponse(hits=hits, searches=[search])


@rpc("PostAnnotationsSearches")
def post_annotations_searches(
    ctx: CallContext, request: service_pb2.PostAnnotationsSearchesRequest
) -> service_pb2.MultiSearchResponse:
    """Each annotation is judged by its own data, with its input's kind, datasets and status."""
    app = ctx.app
    search = the_search(list(request.searches))
    hits = []
    for annotation in app.annotations.values():
        item = app.inputs[annotation.input_id]
        candidate = Candidate(item, app.dataset_ids_by_input.get(item.id, ()), [annotation.data])
        if selects(search.query, candidate):
            hits.append(resources_pb2.Hit(score=1.0, input=item, annotation=annotation, app_id=app.app_id))
    return service_pb2.MultiSearchResponse(hits=hits_page(hits, request.pagination), searches=[search])


@rpc("PostSearches")
def post_searches(ctx: CallContext, request: service_pb2.PostSearchesRequest) -> service_pb2.MultiSearchResponse:
    app = ctx.app
    if request.HasField("query") and request.searches:
        raise invalid("query and searches are both set: send the search in searches[0] only")
    legacy = [resources_pb2.Search(query=request.query)] if request.HasField("query") else []
    search = the_search(legacy or list(request.searches))  # `query`: deprecated, still sent by older clients
    if not search.save:
        hits = hits_page(input_hits(app, search.query), request.pagination)
        return service_pb2.MultiSearchResponse(hits=hits, searches=[search])
    require_new_ids([search.id], app.searches, "searches[{i}].id", INVALID)
    saved = resources_pb2.Search()
    saved.CopyFrom(search)
    saved.application_id = app.app_id
    saved.created_at.CopyFrom(ctx.timestamp())
    saved.modified_at.CopyFrom(saved.created_at)
    app.put_search(saved)
    return service_pb2.MultiSearchResponse(searches=[saved])


def saved_search(app: AppState, search_id: str) -> resources_pb2.Search:
    return require_found(app.searches, search_id, "id", "saved search", INVALID)


@rpc("GetSearch")
def get_search(ctx: CallContext, request: service_pb2.GetSearchRequest) -> service_pb2.SingleSearchResponse:
    return service_pb2.SingleSearchResponse(search=saved_search(ctx.app, request.id))


@rpc("ListSearches")
def list_searches(ctx: CallContext, request: service_pb2.ListSearchesRequest) -> service_pb2.MultiSearchResponse:
    return service_pb2.MultiSearchResponse(searches=paginate(ctx.app.searches.values(), request.page, request.per_page))


@rpc("DeleteSearch")
def delete_search(ctx: CallContext, request: service_pb2.DeleteSearchRequest) -> status_pb2.BaseResponse:
    """A task drawing from the search keeps what it drew [policy]."""
    del ctx.app.searches[saved_search(ctx.app, request.id).id]
    return status_pb2.BaseResponse()
