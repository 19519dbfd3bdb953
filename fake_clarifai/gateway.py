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
"""

from __future__ import annotations

import json
import logging
import re
import threading
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
from fake_clarifai.errors import Code
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


class BadRequest(Exception):
    """An HTTP request that cannot become a request message (answered as gRPC INVALID_ARGUMENT would be)."""


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
def decode_request(method: str, variables: Mapping[str, str], query: str, body: bytes) -> Message:
    """The request message of `method` from the path variables, the query string and the JSON body."""
    request = request_class(method)()
    document: dict[str, Any] = {}
    if body.strip():
        try:
            document = json.loads(body)
        except ValueError as error:
            raise BadRequest(f"the body is not JSON: {error}") from error
        if not isinstance(document, dict):
            raise BadRequest(f"the body must be a JSON object, got {type(document).__name__}")
    pairs = [*parse_qsl(query, keep_blank_values=True), *variables.items()]
    _merge(document, _fields_document(request.DESCRIPTOR, pairs))
    try:
        json_format.ParseDict(document, request)
    except json_format.ParseError as error:
        raise BadRequest(str(error)) from error
    return request


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

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
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

    def _answer(self, url: SplitResult, body: bytes) -> tuple[int, dict[str, Any]]:
        found = self.server.router.route(self.command, url.path)
        if found is None:
            return _grpc_error(grpc.StatusCode.NOT_FOUND, f"no {SERVICE.full_name} route for {self.command} {url.path}")
        binding, variables = found
        try:
            request = decode_request(binding.method, variables, url.query, body)
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
        payload = json.dumps(document).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

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


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], servicer: FakeV2Servicer, router: Router) -> None:
        self.servicer = servicer
        self.router = router
        super().__init__(address, _Handler)


class Gateway:
    """The JSON/HTTP gateway on its own port, serving `servicer` (a background thread)."""

    def __init__(self, servicer: FakeV2Servicer, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _GatewayServer((host, port), servicer, Router(http_bindings()))
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
