"""An in-process `grpc.Channel`: calls go straight to the fake's wire, with no socket and no HTTP/2.

`InProcessChannel(servicer)` (made by `FakeClarifai.inprocess_channel()`) serializes each request with
the stub's serializer, hands the bytes to `FakeV2Servicer.serve` — the very wrapper a loopback call
reaches, so auth, injected faults, the journal and the error mapping are the same — and parses the
answer with the stub's deserializer. A call that ends with a gRPC status raises a `grpc.RpcError` that is
also a `grpc.Call` (`code()`, `details()`), as grpc's own channel does. Supported: `__call__`,
`with_call` and `future` of unary calls (`timeout`, `metadata`; other keywords such as `credentials`,
`wait_for_ready` and `compression` are accepted and have nothing to do in-process), server-streaming
calls (the fake answers one message), and client-streaming calls (their requests are not read, as on the
loopback server).

Like the channels `ClarifaiChannel` makes, it follows the retry policy of `clarifai_channel.grpc_json_config`
(up to `maxAttempts` attempts while the status is retryable, e.g. UNAVAILABLE), without the backoff waits.
A call with a `timeout` runs on the channel's thread pool and raises DEADLINE_EXCEEDED when it has not
finished in time; the handler still runs to its end, as a server's handler does after the client gave up.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from functools import partial
from typing import Any, NoReturn

import grpc
from clarifai_grpc.channel import clarifai_channel
from google.protobuf import message_factory
from google.protobuf.message import Message

from fake_clarifai.wire import SERVICE, SERVICE_NAME, FakeV2Servicer, GrpcAbort

Serializer = Callable[[Any], bytes] | None
Deserializer = Callable[[bytes], Any] | None
MetadataPairs = Sequence[tuple[str, str | bytes]]
DEADLINE_DETAILS = "Deadline Exceeded"


def _retry_policy() -> tuple[int, frozenset[grpc.StatusCode]]:
    """The attempts and retryable codes of the service config Clarifai's channels are made with."""
    (config,) = json.loads(clarifai_channel.grpc_json_config)["methodConfig"]
    policy = config["retryPolicy"]
    return int(policy["maxAttempts"]), frozenset(grpc.StatusCode[name] for name in policy["retryableStatusCodes"])


MAX_ATTEMPTS, RETRYABLE = _retry_policy()


class _Context:
    """The part of `grpc.ServicerContext` the wire uses: the call's metadata, and `abort`."""

    def __init__(self, metadata: MetadataPairs | None) -> None:
        self._metadata = tuple(metadata or ())

    def invocation_metadata(self) -> MetadataPairs:
        return self._metadata

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise GrpcAbort(code, details)


class _Finished:
    """What a call made in-process never has: metadata sent back, callbacks, cancellation, a traceback."""

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def time_remaining(self) -> None:
        return None

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def traceback(self, timeout: float | None = None) -> None:
        return None


class _Outcome(_Finished, grpc.RpcError, grpc.Call, grpc.Future):
    """A finished call: its response or its gRPC error. Raised as the `grpc.RpcError` of a failed call;
    returned as the `grpc.Call` of `with_call` and the `grpc.Future` of `future`."""

    def __init__(self, response: Any = None, code: grpc.StatusCode = grpc.StatusCode.OK, details: str = "") -> None:
        super().__init__()
        self._response, self._code, self._details = response, code, details

    # grpc.Call
    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def is_active(self) -> bool:
        return False

    # grpc.Future
    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def result(self, timeout: float | None = None) -> Any:
        if self._code is not grpc.StatusCode.OK:
            raise self
        return self._response

    def exception(self, timeout: float | None = None) -> grpc.RpcError | None:
        return None if self._code is grpc.StatusCode.OK else self

    def add_done_callback(self, fn: Callable[[grpc.Future], None]) -> None:
        fn(self)

    def __str__(self) -> str:
        return f"<in-process RPC that terminated with: status = {self._code}, details = {self._details!r}>"


class _Pending(_Finished, grpc.Future, grpc.Call):
    """A call running on the channel's pool (`future()`): delegates to its `_Outcome` once done."""

    def __init__(self, running: futures.Future[_Outcome]) -> None:
        self._running = running

    def _outcome(self, timeout: float | None = None) -> _Outcome:
        try:
            return self._running.result(timeout)
        except futures.TimeoutError:
            raise grpc.FutureTimeoutError() from None

    def running(self) -> bool:
        return not self._running.done()

    def done(self) -> bool:
        return self._running.done()

    def result(self, timeout: float | None = None) -> Any:
        return self._outcome(timeout).result()

    def exception(self, timeout: float | None = None) -> grpc.RpcError | None:
        return self._outcome(timeout).exception()

    def add_done_callback(self, fn: Callable[[grpc.Future], None]) -> None:
        self._running.add_done_callback(lambda _: fn(self))

    def code(self) -> grpc.StatusCode:
        return self._outcome().code()

    def details(self) -> str:
        return self._outcome().details()

    def is_active(self) -> bool:
        return not self._running.done()


