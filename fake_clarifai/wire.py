"""The wire: `clarifai.api.V2` served with every method going through one wrapper.

The wrapper takes the call's injected fault (`fake_clarifai.faults`), authenticates (BEHAVIOUR.md §2), resolves
the app, runs the handler under the store lock, maps `ApiError` to the response `status`, turns any other
exception into `FAILURE` (never gRPC UNKNOWN), stamps `req_id`, and records the call in the journal.
RPCs without a handler, and methods V2 does not have, answer gRPC UNIMPLEMENTED naming the method.

gRPC hands the wire bytes and takes bytes back (`handlers()` registers no (de)serializers): the wire
parses the request itself and keeps those bytes for the journal, and serializes the response once, for
gRPC and the journal alike. A handler may answer `Assembled` (fake_clarifai.services.assembled): sent
as assembled from its records' cached encodings, never built as one message. `FakeV2Servicer.call()`
runs a call in-process (the JSON gateway, benchmarks) and returns the response message.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import grpc
from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status.status_pb2 import Status
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from fake_clarifai import auth
from fake_clarifai.context import Caller
from fake_clarifai.door import check_request, may_hold_checked
from fake_clarifai.errors import ApiError, Code, describe
from fake_clarifai.faults import PROCEED, Delay, Faults, GrpcFault, Outcome, StatusFault
from fake_clarifai.ids import BatchedIds, IdFactory
from fake_clarifai.journal import Journal, Kept
from fake_clarifai.services import ROUTES, Route, load_all
from fake_clarifai.services.assembled import Assembled
from fake_clarifai.store import Store

log = logging.getLogger("fake_clarifai")

SERVICE = service_pb2.DESCRIPTOR.services_by_name["V2"]
SERVICE_NAME = SERVICE.full_name

Response = Message | Assembled
SUCCESS, SUCCESS_DESCRIPTION = int(Code.SUCCESS), describe(Code.SUCCESS)  # (Code.X costs ~1 us a lookup)
REQ_ID_LENGTH = 32  # an IdFactory id: 32 hex digits


def response_class(method: str) -> type[Message]:
    return message_factory.GetMessageClass(SERVICE.methods_by_name[method].output_type)


def request_class(method: str) -> type[Message]:
    return message_factory.GetMessageClass(SERVICE.methods_by_name[method].input_type)


def emulated_methods() -> list[str]:
    """Names of the V2 methods the fake answers (in descriptor order)."""
    routes = load_all()
    return [m.name for m in SERVICE.methods if m.name in routes]


class GrpcAbort(Exception):
    """The call ends with a gRPC error status: an injected fault, or a method the fake does not emulate."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What every call of one method shares, worked out once: its name (the full path for a method V2 does
    not have), its response type (None for those), whether faults apply (V2 methods), and whether its
    request can hold a value `check_request` refuses. The route is looked up per call (tests swap routes)."""

    method: str
    response_type: type[Message] | None = None
    is_v2: bool = False
    checked: bool = False
    success_head: bytes = b""  # the response holding only a SUCCESS status, up to its 32-character req_id


def _endpoint(method: MethodDescriptor) -> Endpoint:
    response_type = message_factory.GetMessageClass(method.output_type)
    marker = "r" * REQ_ID_LENGTH
    sample = response_type(status=Status(code=SUCCESS, description=SUCCESS_DESCRIPTION, req_id=marker))
    head, after = sample.SerializeToString().split(marker.encode())
    assert not after, f"{response_type.__name__}: the req_id is not the last field of its status"
    return Endpoint(method.name, response_type, True, may_hold_checked(method.input_type), head)


class FakeV2Servicer:
    """`clarifai.api.V2` served from a `Store`, with fault injection and a journal of calls.

    `req_ids` makes the responses' `req_id`s: a generator of its own, so that reads, retries and failed
    calls never shift the sequence of resource ids drawn from `store.ids`; the wire draws them from it in
    batches (`BatchedIds`). Callers are remembered per authorization header (`auth.Callers`).
    """

    def __init__(
        self,
        store: Store,
        *,
        faults: Faults | None = None,
        journal: Journal | None = None,
        req_ids: IdFactory | None = None,
    ) -> None:
        self.store = store
        self.faults = Faults() if faults is None else faults
        self.journal = Journal() if journal is None else journal
        self.req_ids = IdFactory() if req_ids is None else req_ids
        self.callers = auth.Callers(store)
        self._new_req_id = BatchedIds(self.req_ids).new_id
        self._endpoints = {method.name: _endpoint(method) for method in SERVICE.methods}
        load_all()

    def call(self, method: str, request: Message | None, metadata: Any) -> Message:
        """Run one call as the wire does (its fault, then auth and the handler) and journal it.

        `metadata` is the call's metadata pairs. Raises `GrpcAbort` when the call ends with a gRPC error.
        """
        kept, answered = self._call(self.endpoint(method), request, Kept.of(request), metadata)
        return answered if answered is not None else kept.message()

    def serve(
        self, method: str, request_type: type[Message] | None, request: bytes, context: grpc.ServicerContext
    ) -> bytes:
        """Run one call arriving over gRPC: `request` is its bytes, parsed as `request_type` (None: an
        unknown method's or a request stream's, not read). Returns the response's bytes; a `GrpcAbort`
        ends the call with its gRPC status, and so do bytes that do not parse (INTERNAL, as gRPC's own
        deserializer answers)."""
        return self.serve_endpoint(self.endpoint(method), request_type, request, context)

    def serve_endpoint(
        self, endpoint: Endpoint, request_type: type[Message] | None, request: bytes, context: grpc.ServicerContext
    ) -> bytes:
        """`serve` with the method's `Endpoint` (`endpoint(method)`) found already: the V2 handlers' entry."""
        parsed, kept = None, None
        if request_type is not None:
            try:
                parsed = request_type.FromString(request)
            except DecodeError:
                context.abort(grpc.StatusCode.INTERNAL, "Exception deserializing request!")
                raise  # context.abort always raises; this line only satisfies the type checker
            kept = Kept(request_type, request)
        try:
            response, _ = self._call(endpoint, parsed, kept, context.invocation_metadata())
        except GrpcAbort as abort:
            context.abort(abort.code, abort.details)
            raise  # context.abort always raises; this line only satisfies the type checker
        return response.data

    def endpoint(self, method: str) -> Endpoint:
        return self._endpoints.get(method) or Endpoint(method)

    def _call(
        self, endpoint: Endpoint, request: Message | None, kept: Kept | None, metadata: Any
    ) -> tuple[Kept, Message | None]:
        """The call answered and journaled: the response kept (serialized), and as a message when one was
        built whole (None for an `Assembled` one)."""
        method = endpoint.method
        arrived = self.store.clock.now()
        fault = self.faults.take(method) if endpoint.is_v2 else PROCEED
        taken = None if fault is PROCEED else fault
        try:
            route = ROUTES.get(method)
            if fault is PROCEED and route is not None:
                response, user_id = self._handle(endpoint, route, request, metadata)
            else:
                response, user_id = self._answer(endpoint, fault, route, request, metadata)
        except GrpcAbort as abort:
            self.journal.record(method, kept, None, None, abort.code, self._user_named_by(metadata), arrived, taken)
            raise
        req_id = self._new_req_id()
        head, tail = (response.head, response.tail) if type(response) is Assembled else (response, b"")
        if head is None:
            code, answered = SUCCESS, None
            data = endpoint.success_head + req_id.encode() + tail
            kept_response = Kept(endpoint.response_type, data)  # type: ignore[arg-type]
        else:
            status = head.status
            if not status.code:
                status.code = SUCCESS
                status.description = SUCCESS_DESCRIPTION
            status.req_id = req_id
            code, answered = status.code, head if not tail else None
            kept_response = Kept(type(head), head.SerializeToString() + tail)
        self.journal.record(method, kept, kept_response, code, grpc.StatusCode.OK, user_id, arrived, taken)
        return kept_response, answered

    def _answer(
        self, endpoint: Endpoint, fault: Outcome, route: Route | None, request: Any, metadata: Any
    ) -> tuple[Response, str | None]:
        """A call with a fault or without a route: the response, and the caller's user id (None when the
        metadata names nobody)."""
        if isinstance(fault, GrpcFault):
            raise GrpcAbort(fault.code, fault.details_for(endpoint.method))
        if isinstance(fault, StatusFault):
            error = ApiError(fault.code, fault.details_for(endpoint.method))
            return _failed(endpoint, error), self._user_named_by(metadata)
        if isinstance(fault, Delay):
            time.sleep(fault.seconds)
        if route is not None:
            return self._handle(endpoint, route, request, metadata)
        if endpoint.is_v2:
            details = f"fake_clarifai does not emulate {SERVICE_NAME}/{endpoint.method}"
        else:
            details = f"fake_clarifai does not know the method {_path(endpoint.method)}"
        raise GrpcAbort(grpc.StatusCode.UNIMPLEMENTED, details)

    def _handle(self, endpoint: Endpoint, route: Route, request: Message, metadata: Any) -> tuple[Response, str | None]:
        """Auth and the handler under the store lock; `ApiError` and handler bugs become the status."""
        caller: Caller | None = None
        try:
            with self.store.lock:
                caller = self.callers.caller(metadata)
                ctx = auth.enter(self.store, caller, route, request, route.name)
                if endpoint.checked:
                    check_request(request)
                response = route.handler(ctx, request)
        except ApiError as error:
            response = _failed(endpoint, error)
        except Exception as error:  # a handler bug: answer FAILURE, log it, keep serving
            log.exception("fake_clarifai handler for %s raised", route.name)
            details = f"internal error in fake_clarifai {route.name}: {type(error).__name__}: {error}"
            response = _failed(endpoint, ApiError(Code.FAILURE, details))
        return response, caller.user_id if caller is not None else None

    def _user_named_by(self, metadata: Any) -> str | None:
        try:
            with self.store.lock:
                return self.callers.caller(metadata).user_id
        except ApiError:
            return None


def _failed(endpoint: Endpoint, error: ApiError) -> Message:
    response = endpoint.response_type()  # type: ignore[misc]
    response.status.code = error.code
    response.status.description = error.description
    response.status.details = error.details
    return response


def _path(method: str) -> str:
    return method if "/" in method else f"{SERVICE_NAME}/{method}"


def handlers(servicer: FakeV2Servicer) -> tuple[grpc.GenericRpcHandler, ...]:
    """The gRPC handlers serving `servicer`: every V2 method, then UNIMPLEMENTED for any other method."""
    methods = {method.name: _method_handler(servicer, method) for method in SERVICE.methods}
    return grpc.method_handlers_generic_handler(SERVICE_NAME, methods), UnknownMethods(servicer)


def _method_handler(servicer: FakeV2Servicer, method: MethodDescriptor) -> grpc.RpcMethodHandler:
    """A V2 method's handler, bytes in and out. A request stream is not read (no such RPC is emulated);
    a server-streaming RPC answers its one response as a stream of one message."""
    if method.client_streaming:
        return grpc.stream_stream_rpc_method_handler(
            lambda requests, context: iter([servicer.serve(method.name, None, b"", context)])
        )
    request_type = message_factory.GetMessageClass(method.input_type)
    serve = partial(servicer.serve_endpoint, servicer.endpoint(method.name), request_type)
    if method.server_streaming:
        return grpc.unary_stream_rpc_method_handler(lambda request, context: iter([serve(request, context)]))
    return grpc.unary_unary_rpc_method_handler(serve)


class UnknownMethods(grpc.GenericRpcHandler):
    """Answers calls of methods V2 does not have with UNIMPLEMENTED, through the journal.

    Register it after the V2 service, so that it only sees what nothing else serves.
    """

    def __init__(self, servicer: FakeV2Servicer) -> None:
        self.servicer = servicer

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        path = handler_call_details.method.lstrip("/")
        service, _, name = path.rpartition("/")
        method = name if service == SERVICE_NAME else path
        return grpc.unary_unary_rpc_method_handler(partial(self.servicer.serve, method, None))
