"""The one error type the fake raises, and the house descriptions of status codes."""

from __future__ import annotations

from clarifai_grpc.grpc.api.status import status_code_pb2

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


def describe(code: int) -> str:
    """The description Clarifai pairs with `code` (a readable form of the enum name when unlisted)."""
    if code in DESCRIPTIONS:
        return DESCRIPTIONS[code]
    return Code.Name(code).replace("_", " ").capitalize() if code in KNOWN_CODES else "Unknown status"


class ApiError(Exception):
    """An application error: answered as gRPC OK with a non-SUCCESS Clarifai status.

    `details` names the offending field and value; `description` defaults to the code's house text.
    """

    def __init__(self, code: int, details: str, description: str | None = None) -> None:
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
