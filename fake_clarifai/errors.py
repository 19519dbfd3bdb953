"""The one error type the fake raises, and the house descriptions of status codes."""

from __future__ import annotations

import re

from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2

Code = status_code_pb2.StatusCode
KNOWN_CODES = frozenset(Code.values())  # `Code.values()` builds a list of ~1000 on every call

DESCRIPTIONS: dict[int, str] = {
    Code.SUCCESS: "Ok",
    Code.FAILURE: "Failure",
    Code.CONN_KEY_INVALID: "Invalid API key or Invalid API key/application pair",
    Code.CONN_INVALID_REQUEST: "Invalid request",
    Code.CONN_DOES_NOT_EXIST: "Resource does not exist",
    Code.INPUT_INVALID_REQUEST: "Invalid input request",
    Code.CONCEPTS_INVALID_REQUEST: "Invalid request",
    Code.ANNOTATION_INVALID_ARGUMENT: "Invalid argument",
    Code.TASK_CONFLICT: "Task conflict",
    Code.TASK_NOT_IMPLEMENTED: "Not implemented",
    Code.TASK_MISSING: "Task not found",
    Code.TASK_PERMISSION_DENIED: "Permission denied",
}


ECHO_LIMIT = 200  # characters of a client's value echoed in `details`
DETAILS_LIMIT = 1_000  # characters of a whole `details`: what several echoed values fit in
_QUOTED = re.compile(rf"'([^']{{{ECHO_LIMIT + 1},}})'")  # a value echoed the house way: 'value'


def cap(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` as text for `details`, cut to `limit` characters and marked with "…" when longer."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def describe(code: int) -> str:
    """The description Clarifai pairs with `code` (a readable form of the enum name when unlisted)."""
    if code in DESCRIPTIONS:
        return DESCRIPTIONS[code]
    return Code.Name(code).replace("_", " ").capitalize() if code in KNOWN_CODES else "Unknown status"


def status_of(code: int, details: str = "") -> status_pb2.Status:
    """A stored record's status: `code` with its house description (and `details` when given)."""
    return status_pb2.Status(code=code, description=describe(code), details=details)


class ApiError(Exception):
    """An application error: answered as gRPC OK with a non-SUCCESS Clarifai status.

    `details` names the offending field and value; every quoted value in it is cut by `cap`, and the
    whole at `DETAILS_LIMIT`, so a client's megabyte id is never echoed back whole. `description`
    defaults to the code's house text.
    """

    def __init__(self, code: int, details: str, description: str | None = None) -> None:
        details = cap(_QUOTED.sub(lambda quoted: f"'{cap(quoted.group(1))}'", details), DETAILS_LIMIT)
        super().__init__(f"{Code.Name(code) if code in KNOWN_CODES else code}: {details}")
        self.code = code
        self.details = details
        self.description = description if description is not None else describe(code)


def not_found(kind: str, resource_id: str) -> ApiError:
    """`CONN_DOES_NOT_EXIST` naming the kind and id of what was looked up."""
    return ApiError(Code.CONN_DOES_NOT_EXIST, f"{kind} '{resource_id}' does not exist")


def invalid(details: str) -> ApiError:
    """`CONN_INVALID_REQUEST` with `details`."""
    return ApiError(Code.CONN_INVALID_REQUEST, details)
