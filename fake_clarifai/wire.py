"""The wire: a `V2Servicer` whose every method goes through one wrapper.

The wrapper authenticates (SPEC §2), resolves the app, runs the handler under the store lock, maps
`ApiError` to the response `status`, turns any other exception into `FAILURE` (never gRPC UNKNOWN), and
stamps `req_id`. RPCs without a handler answer gRPC UNIMPLEMENTED naming the method.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc
from clarifai_grpc.grpc.api import service_pb2, service_pb2_grpc
from google.protobuf import message_factory
from google.protobuf.message import Message

from fake_clarifai import auth
from fake_clarifai.errors import ApiError, Code, describe
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


class FakeV2Servicer(service_pb2_grpc.V2Servicer):
    """`clarifai.api.V2` served from a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        load_all()

    def call(self, method: str, request: Message, metadata: Any) -> Message:
        """Run one emulated RPC as the wire would, given the call's metadata pairs."""
        route = ROUTES[method]
        try:
            with self.store.lock:
                response = self._run(route, request, metadata)
        except ApiError as error:
            response = response_class(method)()
            response.status.code = error.code
            response.status.description = error.description
            response.status.details = error.details
        except Exception as error:  # a handler bug: answer FAILURE, log it, keep serving
            log.exception("fake_clarifai handler for %s raised", method)
            response = response_class(method)()
            response.status.code = Code.FAILURE
            response.status.description = describe(Code.FAILURE)
            response.status.details = f"internal error in fake_clarifai {method}: {type(error).__name__}: {error}"
        if not response.status.code:
            response.status.code = Code.SUCCESS
            response.status.description = describe(Code.SUCCESS)
        response.status.req_id = self.store.ids.new_id()
        return response

    def _run(self, route: Route, request: Message, metadata: Any) -> Message:
        caller = auth.authenticate(self.store, metadata)
        ctx = auth.enter(self.store, caller, route, request, route.name)
        return route.handler(ctx, request)


def _emulated(method: str) -> Callable[..., Message]:
    def handle(self: FakeV2Servicer, request: Message, context: grpc.ServicerContext) -> Message:
        return self.call(method, request, context.invocation_metadata())

    handle.__name__ = method
    return handle


def _unimplemented(method: str) -> Callable[..., Any]:
    def handle(self: FakeV2Servicer, request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            f"fake_clarifai does not emulate {SERVICE_NAME}/{method}",
        )

    handle.__name__ = method
    return handle


def bind_methods() -> None:
    """Give FakeV2Servicer one method per V2 RPC: emulated ones call the wrapper, others abort."""
    routes = load_all()
    for method in SERVICE.methods:
        factory = _emulated if method.name in routes else _unimplemented
        setattr(FakeV2Servicer, method.name, factory(method.name))


bind_methods()
