"""The one place where errors become HTTP responses with the contract's `Error` body.

Domain errors (`groupkit.errors`), connexion's own problems (validation 400, auth 401, 415) and
starlette's routing errors (404, 405) all pass through here, so the wire never shows a body the contract
does not document (connexion's default is `application/problem+json`). For 405 the `Allow` header lists
every method the contract documents for the path (connexion lists only one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from .errors import GroupkitError

logger = logging.getLogger("groupkit")

MEDIA_TYPE = "application/json"

STATUS_OF_CODE = {
    "BAD_REQUEST": 400,
    "INVALID_NEXT_TOKEN": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTERNAL_ERROR": 500,
}
# Status -> its general code (400 -> BAD_REQUEST, not INVALID_NEXT_TOKEN: the first code listed per status wins).
CODE_OF_STATUS = {status: code for code, status in reversed(STATUS_OF_CODE.items())}

MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    500: "Internal server error",
}


def error_body(code: str, message: str, details: list[str] | None = None) -> bytes:
    body: dict[str, Any] = {"message": message, "code": code}
    if details:
        body["details"] = details
    return json.dumps(body).encode()


def error_response(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=status,
        mimetype=MEDIA_TYPE,
        content_type=MEDIA_TYPE,
        body=error_body(code or CODE_OF_STATUS.get(status, "BAD_REQUEST"), message),
        headers=dict(headers or {}),
    )


def domain_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    assert isinstance(error, GroupkitError)
    return error_response(STATUS_OF_CODE[error.code], error.message, error.code)


class HttpErrors:
    """Renders connexion's problems and starlette's HTTP errors; knows each path's methods for 405."""

    def __init__(self, path_methods: Mapping[str, tuple[str, ...]]) -> None:
        self.path_methods = path_methods

    def __call__(self, request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        assert isinstance(error, HTTPException)
        status = error.status_code
        if status not in MESSAGES:
            logger.warning("unexpected HTTP error %s mapped to 400: %r", status, error)
            status = 400
        if status == 401:
            # One answer for a missing, malformed or unknown token, like the AWS gateway in front of the API.
            return error_response(401, "Unauthorized")
        headers: dict[str, str] = {}
        message = _detail(error) or MESSAGES[status]
        if status == 405:
            allowed = self.path_methods.get(request.url.path, ())
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed on {request.url.path}; use {headers['Allow']}"
        elif status == 404 and not _detail(error):
            message = f"No operation at {request.url.path}"
        if status >= 500:
            logger.error("server error: %r", error)
        return error_response(status, message, headers=headers)


def _detail(error: HTTPException) -> str:
    detail = getattr(error, "detail", None)
    if not isinstance(detail, str) or detail in ("Not Found", "Method Not Allowed"):
        return ""
    return detail.split("\n\n", 1)[0]  # jsonschema appends the failing schema and instance


def unexpected(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Anything else is a bug of the mock: logged with its traceback, answered 500 (never for client input:
    the test suite and the schemathesis run hold the mock to that)."""
    logger.error("unhandled error: %r", error, exc_info=error)
    return error_response(500, "Internal server error", "INTERNAL_ERROR")
