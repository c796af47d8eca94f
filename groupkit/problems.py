"""The one place where errors become HTTP responses with the contract's `Error` body, whatever their source:
domain errors, connexion's problems, starlette's HTTP errors, the request guard, the control API, the
server's protocol-level refusals (`groupkit/server.py`), and bugs.

Which `code` goes with which status is read from the contract the mock serves (`Error.code`'s
`x-status-of-code` and `x-general-code`, through `contract.error_table`), never from a Python copy. The wire
never shows a body the contract does not document (connexion's default is `application/problem+json`,
starlette's routers answer `text/plain`), and a 405's `Allow` header lists every method of the path
(connexion lists only one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Send

from . import contract
from .errors import GroupkitError, SharedStoreUnavailable

logger = logging.getLogger("groupkit")
UNAVAILABLE = "The mock's shared store is unavailable: {} (nothing was changed; try again)"
RETRY_AFTER = "1"  # seconds, on the shared store's 503 (Redis unreachable or full)

MEDIA_TYPE = "application/json"

# The message of each status the mock answers with, when its source gives none.
MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    414: "URI too long",
    415: "Unsupported media type",
    431: "Request header fields too large",
    500: "Internal server error",
    503: "Service unavailable",
}


def method_not_allowed(method: str, path: str, allowed: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """The message and headers of a 405: the `Allow` header lists `allowed` (RFC 9110)."""
    allow = ", ".join(allowed)
    return f"{method} is not allowed on {path}; use {allow}", {"Allow": allow}


class Problems:
    """Renders one mock's errors with the code table of the contract it serves; knows each path's methods
    for the `Allow` header of a 405."""

    def __init__(self, table: contract.ErrorTable, path_methods: Mapping[str, tuple[str, ...]]) -> None:
        missing = sorted(set(MESSAGES) - set(table.general_code))
        if missing:
            raise ValueError(f"the contract's error table has no code for {missing}, which the mock sends")
        self.table = table
        self.path_methods = path_methods

    @classmethod
    def of(cls, document: dict[str, Any]) -> Problems:
        """The renderer for a contract document; ValueError if its error table is missing or unusable."""
        return cls(contract.error_table(document), contract.path_methods(document))

    def body(self, status: int, message: str, details: list[str] | None = None, code: str = "") -> bytes:
        """The `Error` body of a `status` answer: its status's general code, or `code`, which must be one
        of that status's codes."""
        if not code:
            code = self.table.general_code[status]
        elif self.table.status_of_code.get(code) != status:
            raise ValueError(f"{code} is not a code of {status} in the contract's error table")
        error: dict[str, Any] = {"message": message, "code": code}
        if details:
            error["details"] = details
        return json.dumps(error).encode()

    # ------------------------------------------------------------------ the three ways out

    def response(
        self, status: int, message: str, headers: Mapping[str, str] | None = None, code: str = ""
    ) -> ConnexionResponse:
        """For connexion's error handlers."""
        return ConnexionResponse(
            status_code=status,
            mimetype=MEDIA_TYPE,
            content_type=MEDIA_TYPE,
            body=self.body(status, message, code=code),
            headers=dict(headers or {}),
        )

    def starlette_response(self, status: int, message: str, details: list[str] | None = None) -> Response:
        """For a starlette endpoint (the control API's handlers)."""
        return Response(self.body(status, message, details), status_code=status, media_type=MEDIA_TYPE)

    async def send(
        self, send: Send, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answers at the ASGI level, for middleware that refuses a request before any framework sees it."""
        body = self.body(status, message)
        raw = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        raw += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def send_unavailable(self, send: Send, error: Exception) -> None:
        """The shared store's 503 (see `unavailable`), for middleware that meets it before connexion does."""
        logger.warning("shared store unavailable: %s", error)
        await self.send(send, 503, UNAVAILABLE.format(error), {"Retry-After": RETRY_AFTER})

    # ------------------------------------------------------------------ connexion's error handlers

    def register(self, app: AsyncApp) -> None:
        """Makes these renderers connexion's handlers for every error it can raise."""
        app.add_error_handler(GroupkitError, self.domain_error)
        app.add_error_handler(SharedStoreUnavailable, self.unavailable)
        app.add_error_handler(ProblemException, self.http_error)
        app.add_error_handler(HTTPException, self.http_error)
        app.add_error_handler(Exception, self.unexpected)

    def domain_error(self, _request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        """A store's refusal: the status is the one the contract pairs with the error's code."""
        assert isinstance(error, GroupkitError)
        status = self.table.status_of_code.get(error.code)
        if status is None:  # a code the contract does not know: the mock's bug, not the client's
            return self.unexpected(_request, error)
        return self.response(status, error.message, code=error.code)

    def unavailable(self, _request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        """The shared store did not answer (`groupkit.replica`): nothing was changed, try again."""
        logger.warning("shared store unavailable: %s", error)
        return self.response(503, UNAVAILABLE.format(error), {"Retry-After": RETRY_AFTER})

    def http_error(self, request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        """connexion's problems (validation 400, auth 401, 415) and starlette's routing errors (404, 405)."""
        assert isinstance(error, HTTPException)
        status = error.status_code
        if status not in MESSAGES:
            logger.warning("unexpected HTTP error %s mapped to 400: %r", status, error)
            status = 400
        if status == 401:
            # One answer for a missing, malformed or unknown token, like the AWS gateway in front of the API.
            return self.response(401, MESSAGES[401])
        headers: dict[str, str] = {}
        message = _detail(error) or MESSAGES[status]
        if status == 405:
            allowed = self.path_methods.get(request.url.path, ())
            message, headers = method_not_allowed(request.method, request.url.path, allowed)
        elif status == 404 and not _detail(error):
            message = f"No operation at {request.url.path}"
        if status >= 500:
            logger.error("server error: %r", error)
        return self.response(status, message, headers)

    def unexpected(self, _request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        """Anything else is a bug of the mock: logged with its traceback, answered 500 (never for client
        input: the test suite and the schemathesis run hold the mock to that)."""
        logger.error("unhandled error: %r", error, exc_info=error)
        return self.response(500, MESSAGES[500])


def _detail(error: HTTPException) -> str:
    detail = getattr(error, "detail", None)
    if not isinstance(detail, str) or detail in ("Not Found", "Method Not Allowed"):
        return ""
    return detail.split("\n\n", 1)[0]  # jsonschema appends the failing schema and instance
