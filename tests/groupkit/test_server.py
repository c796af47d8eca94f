"""groupkit.server: how `groupkit mock` serves the mock. A busy port, idle and slow connections, a flood of
connections, and SIGTERM with a request half sent, each over real sockets on loopback."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from groupkit.app import create_app
from groupkit.server import CannotListen, Limits, listen
from tests.conftest import GROUPKIT, TOKENS, serve, start_mock

HALF_A_BODY = (
    b"POST /group HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: demo-token-alice\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + b'{"name": "ha'
)


def connect(url: str) -> socket.socket:
    address = urlsplit(url)
    return socket.create_connection((address.hostname, address.port), timeout=10)


def closed_after(sock: socket.socket, limit: float = 10) -> tuple[float, bytes]:
    """How long until the server closes `sock`, and what it sent before."""
    started, received = time.monotonic(), b""
    sock.settimeout(limit)
    while chunk := sock.recv(65536):
        received += chunk
    return time.monotonic() - started, received


@pytest.fixture(scope="module")
def strict() -> Iterator[str]:
    """A mock with short timeouts and few connections, to see each limit act."""
    limits = Limits(keep_alive=1, request_timeout=1.0, max_connections=4, shutdown_timeout=1)
    with serve(create_app(seed=3), limits) as url:
        yield url


def healthy(url: str) -> bool:
    return httpx.get(f"{url}/group/roles", headers={"Authorization": TOKENS["alice"]}).status_code == 200


# ------------------------------------------------------------------------------- the port


@pytest.mark.slow
def test_a_busy_port_is_one_line_and_exit_2_before_the_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*GROUPKIT, "mock", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2
    assert done.stdout == ""  # no banner, no tokens
    assert done.stderr.splitlines() == [
        f"groupkit mock: 127.0.0.1:{port} is already in use; stop what listens there or pick another --port"
    ]


def test_listen_names_what_cannot_be_bound() -> None:
    with pytest.raises(CannotListen, match="cannot listen on 192.0.2.1:"):  # TEST-NET-1: not ours to bind
        listen("192.0.2.1", 0)
    sockets = listen("127.0.0.1", 0)
    try:
        assert sockets[0].getsockname()[1] != 0
    finally:
        for sock in sockets:
            sock.close()


# ------------------------------------------------------------------------------- slow and idle clients


@pytest.mark.slow
def test_a_connection_that_never_sends_a_request_is_closed(strict: str) -> None:
    with connect(strict) as sock:
        waited, received = closed_after(sock)
    assert received == b"" and 0.5 < waited < 4, waited  # keep_alive=1
    assert healthy(strict)


@pytest.mark.slow
def test_a_head_sent_too_slowly_is_closed(strict: str) -> None:
    with connect(strict) as sock:
        sock.sendall(b"GET /group/roles HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        try:
            for _ in range(20):  # a header every 0.3 s: each resets no timer
                sock.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.3)
        except OSError:
            pass
        waited, received = closed_after(sock)
    assert received == b"" and time.monotonic() - started < 4, waited  # request_timeout=1
    assert healthy(strict)


@pytest.mark.slow
def test_a_half_sent_body_is_dropped_and_nothing_stored(strict: str) -> None:
    before = httpx.get(f"{strict}/__mock__/state").json()
    with connect(strict) as sock:
        sock.sendall(HALF_A_BODY)
        waited, received = closed_after(sock)
    assert received == b"" and waited < 4, waited
    assert httpx.get(f"{strict}/__mock__/state").json() == before
    entry = httpx.get(f"{strict}/__mock__/journal", params={"operationId": "createGroup"}).json()["items"][-1]
    assert entry["status"] == 0 and entry["body"] == '{"name": "ha'  # journaled: sent, never answered


# ------------------------------------------------------------------------------- many clients


def test_beyond_max_connections_requests_get_503_and_then_connections_are_closed(strict: str) -> None:
    held = [connect(strict) for _ in range(4)]  # max_connections=4, sending nothing
    try:
        with connect(strict) as fifth:
            fifth.sendall(
                b"GET /group/roles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: demo-token-alice\r\n\r\n"
            )
            _, received = closed_after(fifth)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and b"content-type: application/json" in head
        assert b"connection: close" in head and b"retry-after: 1" in head
        assert json.loads(body)["code"] == "SERVICE_UNAVAILABLE"
        more = [connect(strict) for _ in range(8)]  # 12 open: beyond 2 x 4, closed at once
        held += more
        time.sleep(0.3)  # for the server to accept them all, well before the idle timeout (1 s)
        readable, _, _ = select.select(more, [], [], 0)
        assert sorted(more.index(sock) for sock in readable) == [4, 5, 6, 7]
        assert all(sock.recv(1) == b"" for sock in readable)  # closed, without an answer
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while not healthy(strict):  # once they are gone, the server serves again
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_an_upgrade_request_is_answered_as_plain_http(strict: str) -> None:
    """The mock speaks no WebSocket: an Upgrade header is ignored (uvicorn's websockets answered 403 text)."""
    headers = {
        "Authorization": TOKENS["alice"],
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    response = httpx.get(f"{strict}/group/roles", headers=headers)
    assert response.status_code == 200 and response.json()["items"]


# ------------------------------------------------------------------------------- shutdown


@pytest.mark.slow
def test_sigterm_with_a_half_sent_body_stops_within_the_deadline() -> None:
    process, url = start_mock("--shutdown-timeout", "1", "--request-timeout", "600")
    try:
        with connect(url) as sock:
            sock.sendall(HALF_A_BODY)
            time.sleep(0.3)  # the request is in flight, waiting for the rest of its body
            started = time.monotonic()
            os.kill(process.pid, signal.SIGTERM)
            code = process.wait(timeout=20)
            stopped = time.monotonic() - started
            _, answer = closed_after(sock)
    finally:
        if process.poll() is None:
            process.kill()
        out, err = process.communicate(timeout=10)
    assert code == 0, err
    assert stopped < 1 + 4, stopped  # the deadline, plus the interpreter's exit
    assert "timeout graceful shutdown exceeded" in err
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 ") and json.loads(body)["code"] == "SERVICE_UNAVAILABLE"


def test_an_application_that_fails_answers_the_contracts_500() -> None:
    """Where the application fails before answering (outside connexion's error handlers), uvicorn's text/plain
    500 becomes the contract's."""

    async def failing(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            raise RuntimeError("a bug")

    with serve(failing) as url:
        response = httpx.get(f"{url}/group/roles")
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "Internal server error", "code": "INTERNAL_ERROR"}
