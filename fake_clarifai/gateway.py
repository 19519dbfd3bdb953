"""The JSON/HTTP gateway: what `ClarifaiChannel.get_json_channel(base_url=...)` talks to.

Routes are derived at start-up from the `google.api.http` bindings in the V2 descriptors (every unary
RPC, with its additional bindings). A request becomes the RPC's request message the way
`GRPCJSONChannel` encodes one: path variables (`{user_app_id.app_id}`), then either the JSON body (the
client leaves `user_app_id` in it) or the query string (dotted keys for nested fields, a repeated key per
list item, enums by name, booleans as `True`/`False`). It then goes through the same wrapper as gRPC
(`FakeV2Servicer.call`) with the HTTP `Authorization` header as the call's metadata, so auth, injected
faults and the journal behave exactly as over gRPC.

Answers:
- a Clarifai status: the response message as JSON with proto field names and enums as numbers
  (`status.code` a number, as the real API sends it), HTTP code from `http_status`. Fields without
  presence are printed even when empty: the client's parser fills an absent `cl_default_float` field
  (`Concept.value`) with its default (1.0), so a 0 must be sent;
- what gRPC reports as a gRPC status (a route that matches nothing, a request that does not parse, an
  RPC the fake does not emulate, an injected transport fault): grpc-gateway's error body
  `{"code": <grpc code>, "message": ..., "details": []}` with grpc-gateway's HTTP code for it.

Limits (`GatewayLimits`, the fake's policy): a body larger than the gRPC receive limit answers 413
(RESOURCE_EXHAUSTED, as gRPC refuses it); a Content-Length that is not a decimal number answers 400; a
chunked body answers 411 (send Content-Length) and any other transfer coding 501, the connection closed
unread; JSON nested deeper than `max_json_depth` answers 400. A connection idle for `idle_timeout`
seconds (waiting for a request, or for the rest of one: a request must arrive whole within it) is
closed; at most `max_connections` are served at once, one
thread each, and the next is answered 503 and closed. Every other HTTP method, and every request the
standard library's parser refuses, is answered in the same JSON error body; nothing is printed.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

import grpc
from clarifai_grpc.channel import clarifai_channel
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_pb2
from google.api import annotations_pb2
from google.protobuf import descriptor, json_format
from google.protobuf.message import Message

from fake_clarifai.auth import MALFORMED_HEADER
from fake_clarifai.errors import Code, cap
from fake_clarifai.services.inputs import HOSTED_PREFIX, hosted_bytes
from fake_clarifai.wire import SERVICE, FakeV2Servicer, GrpcAbort, request_class

log = logging.getLogger("fake_clarifai.gateway")

VERBS = ("get", "post", "patch", "put", "delete")
_VARIABLE = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_.]*)\}$")

# grpc-gateway's mapping of gRPC codes to HTTP (runtime.HTTPStatusFromCode).
GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


# grpc-gateway's code for the HTTP errors the gateway answers itself (before any route is looked at).
HTTP_TO_GRPC: dict[int, grpc.StatusCode] = {
    HTTPStatus.BAD_REQUEST: grpc.StatusCode.INVALID_ARGUMENT,
    HTTPStatus.REQUEST_TIMEOUT: grpc.StatusCode.DEADLINE_EXCEEDED,
    HTTPStatus.LENGTH_REQUIRED: grpc.StatusCode.INVALID_ARGUMENT,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    HTTPStatus.REQUEST_URI_TOO_LONG: grpc.StatusCode.RESOURCE_EXHAUSTED,
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    HTTPStatus.NOT_IMPLEMENTED: grpc.StatusCode.UNIMPLEMENTED,
    HTTPStatus.SERVICE_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: grpc.StatusCode.UNIMPLEMENTED,
}

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # gRPC's default receive limit
DISCARD_FACTOR = 16  # a refused body up to 16x the limit is read and dropped so the client sees the 413


@dataclass(frozen=True)
class GatewayLimits:
    """What one client may take of the gateway (see the module docstring)."""

    max_body_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_connections: int = 256
    idle_timeout: float = 30.0
    max_json_depth: int = 100  # json_format's own limit for nested messages

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0 or self.max_connections < 1 or self.idle_timeout <= 0 or self.max_json_depth < 1:
            raise ValueError(f"invalid gateway limits: {self}")


class BadRequest(Exception):
    """An HTTP request that cannot become a request message (answered as gRPC INVALID_ARGUMENT would be)."""


class Refused(Exception):
    """A request answered with an HTTP error before it is read as a call; the connection is closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- routes ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Binding:
    """One `google.api.http` binding of a V2 method.

    `segments` are the path template's segments; `fields[i]` is the field path when segment i is a
    variable (`{user_app_id.app_id}`), else None.
    """

    method: str
    verb: str
    template: str
    segments: tuple[str, ...]
    fields: tuple[str | None, ...]

    @classmethod
    def parse(cls, method: str, verb: str, template: str) -> Binding:
        segments = tuple(template.strip("/").split("/"))
        fields = []
        for segment in segments:
            variable = _VARIABLE.match(segment)
            if variable is None and "{" in segment:
                raise ValueError(f"{method}: unsupported path segment {segment!r} in {template}")
            fields.append(variable.group(1) if variable else None)
        return cls(method=method, verb=verb, template=template, segments=segments, fields=tuple(fields))

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Sorts bindings so that, segment by segment from the left, a literal beats a variable."""
        return tuple(field is not None for field in self.fields)

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        """The template's variables (field path -> value) if `segments` fit it, else None."""
        if len(segments) != len(self.segments):
            return None
        variables: dict[str, str] = {}
        for literal, field, segment in zip(self.segments, self.fields, segments, strict=True):
            if field is None:
                if literal != segment:
                    return None
            elif not segment:
                return None
            else:
                variables[field] = unquote(segment)
        return variables


