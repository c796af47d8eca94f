"""How `groupkit mock` serves the mock with uvicorn: the listening sockets (bound before anything is printed,
so a busy port is one clear line), the limits, the HTTP protocol that answers malformed requests with the
contract's JSON `Error` body, and a graceful shutdown with a deadline.

uvicorn's own settings carry what they can: `timeout_keep_alive` (idle connections), `limit_concurrency`
(503 beyond it), `timeout_graceful_shutdown`. `GuardedHttpToolsProtocol` extends uvicorn's httptools protocol
(`Config(http=...)`) where uvicorn has no setting: a size limit on the request line (414) and on the whole
head (431, httptools has none), a deadline for a request to arrive in full (slow heads and half-sent bodies),
an idle timeout for a connection that never sends a request, a hard cap on open connections, and the
contract's body where uvicorn answers in plain text (400 for a malformed request, 503 beyond the limit, 500
for an application that fails; 503 for a request cancelled by the shutdown deadline).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
from asyncio import TimerHandle
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, cast

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

if TYPE_CHECKING:  # importing connexion (through problems) is slow and warns; `groupkit --help` needs neither
    from .problems import Problems


@dataclass(frozen=True)
class Limits:
    """What the server allows its clients (sizes in bytes, times in seconds)."""

    max_url: int = 8 * 1024  # the request target; longer: 414
    max_head: int = 32 * 1024  # request line and headers; larger: 431
    request_timeout: float = 10.0  # from a request's first byte to its last; then the connection is closed
    keep_alive: int = 5  # then a connection with no request in progress (new or between requests) is closed
    max_connections: int = 256  # beyond: 503 to each request; beyond twice as many, closed at once
    shutdown_timeout: int = 5  # on SIGTERM/SIGINT, in-flight requests get this long, then are cancelled


class CannotListen(OSError):
    """Raised by `listen` when the address cannot be bound (busy port, no such address, no permission)."""


class _Refused(Exception):
    """Raised inside an httptools callback to stop parsing a request the protocol refuses."""


def listen(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address of `host` at `port` (0: a free port), as uvicorn would bind them;
    `CannotListen` says why not in one line."""
    sockets: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, address in dict.fromkeys((i[0], i[1], i[2], i[4]) for i in infos):
            if sockets:  # with port 0, every address gets the port the first one was given
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as error:
        for sock in sockets:
            sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"{host}:{port} is already in use; stop what listens there or pick another --port"
            ) from None
        raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sockets


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of `limits` and refusals rendered by `problems`
    (`protocol_class` makes a subclass that sets both)."""

    problems: ClassVar[Problems]
    limits: ClassVar[Limits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # bytes received while the current request's head is incomplete
        self._head_done = False
        self._refusal: tuple[int, str] | None = None
        self._request_timer: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > 2 * self.limits.max_connections:
            transport.close()  # a flood of connections must not exhaust the process's file descriptors
            return
        # uvicorn arms its keep-alive timer only after a response; a connection that never sends a request
        # would stay open for ever.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_request_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._head_done:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            not self._head_done
            and self._head_bytes > self.limits.max_head
            and not self.transport.is_closing()
        ):
            self._refusal = (431, f"The request line and headers exceed {self.limits.max_head} bytes")
            self.send_400_response("")

    # httptools callbacks, in the order it calls them for each request

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_timer = self.loop.call_later(self.limits.request_timeout, self._request_timed_out)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_url:
            self._refusal = (414, f"The request target exceeds {self.limits.max_url} bytes")
            raise _Refused

    def on_headers_complete(self) -> None:
        self._head_done = True
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_head:
            self._refusal = (431, f"The request line and headers exceed {self.limits.max_head} bytes")
            raise _Refused
        try:
            super().on_headers_complete()
        except UnicodeDecodeError:  # a path that is not ASCII: uvicorn decodes it as ASCII
            self._refusal = (400, "The request target must be ASCII (percent-encode other characters)")
            raise _Refused from None

    def on_message_complete(self) -> None:
        self._stop_request_timer()
        self._head_done, self._head_bytes = False, 0
        super().on_message_complete()

    # refusals

    def send_400_response(self, msg: str) -> None:
        """Every refusal of a request uvicorn cannot hand to the application, as the contract's `Error`."""
        status, message = self._refusal or (400, "Malformed HTTP request")
        body = self.problems.body(status, message)
        head = [STATUS_LINE[status]]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        if app is service_unavailable:  # uvicorn's limit_concurrency answer is text/plain
            app = cast(ASGI3Application, self._unavailable)
        super()._start_asgi_task(cycle, cast(ASGI3Application, self._answering(cast(ASGIApp, app), cycle)))

    def _answering(self, app: ASGIApp, cycle: RequestResponseCycle | None = None) -> ASGIApp:
        """`app`, answering the contract's 500 where it fails before its answer starts (uvicorn's is
        text/plain), and 503 where the graceful shutdown's deadline cancels it. An exception whose
        `drop_connection` is true (`faults.Dropped`) closes the connection without any answer."""
        problems = self.problems

        async def answering(scope: Scope, receive: Receive, send: Send) -> None:
            started = False

            async def watched(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await app(scope, receive, watched)
            except BaseException as error:
                if getattr(error, "drop_connection", False) and not started and cycle is not None:
                    cycle.disconnected = True  # so that uvicorn neither answers 500 nor logs an error
                    self.transport.close()
                    return
                if not started and scope["type"] == "http":
                    if isinstance(error, asyncio.CancelledError):
                        status, message = 503, "The mock is shutting down"
                    else:
                        status, message = 500, "Internal server error"
                    await problems.send(send, status, message, {"Connection": "close"})
                raise  # for uvicorn to log it and close the connection

        return answering

    async def _unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The mock serves at most {self.limits.max_connections} connections at once; retry later"
        await self.problems.send(send, 503, message, {"Connection": "close", "Retry-After": "1"})

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if not self.transport.is_closing():
            self.logger.info("Closing a connection whose request did not arrive in full in time")
            self.transport.close()  # the application, if it waits for the body, receives http.disconnect

    def _stop_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None


def protocol_class(problems: Problems, limits: Limits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for `Config(http=...)`, bound to one mock's renderer and limits."""

    class MockHttpProtocol(GuardedHttpToolsProtocol):
        pass

    MockHttpProtocol.problems = problems
    MockHttpProtocol.limits = limits
    return MockHttpProtocol


class _Server(uvicorn.Server):
    """uvicorn's server, except that a SIGINT or SIGTERM ends `run` normally after the graceful shutdown
    instead of being raised again (which would kill the process before its caller could clean up)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def config(
    app: ASGIApp,
    *,
    problems: Problems | None = None,
    limits: Limits = Limits(),
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "warning",
    access_log: bool = False,
) -> uvicorn.Config:
    """uvicorn's configuration for serving `app` (host and port serve only when no sockets are passed)."""
    if problems is None:
        from . import app as _  # noqa: F401  # first: it quiets connexion's import-time warning
        from . import contract
        from .problems import Problems as Renderer

        problems = Renderer.of(contract.default())
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(problems, limits),
        ws="none",  # the contract has no WebSocket; an Upgrade header is ignored
        proxy_headers=False,  # the client address is the socket's peer: nothing sits in front of the mock
        log_level=log_level,
        access_log=access_log,
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=limits.max_connections + 1,  # uvicorn counts the connection asking
        timeout_graceful_shutdown=limits.shutdown_timeout,
    )


def make_server(configuration: uvicorn.Config) -> uvicorn.Server:
    """A server for `configuration` whose `run` returns after a signal's graceful shutdown."""
    return _Server(configuration)


def serve(configuration: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """Serves on `sockets` until SIGINT or SIGTERM, then shuts down gracefully and returns. What is built
    by then (the world, connexion, the modules) is frozen out of the garbage collector's full passes, which
    would otherwise walk all of it every few hundred requests (docs/performance.md: a 300 ms pause at
    10,000 groups)."""
    gc.freeze()
    make_server(configuration).run(sockets=sockets)
