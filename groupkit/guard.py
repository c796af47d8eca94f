"""What the API refuses at its edge, before connexion reads a request, and the strict JSON reader connexion
validates bodies with; every refusal is the contract's `Error` body, rendered by `groupkit/problems.py`.

    a path with a trailing slash                                    404  (starlette would answer a 307
                                                                          whose Location is built from Host)
    Content-Type or Authorization sent more than once                400
    a body over `max_body` bytes, declared or chunked                413
    a JSON body that is not UTF-8                                   400
    on an operation that takes a body: a body without Content-Type,
      a charset other than UTF-8, or a Content-Encoding              415
    a JSON body that is not strict JSON (`groupkit.strict_json`)    400  (in connexion's body validator,
                                                                          `StrictJSONBodyValidator`)

The guard reads the whole body (bounded), then hands connexion a request it can read: the body replayed with
its `Content-Length` (connexion takes a chunked body for a missing one) and the JSON media type in lower case
(connexion compares it case-sensitively when it hands the body to a handler).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators import JSONRequestBodyValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import strict_json
from .problems import Problems

DEFAULT_MAX_BODY = 64 * 1024
JSON = "application/json"
# One value each: two are ambiguous (connexion reads the last Content-Type, starlette the first). A second
# Host never gets here: groupkit.hosts refuses it.
SINGLE_HEADERS = (b"content-type", b"authorization")


class StrictJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]  # connexion ships no types
    """connexion's JSON body validator, reading the body with `strict_json`: NaN, a lone surrogate, deep
    nesting or a huge number is a 400, where connexion's `json.loads` would let it be stored or raise a 500."""

    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            return strict_json.loads(raw)
        except strict_json.InvalidJson as error:
            raise BadRequestProblem(detail=str(error)) from None


# connexion's validators with the JSON body one replaced (a `validator_map` replaces the whole "body" table).
VALIDATOR_MAP: dict[str, Any] = {
    **CONNEXION_VALIDATORS,
    "body": MediaTypeDict({**CONNEXION_VALIDATORS["body"], "*/*json": StrictJSONBodyValidator}),
}


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands an already-read body to the application once, then defers to `receive`."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def operations_with_body(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path template) of each operation of the contract that takes a request body."""
    return [
        (method.upper(), path)
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/group/{id}` -> a pattern matching `/group/` and one path segment."""
    parts = re.split(r"(\{[^}/]*\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


class RequestGuard:
    """Refuses, with the errors `problems` renders, what the module docstring lists; passes every other
    request on to `app` with its body read and replayed. Paths under `exempt_prefixes` (Swagger UI's files)
    keep their trailing slash."""

    def __init__(
        self,
        app: ASGIApp,
        problems: Problems,
        with_body: Iterable[tuple[str, str]],
        max_body: int = DEFAULT_MAX_BODY,
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.problems = problems
        self.max_body = max_body
        self.exempt_prefixes = exempt_prefixes
        self._with_body = [(method, _path_pattern(path)) for method, path in with_body]

    def _takes_body(self, method: str, path: str) -> bool:
        return any(method == m and pattern.fullmatch(path) for m, pattern in self._with_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith("/") and path != "/" and not path.startswith(self.exempt_prefixes):
            await self.problems.send(send, 404, f"No operation at {path} (the API's paths end without /)")
            return
        for name in SINGLE_HEADERS:
            count = sum(1 for key, _ in scope["headers"] if key == name)
            if count > 1:
                header = name.decode().title()
                await self.problems.send(
                    send, 400, f"The {header} header is sent {count} times; send it once"
                )
                return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        too_large = f"Request body is larger than {self.max_body} bytes"
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self.problems.send(send, 413, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self.problems.send(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type")
        if body and self._takes_body(scope["method"], path):
            refusal = _media_type_refusal(content_type, headers.get(b"content-encoding"))
            if refusal:
                await self.problems.send(send, 415, refusal)
                return
            content_type = JSON.encode() if _media_type(content_type) == JSON else content_type
        if body and b"json" in (content_type or b"").lower():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                await self.problems.send(send, 400, f"Request body is not valid UTF-8 (byte {error.start})")
                return
        rewritten = [
            (key, value)
            for key, value in scope["headers"]
            if key not in (b"content-length", b"transfer-encoding", b"content-type")
        ]
        rewritten.append((b"content-length", str(len(body)).encode()))
        if content_type is not None:
            rewritten.append((b"content-type", content_type))
        await self.app({**scope, "headers": rewritten}, replaying(body, receive), send)


def _media_type(content_type: bytes | None) -> str:
    return (content_type or b"").decode("latin-1").partition(";")[0].strip().lower()


def _media_type_refusal(content_type: bytes | None, content_encoding: bytes | None) -> str:
    """Why a request body cannot be read as the contract's JSON ("" if it can; connexion judges the rest)."""
    if content_type is None:
        return f"The request has a body but no Content-Type; send {JSON}"
    if content_encoding is not None and content_encoding.strip().lower() != b"identity":
        return f"Content-Encoding {content_encoding.decode('latin-1')} is not supported; send the body as is"
    if _media_type(content_type) != JSON:
        return ""  # connexion answers 415, naming the media types the operation takes
    for parameter in content_type.decode("latin-1").split(";")[1:]:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            return f"JSON bodies are UTF-8 (RFC 8259); charset={charset} is not supported"
    return ""