def http_bindings(service: descriptor.ServiceDescriptor = SERVICE) -> list[Binding]:
    """Every binding of every unary method of `service`, in descriptor order."""
    bindings = []
    for method in service.methods:
        if method.client_streaming or method.server_streaming:
            continue
        rule = method.GetOptions().Extensions[annotations_pb2.http]
        for http_rule in (rule, *rule.additional_bindings):
            verb = http_rule.WhichOneof("pattern")
            if verb not in VERBS:
                raise ValueError(f"{method.name}: unsupported google.api.http pattern {verb!r}")
            bindings.append(Binding.parse(method.name, verb.upper(), getattr(http_rule, verb)))
    return bindings


class Router:
    """Finds the binding for a verb and path: the most specific template that fits."""

    def __init__(self, bindings: Iterable[Binding]) -> None:
        self._table: dict[tuple[str, int], list[Binding]] = {}
        for binding in bindings:
            self._table.setdefault((binding.verb, len(binding.segments)), []).append(binding)
        for candidates in self._table.values():
            candidates.sort(key=lambda b: b.specificity)

    def route(self, verb: str, path: str) -> tuple[Binding, dict[str, str]] | None:
        segments = tuple(path.strip("/").split("/"))
        for binding in self._table.get((verb, len(segments)), ()):
            variables = binding.match(segments)
            if variables is not None:
                return binding, variables
        return None


# -- requests ----------------------------------------------------------------------------------------
def decode_request(
    method: str, variables: Mapping[str, str], query: str, body: bytes, max_depth: int = GatewayLimits.max_json_depth
) -> Message:
    """The request message of `method` from the path variables, the query string and the JSON body."""
    request = request_class(method)()
    document: dict[str, Any] = {}
    if body.strip():
        too_deep = BadRequest(f"the body nests arrays and objects more than {max_depth} levels deep")
        try:
            document = json.loads(body, parse_constant=_refuse_constant)
        except RecursionError:
            raise too_deep from None
        except ValueError as error:
            raise BadRequest(f"the body is not JSON: {error}") from error
        if json_depth(document) > max_depth:
            raise too_deep
        if not isinstance(document, dict):
            raise BadRequest(f"the body must be a JSON object, got {type(document).__name__}")
    pairs = [*parse_qsl(query, keep_blank_values=True), *variables.items()]
    _merge(document, _fields_document(request.DESCRIPTOR, pairs))
    try:
        json_format.ParseDict(document, request)
    except json_format.ParseError as error:
        raise BadRequest(str(error)) from error
    return request


