"""Request-body hygiene in front of connexion: size limit (413) and UTF-8 JSON (400).

connexion 3.3 answers a JSON body that is not UTF-8 with a 500, and reads bodies of any size. This ASGI
middleware reads the body first (only when the request has one), refuses what is too large or not
UTF-8 with the contract's `Error` body, and replays the body it read to the application.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problems

DEFAULT_MAX_BODY = 64 * 1024


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


class BodyGuard:
    """Refuses, with the errors `problems` renders, a body over `max_body` bytes (413) or a JSON body that is
    not UTF-8 (400); passes every other request on to `app` with its body replayed."""

    def __init__(self, app: ASGIApp, problems: Problems, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.problems = problems
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
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
        if body and b"json" in headers.get(b"content-type", b""):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                message_text = f"Request body is not valid UTF-8 (byte {error.start})"
                await self.problems.send(send, 400, message_text)
                return
        await self.app(scope, replaying(body, receive), send)
