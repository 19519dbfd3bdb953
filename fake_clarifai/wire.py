"""The wire: a `V2Servicer` whose every method goes through one wrapper.

The wrapper takes the call's injected fault (`fake_clarifai.faults`), authenticates (SPEC §2), resolves
the app, runs the handler under the store lock, maps `ApiError` to the response `status`, turns any other
exception into `FAILURE` (never gRPC UNKNOWN), stamps `req_id`, and records the call in the journal.
RPCs without a handler, and methods V2 does not have, answer gRPC UNIMPLEMENTED naming the method.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from clarifai_grpc.grpc.api import service_pb2, service_pb2_grpc
from google.protobuf import message_factory
from google.protobuf.message import Message

from fake_clarifai import auth
from fake_clarifai.context import Caller
from fake_clarifai.errors import ApiError, Code, describe
from fake_clarifai.faults import PROCEED, Delay, Faults, GrpcFault, Outcome, StatusFault
from fake_clarifai.ids import IdFactory
from fake_clarifai.journal import Call, Journal, Kept
from fake_clarifai.services import ROUTES, Route, load_all
from fake_clarifai.store import Store

log = logging.getLogger("fake_clarifai")

SERVICE = service_pb2.DESCRIPTOR.services_by_name["V2"]
SERVICE_NAME = SERVICE.full_name


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


class FakeV2Servicer(service_pb2_grpc.V2Servicer):
    """`clarifai.api.V2` served from a `Store`, with fault injection and a journal of calls.

    `req_ids` makes the responses' `req_id`s: a generator of its own, so that reads, retries and failed
    calls never shift the sequence of resource ids drawn from `store.ids`.
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
        load_all()

    def call(self, method: str, request: Message | None, metadata: Any) -> Message:
        """Run one call as the wire does (its fault, then auth and the handler) and journal it.

        `metadata` is the call's metadata pairs. Raises `GrpcAbort` when the call ends with a gRPC error.
        """
        arrived = self.store.clock.now()
        kept = Kept.of(request)
        fault = self.faults.take(method) if method in SERVICE.methods_by_name else PROCEED
        try:
            response, user_id = self._answer(method, request, metadata, fault)
        except GrpcAbort as abort:
            self._record(method, kept, None, abort.code, self._user_named_by(metadata), arrived, fault)
            raise
        self._record(method, kept, response, grpc.StatusCode.OK, user_id, arrived, fault)
        return response

    def _answer(self, method: str, request: Any, metadata: Any, fault: Outcome) -> tuple[Message, str | None]:
        """The response and the caller's user id (None when the metadata names nobody)."""
        if isinstance(fault, GrpcFault):
            raise GrpcAbort(fault.code, fault.details_for(method))
        if isinstance(fault, Delay):
            time.sleep(fault.seconds)
        if isinstance(fault, StatusFault):
            response = _failed(method, ApiError(fault.code, fault.details_for(method)))
            user_id = self._user_named_by(metadata)
        elif method in ROUTES:
            response, user_id = self._handle(ROUTES[method], request, metadata)
        elif method in SERVICE.methods_by_name:
            raise GrpcAbort(grpc.StatusCode.UNIMPLEMENTED, f"fake_clarifai does not emulate {SERVICE_NAME}/{method}")
        else:
            raise GrpcAbort(grpc.StatusCode.UNIMPLEMENTED, f"fake_clarifai does not know the method {_path(method)}")
        response.status.req_id = self.req_ids.new_id()
        return response, user_id

    def _handle(self, route: Route, request: Message, metadata: Any) -> tuple[Message, str | None]:
        """Auth and the handler under the store lock; `ApiError` and handler bugs become the status."""
        caller: Caller | None = None
        try:
            with self.store.lock:
                caller = auth.authenticate(self.store, metadata)
                ctx = auth.enter(self.store, caller, route, request, route.name)
                response = route.handler(ctx, request)
        except ApiError as error:
            response = _failed(route.name, error)
        except Exception as error:  # a handler bug: answer FAILURE, log it, keep serving
            log.exception("fake_clarifai handler for %s raised", route.name)
            details = f"internal error in fake_clarifai {route.name}: {type(error).__name__}: {error}"
            response = _failed(route.name, ApiError(Code.FAILURE, details))
        if not response.status.code:
            response.status.code = Code.SUCCESS
            response.status.description = describe(Code.SUCCESS)
        return response, caller.user_id if caller is not None else None

    def _record(
        self,
        method: str,
        request: Kept | None,
        response: Message | None,
        grpc_code: grpc.StatusCode,
        user_id: str | None,
        arrived: float,
        fault: Outcome,
    ) -> None:
        self.journal.record(
            Call(
                method=method,
                kept_request=request,
                kept_response=Kept.of(response),
                status_code=response.status.code if response is not None else None,
                grpc_code=grpc_code,
                user_id=user_id,
                time=arrived,
                fault=None if fault is PROCEED else fault,
            )
        )

    def _user_named_by(self, metadata: Any) -> str | None:
        try:
            with self.store.lock:
                return auth.authenticate(self.store, metadata).user_id
        except ApiError:
            return None


def _failed(method: str, error: ApiError) -> Message:
    response = response_class(method)()
    response.status.code = error.code
    response.status.description = error.description
    response.status.details = error.details
    return response


def _path(method: str) -> str:
    return method if "/" in method else f"{SERVICE_NAME}/{method}"


def _bound(method: str) -> Callable[..., Any]:
    descriptor = SERVICE.methods_by_name.get(method)
    streams = descriptor is not None and descriptor.server_streaming

    def handle(self: FakeV2Servicer, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            response = self.call(method, request, context.invocation_metadata())
        except GrpcAbort as abort:
            context.abort(abort.code, abort.details)
            raise  # context.abort always raises; this line only satisfies the type checker
        return iter([response]) if streams else response

    handle.__name__ = method
    return handle


class UnknownMethods(grpc.GenericRpcHandler):
    """Answers calls of methods V2 does not have with UNIMPLEMENTED, through the journal.

    Register it after the V2 service, so that it only sees what nothing else serves.
    """

    def __init__(self, servicer: FakeV2Servicer) -> None:
        self.servicer = servicer

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        path = handler_call_details.method.lstrip("/")
        service, _, name = path.rpartition("/")
        handle = _bound(name if service == SERVICE_NAME else path)
        return grpc.unary_unary_rpc_method_handler(lambda request, context: handle(self.servicer, None, context))


def bind_methods() -> None:
    """Give FakeV2Servicer one method per V2 RPC, each calling the wrapper (which answers UNIMPLEMENTED
    for the RPCs without a handler)."""
    for method in SERVICE.methods:
        setattr(FakeV2Servicer, method.name, _bound(method.name))


bind_methods()