def json_depth(document: Any) -> int:
    """How deep the arrays and objects of a parsed JSON document nest (walked without recursion)."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _refuse_constant(name: str) -> float:
    """JSON has no NaN or Infinity: Python's parser accepts them, the gateway does not."""
    raise ValueError(f"{name} is not a JSON number")


def _fields_document(message: descriptor.Descriptor, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A JSON document from `(dotted.field.path, text)` pairs; a repeated field collects every value."""
    document: dict[str, Any] = {}
    for key, text in pairs:
        fields = _field_path(message, key)
        node = document
        for field in fields[:-1]:
            node = node.setdefault(field.name, {})
        leaf = fields[-1]
        value = _json_value(leaf, text, key)
        if leaf.is_repeated:
            node.setdefault(leaf.name, []).append(value)
        else:
            node[leaf.name] = value
    return document


def _field_path(message: descriptor.Descriptor, key: str) -> list[descriptor.FieldDescriptor]:
    fields = []
    current: descriptor.Descriptor | None = message
    for name in key.split("."):
        field = None
        if current is not None:
            field = current.fields_by_name.get(name) or current.fields_by_camelcase_name.get(name)
        if field is None:
            raise BadRequest(f"{message.name} has no field {key!r}")
        fields.append(field)
        nested = field.message_type is not None and not field.is_repeated
        current = field.message_type if nested else None
    return fields


def _json_value(field: descriptor.FieldDescriptor, text: str, key: str) -> Any:
    """`text` as the JSON value `json_format` expects for `field` (only booleans need converting)."""
    if field.message_type is not None and field.message_type.full_name.startswith("google.protobuf."):
        wrapped = field.message_type.fields_by_name.get("value")
        if field.message_type.full_name.endswith("Value") and wrapped is not None:
            return _json_value(wrapped, text, key)
        return text
    if field.type == descriptor.FieldDescriptor.TYPE_BOOL:
        if text.lower() not in ("true", "false"):
            raise BadRequest(f"{key}={text!r} is not a boolean")
        return text.lower() == "true"
    return text


def _merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# -- responses ---------------------------------------------------------------------------------------
def http_status(status: status_pb2.Status) -> int:
    """The HTTP code for a Clarifai status (the body is the Clarifai response either way)."""
    code = status.code
    if code == Code.SUCCESS:
        return HTTPStatus.OK
    name = Code.Name(code) if code in Code.values() else ""
    if code in (Code.CONN_KEY_INVALID, Code.CONN_KEY_NOT_FOUND) or (
        code == Code.CONN_INVALID_REQUEST and status.details == MALFORMED_HEADER
    ):
        return HTTPStatus.UNAUTHORIZED
    if name.endswith("_DOES_NOT_EXIST") or code == Code.TASK_MISSING:
        return HTTPStatus.NOT_FOUND
    if name.endswith("_PERMISSION_DENIED"):
        return HTTPStatus.FORBIDDEN
    if name.endswith("_CONFLICT"):
        return HTTPStatus.CONFLICT
    if code == Code.FAILURE:
        return HTTPStatus.INTERNAL_SERVER_ERROR
    return HTTPStatus.BAD_REQUEST


def response_document(response: Message) -> dict[str, Any]:
    """The JSON document of a response, as `GRPCJSONChannel` parses it back into the same message."""
    return json_format.MessageToDict(
        response,
        preserving_proto_field_name=True,
        use_integers_for_enums=True,
        always_print_fields_with_no_presence=True,
    )


def _grpc_error(code: grpc.StatusCode, message: str) -> tuple[int, dict[str, Any]]:
    return GRPC_TO_HTTP[code], {"code": code.value[0], "message": message, "details": []}


# -- the server --------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: don't wait for the client's ACK
    server: _GatewayServer

    def setup(self) -> None:
        super().setup()
        self._deadline = 0.0
        self.rfile.close()  # the standard reader, replaced by one that keeps the request deadline
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self))

    def handle_one_request(self) -> None:
        """One request, which must arrive whole within the idle timeout (a client dribbling a byte at a
        time is cut off like a silent one); the standard library answers the timeout by closing."""
        self._deadline = time.monotonic() + self.server.limits.idle_timeout
        super().handle_one_request()

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except Refused as refused:
            self.close_connection = True
            self.send_error(refused.status, refused.message)
            self._discard_body()
            return
        except TimeoutError:
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_TIMEOUT, f"no body byte for {self.server.limits.idle_timeout} s")
            return
        if self.command == "GET" and self.path.startswith(HOSTED_PREFIX):
            self._send_hosted(self.path[len(HOSTED_PREFIX) :])
            return
        try:
            answer = self._answer(urlsplit(self.path), body)
        except Exception as error:  # a gateway bug: answer INTERNAL, log it, keep serving
            log.exception("fake_clarifai gateway failed on %s %s", self.command, self.path)
            details = f"internal error in the fake_clarifai gateway: {type(error).__name__}: {error}"
            answer = _grpc_error(grpc.StatusCode.INTERNAL, details)
        self._send(*answer)

    def _read_body(self) -> bytes:
        """The body, read only when its length is announced exactly and within the limit."""
        coding = self.headers.get("Transfer-Encoding")
        if coding is not None:
            if coding.strip().lower() == "chunked":
                raise Refused(HTTPStatus.LENGTH_REQUIRED, "chunked bodies are not accepted: send Content-Length")
            raise Refused(HTTPStatus.NOT_IMPLEMENTED, f"unsupported Transfer-Encoding {cap(coding)}")
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(lengths)) > 1 or not lengths[0].strip().isdigit() or not lengths[0].strip().isascii():
            raise Refused(HTTPStatus.BAD_REQUEST, f"invalid Content-Length {cap(', '.join(lengths))}")
        length, limit = int(lengths[0]), self.server.limits.max_body_bytes
        if length > limit:
            raise Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body of {length} bytes is larger than the limit of {limit} bytes",
            )
        body = self.rfile.read(length)
        if len(body) < length:
            raise Refused(HTTPStatus.BAD_REQUEST, f"the body ended after {len(body)} of {length} bytes")
        return body

    def _discard_body(self) -> None:
        """Read and drop a refused body still arriving (up to `DISCARD_FACTOR` times the size limit), so
        the client reads the answer instead of a connection reset while it is still sending."""
        length = self.headers.get("Content-Length", "").strip()
        budget = self.server.limits.max_body_bytes * DISCARD_FACTOR
        if not length.isdigit() or int(length) > budget:
            return
        remaining = int(length)
        try:
            while remaining > 0:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    return
                remaining -= len(chunk)
        except OSError:  # the idle timeout, or the client gave up
            return

    def _answer(self, url: SplitResult, body: bytes) -> tuple[int, dict[str, Any]]:
        found = self.server.router.route(self.command, url.path)
        if found is None:
            return _grpc_error(
                grpc.StatusCode.NOT_FOUND, f"no {SERVICE.full_name} route for {self.command} {cap(url.path)}"
            )
        binding, variables = found
        try:
            request = decode_request(binding.method, variables, url.query, body, self.server.limits.max_json_depth)
        except BadRequest as error:
            return _grpc_error(grpc.StatusCode.INVALID_ARGUMENT, f"{binding.method}: {error}")
        authorization = self.headers.get("Authorization")
        metadata = (("authorization", authorization),) if authorization is not None else ()
        try:
            response = self.server.servicer.call(binding.method, request, metadata)
        except GrpcAbort as abort:
            return _grpc_error(abort.code, abort.details)
        return http_status(response.status), response_document(response)

    def _send(self, code: int, document: Mapping[str, Any]) -> None:
        payload = json.dumps(document, allow_nan=False).encode("utf-8")
        self.connection.settimeout(self.server.limits.idle_timeout)  # writing has the whole timeout
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every HTTP error the gateway or the standard library's parser answers, as grpc-gateway's JSON."""
        grpc_code = HTTP_TO_GRPC.get(code, grpc.StatusCode.INVALID_ARGUMENT)
        text = message or HTTPStatus(code).phrase
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command and not hasattr(self, f"do_{self.command}"):
            text = f"the gateway serves {', '.join(v.upper() for v in VERBS)}, not {cap(self.command)}"
        self.close_connection = True
        self.request_version = self.protocol_version  # an unparsed request line leaves HTTP/0.9: no headers
        self._send(code, {"code": grpc_code.value[0], "message": text, "details": []})

    def _send_hosted(self, rest: str) -> None:
        """GET of an input's hosted URL (`services.inputs.hosted_url`): the bytes it was posted with, no auth."""
        parts = [unquote(part) for part in rest.split("/")]
        found = hosted_bytes(self.server.servicer.store, *parts) if len(parts) == 3 else None
        if found is None:
            self._send(*_grpc_error(grpc.StatusCode.NOT_FOUND, f"no hosted input at {self.path}"))
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(found)))
        self.end_headers()
        self.wfile.write(found)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _DeadlineReader(socket.SocketIO):
    """A socket's reading side whose every read waits only until the handler's request deadline."""

    def __init__(self, connection: socket.socket, handler: _Handler) -> None:
        super().__init__(connection, "rb")  # (no extra reference: makefile() would count one)
        self._connection = connection
        self._handler = handler

    def readinto(self, buffer: Any) -> int | None:
        remaining = self._handler._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive within the idle timeout")
        self._connection.settimeout(remaining)
        return super().readinto(buffer)


