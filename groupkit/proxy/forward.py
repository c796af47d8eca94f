"""The proxy's ASGI application: forwards each request to the upstream unchanged through one pooled
`httpx.AsyncClient` (bodies streamed both ways, repeated headers kept, hop-by-hop headers dropped, any method
and path), copies what it streams up to a bound, and has the exchange checked once the answer is sent, so the
checks never delay the answer they judge.

When the upstream does not answer, the client gets 502 (no connection) or 504 (no answer in time) with a body
of the contract's `Error` shape; the proxy records that as an error, not as a violation of the server.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from typing import Any

import certifi
import httpx
from starlette.types import Message, Receive, Scope, Send

from .exchange import FIELDS_CHECK, JSON, Exchange
from .record import Record
from .rules import Rules

# RFC 9110 7.6.1: meaningful for one connection only; never forwarded. `host` is the upstream's (httpx sets
# it), `expect` was answered by the proxy's own server.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
MAX_CHECKED = 1024 * 1024  # a body larger than this is forwarded whole but not checked
SUCCESS_CHECKS = ("status_code_conformance", "content_type_conformance", "response_schema_conformance")


class _KeepNoCookies(DefaultCookiePolicy):
    """A cookie policy that accepts nothing: httpx would keep every upstream `Set-Cookie` (sessions, tokens)
    in the client's jar, which the proxy shares between all its clients."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return False


class _Tee:
    """The first `MAX_CHECKED` bytes of a streamed body; `data` is None once it went beyond."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= MAX_CHECKED:
            self.parts.append(chunk)

    @property
    def data(self) -> bytes | None:
        return b"".join(self.parts) if self.size <= MAX_CHECKED else None


class _ClientGone(Exception):
    """The client disconnected while its request body was being forwarded."""


def _forwarded(
    raw: list[tuple[bytes, bytes]], also_drop: frozenset[str] = frozenset()
) -> list[tuple[bytes, bytes]]:
    named = {
        token.strip().lower()
        for name, value in raw
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    dropped = HOP_BY_HOP | also_drop | named
    return [(name, value) for name, value in raw if name.decode("latin-1").lower() not in dropped]


def _decoded(body: bytes | None, encoding: str) -> bytes | None:
    """A response body as its `Content-Encoding` says (gzip, deflate, identity); None if it cannot be read."""
    encoding = encoding.strip().lower()
    if body is None or encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return zlib.decompress(body)
    except zlib.error:
        return None
    return None


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context for an https:// upstream: certificates verified against certifi's bundle."""
    return ssl.create_default_context(cafile=certifi.where())


class Proxy:
    """The ASGI app: `upstream` is the base URL requests are forwarded under (its path prefixes theirs)."""

    def __init__(self, upstream: str, rules: Rules, record: Record, timeout: float = 30.0) -> None:
        self.upstream = httpx.URL(upstream.rstrip("/"))
        self.prefix = self.upstream.raw_path.split(b"?", 1)[0].rstrip(b"/")
        self.rules = rules
        self.record = record
        self.client = httpx.AsyncClient(
            # an http:// upstream never does TLS: skip loading the CA bundle (~0.3 s per client)
            verify=_tls() if self.upstream.scheme == "https" else False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            follow_redirects=False,
            trust_env=False,  # no proxy variables, no .netrc credentials added to requests
            cookies=CookieJar(_KeepNoCookies()),  # Set-Cookie reaches the client, never a jar
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        headers = _forwarded(list(scope["headers"]), frozenset({"host", "expect"}))
        has_body = any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"]
        )
        sent_body = _Tee()
        content = self._body(receive, sent_body) if has_body else None
        if not has_body:
            await receive()  # the empty body's one message
        target = self.prefix + raw_path + (b"?" + query if query else b"")
        # httpx.Request, not client.build_request: the client would add its default headers (User-Agent, Accept...)
        request = httpx.Request(
            method, self.upstream.copy_with(raw_path=target), headers=headers, content=content
        )
        try:
            upstream = await self.client.send(request, stream=True)
        except _ClientGone:
            return
        except httpx.TimeoutException:
            await self._failed(send, 504, f"{method} {scope['path']}: {self.upstream} did not answer in time")
            return
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            await self._failed(
                send, 502, f"{method} {scope['path']}: {self.upstream} could not be reached: {reason}"
            )
            return
        received = _Tee()
        try:
            response_headers = _forwarded(upstream.headers.raw)
            await send(
                {"type": "http.response.start", "status": upstream.status_code, "headers": response_headers}
            )
            async for chunk in upstream.aiter_raw():
                received.add(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as error:
            self.record.error(
                f"{method} {scope['path']}: the upstream's answer broke off: {error or type(error).__name__}"
            )
            raise  # uvicorn closes the connection: the client sees a cut answer, as it would without the proxy
        finally:
            await upstream.aclose()
        elapsed = (time.perf_counter() - started) * 1000
        body = _decoded(received.data, upstream.headers.get("content-encoding", ""))
        content_type = upstream.headers.get("content-type", "")
        try:
            self._check(scope, method, query, sent_body, upstream.status_code, content_type, body, elapsed)
        except (
            Exception
        ) as error:  # a body the checks cannot read (JSON nested too deep...): the client has it
            self.record.error(f"{method} {scope['path']}: the exchange could not be checked: {error!r}")

    async def _body(self, receive: Receive, tee: _Tee) -> AsyncIterator[bytes]:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk = message.get("body", b"")
            if chunk:
                tee.add(chunk)
                yield chunk
            if not message.get("more_body", False):
                return

    def _check(
        self,
        scope: Scope,
        method: str,
        query: bytes,
        sent: _Tee,
        status: int,
        response_type: str,
        response_body: bytes | None,
        elapsed: float,
    ) -> None:
        path: str = scope["path"]
        request_type = ""
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        for name, value in headers:
            if name.lower() == "content-type":
                request_type = value
        exchange = Exchange(
            method,
            path,
            query.decode("latin-1"),
            request_type,
            sent.data,
            status,
            response_type,
            response_body,
        )
        operation = self.rules.operation_label(method, path)
        problems = self.rules.request_problems(exchange)
        more, returned = self.rules.response_problems(exchange, request_broken=bool(problems))
        problems += more
        checked: tuple[str, ...] = ()
        if operation and 200 <= status < 300 and response_type.split(";")[0].strip().lower() == JSON:
            checked = (*SUCCESS_CHECKS, FIELDS_CHECK)
        self.record.add(exchange, operation, headers, problems, returned, elapsed, checked)

    async def _failed(self, send: Send, status: int, message: str) -> None:
        self.record.error(message)
        # 502 and 504 have no code in the contract's error table: SERVICE_UNAVAILABLE is the nearest, so that a
        # client reading the Error body keeps working; the message says it is the proxy's answer.
        body = json.dumps({"message": f"groupkit proxy: {message}", "code": "SERVICE_UNAVAILABLE"}).encode()
        headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