class _Method:
    """One method of the channel: the wire's name for it, its request type, and the stub's (de)serializers."""

    def __init__(self, channel: InProcessChannel, path: str, serialize: Serializer, deserialize: Deserializer) -> None:
        service, _, name = path.lstrip("/").rpartition("/")
        descriptor = SERVICE.methods_by_name.get(name) if service == SERVICE_NAME else None
        self._channel = channel
        self._method = name if descriptor is not None else path.lstrip("/")
        self._request_type: type[Message] | None = (
            message_factory.GetMessageClass(descriptor.input_type)
            if descriptor is not None and not descriptor.client_streaming
            else None
        )
        self._serialize = serialize or (lambda request: request)
        self._deserialize = deserialize or (lambda data: data)

    def _run(self, request: Any, metadata: MetadataPairs | None) -> _Outcome:
        data = self._serialize(request) if self._request_type is not None else b""
        serve = partial(self._channel.servicer.serve, self._method, self._request_type, data, _Context(metadata))
        attempts = 1
        while True:
            try:
                return _Outcome(self._deserialize(serve()))
            except GrpcAbort as abort:
                if abort.code not in RETRYABLE or attempts == MAX_ATTEMPTS:
                    return _Outcome(code=abort.code, details=abort.details)
            attempts += 1

    def _finish(self, request: Any, timeout: float | None, metadata: MetadataPairs | None) -> _Outcome:
        if timeout is None:
            return self._run(request, metadata)
        if timeout <= 0:
            return _Outcome(code=grpc.StatusCode.DEADLINE_EXCEEDED, details=DEADLINE_DETAILS)
        running = self._channel.pool().submit(self._run, request, metadata)
        try:
            return running.result(timeout)
        except futures.TimeoutError:
            return _Outcome(code=grpc.StatusCode.DEADLINE_EXCEEDED, details=DEADLINE_DETAILS)

    def _call(self, request: Any, timeout: float | None, metadata: MetadataPairs | None) -> _Outcome:
        self._channel.check_open()
        outcome = self._finish(request, timeout, metadata)
        if outcome.code() is not grpc.StatusCode.OK:
            raise outcome
        return outcome


class _UnaryUnary(_Method, grpc.UnaryUnaryMultiCallable):
    def __call__(
        self, request: Any, timeout: float | None = None, metadata: MetadataPairs | None = None, **_: Any
    ) -> Any:
        return self._call(request, timeout, metadata).result()

    def with_call(
        self, request: Any, timeout: float | None = None, metadata: MetadataPairs | None = None, **_: Any
    ) -> tuple[Any, grpc.Call]:
        outcome = self._call(request, timeout, metadata)
        return outcome.result(), outcome

    def future(
        self, request: Any, timeout: float | None = None, metadata: MetadataPairs | None = None, **_: Any
    ) -> grpc.Future:
        self._channel.check_open()
        return _Pending(self._channel.pool().submit(self._finish, request, timeout, metadata))


class _UnaryStream(_Method, grpc.UnaryStreamMultiCallable):
    def __call__(
        self, request: Any, timeout: float | None = None, metadata: MetadataPairs | None = None, **_: Any
    ) -> Iterator[Any]:
        return iter([self._call(request, timeout, metadata).result()])


class _StreamUnary(_UnaryUnary, grpc.StreamUnaryMultiCallable):
    """A client-streaming call: its requests are not read (no such RPC is emulated), as on the server."""


class _StreamStream(_UnaryStream, grpc.StreamStreamMultiCallable):
    """A bidirectional call: its requests are not read; the one answer comes as a stream."""


def _factory(kind: type[_Method]) -> Callable[..., Any]:
    """A `grpc.Channel` method making `kind` for a path (the `_registered_method` flag has no use here)."""

    def make(
        self: InProcessChannel,
        method: str,
        request_serializer: Serializer = None,
        response_deserializer: Deserializer = None,
        _registered_method: bool | None = False,
    ) -> _Method:
        return kind(self, method, request_serializer, response_deserializer)

    return make


class InProcessChannel(grpc.Channel):
    """A `grpc.Channel` answering every call from `servicer` in this process (see the module docstring)."""

    def __init__(self, servicer: FakeV2Servicer) -> None:
        self.servicer = servicer
        self._pool: futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        # What ClarifaiChannel.get_*grpc_channel does, so that V2Stub(channel) can be built on this one.
        clarifai_channel.wrap_response_deserializer = clarifai_channel._response_deserializer_for_grpc

    def pool(self) -> futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="fake-clarifai-inprocess")
            return self._pool

    def check_open(self) -> None:
        if self._closed:
            raise ValueError("Cannot invoke RPC: Channel closed!")

    unary_unary = _factory(_UnaryUnary)
    unary_stream = _factory(_UnaryStream)
    stream_unary = _factory(_StreamUnary)
    stream_stream = _factory(_StreamStream)

    def subscribe(self, callback: Callable[[grpc.ChannelConnectivity], None], try_to_connect: bool = False) -> None:
        callback(grpc.ChannelConnectivity.READY)

    def unsubscribe(self, callback: Callable[[grpc.ChannelConnectivity], None]) -> None:
        pass

    def close(self) -> None:
        self._closed = True
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None

    def __enter__(self) -> InProcessChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