class _GatewayServer(ThreadingHTTPServer):
    """One thread per connection, at most `limits.max_connections` of them; the next is answered 503."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], servicer: FakeV2Servicer, router: Router, limits: GatewayLimits):
        self.servicer = servicer
        self.router = router
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request, self.limits.max_connections)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a request (reset, broken pipe): logged at debug, not printed."""
        log.debug("fake_clarifai gateway connection from %s failed", client_address, exc_info=True)


def _refuse_busy(connection: socket.socket, limit: int) -> None:
    """503 in grpc-gateway's JSON, written by the accepting thread without waiting on the client."""
    message = f"the gateway already serves {limit} connections (GatewayLimits.max_connections)"
    payload = json.dumps({"code": grpc.StatusCode.UNAVAILABLE.value[0], "message": message, "details": []}).encode()
    head = (
        f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        connection.setblocking(False)
        connection.send(head + payload)
    except OSError:
        pass


class Gateway:
    """The JSON/HTTP gateway on its own port, serving `servicer` (a background thread)."""

    def __init__(
        self, servicer: FakeV2Servicer, host: str = "127.0.0.1", port: int = 0, limits: GatewayLimits | None = None
    ) -> None:
        self._server = _GatewayServer((host, port), servicer, Router(http_bindings()), limits or GatewayLimits())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-clarifai-http", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def json_stub(base_url: str) -> service_pb2_grpc.V2Stub:
    """A `V2Stub` over `ClarifaiChannel.get_json_channel(base_url=...)`.

    `get_json_channel` sets a process-wide global that every `V2Stub` built afterwards reads (a client
    quirk): this puts the previous value back, so gRPC stubs built later in the process still work.
    """
    previous = clarifai_channel.wrap_response_deserializer
    try:
        return service_pb2_grpc.V2Stub(ClarifaiChannel.get_json_channel(base_url=base_url))
    finally:
        clarifai_channel.wrap_response_deserializer = previous
