"""The Host check (DNS rebinding): the mock answers requests addressed to loopback names only, unless told
otherwise; the API and the control API alike, over a real socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from groupkit.app import create_app
from groupkit.cli import build_parser
from groupkit.hosts import LOOPBACK_HOSTS
from groupkit.mockcli import security_options
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, serve, start_mock


def assert_wrong_host(response: httpx.Response, host: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "FORBIDDEN" and "--allowed-host" in body["message"], body
    assert host[:50] in body["message"]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8080",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "[::2]",
        "10.0.0.1",
    ],
)
def test_a_foreign_host_is_refused_everywhere_and_nothing_changes(client: httpx.Client, host: str) -> None:
    """A page on evil.example whose name now points at 127.0.0.1 is same-origin with the mock: only the
    Host header tells the mock apart."""
    foreign = {"Host": host}
    assert_wrong_host(client.get("/__mock__/users", headers=foreign), host)
    assert_wrong_host(client.post("/__mock__/reset", headers={**foreign, **CONTROL}), host)
    assert_wrong_host(client.get("/user/groups", headers={**foreign, **auth("alice")}), host)
    created = client.post("/group", json={"name": "Rebound"}, headers={**foreign, **auth("alice")})
    assert_wrong_host(created, host)
    assert client.get("/__mock__/state").json() == DEFAULT_WORLD
    assert client.get("/__mock__/journal").json()["items"] == []  # refused before anything else saw it


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8080", "localhost", "LocalHost:1", "[::1]", "[::1]:8080", "[0:0::1]:80"]
)
def test_loopback_names_are_answered_with_or_without_a_port(client: httpx.Client, host: str) -> None:
    assert client.get("/__mock__/health", headers={"Host": host}).status_code == 200
    assert client.get("/user/groups", headers={"Host": host, **auth("alice")}).status_code == 200


@pytest.mark.parametrize(
    "host",
    ["", "127.0.0.1:http", "127.0.0.1:", "[::1", "::1", "[nope]", "a b", "user@localhost", "localhost/x"],
    ids=repr,
)
def test_a_malformed_host_is_refused(client: httpx.Client, host: str) -> None:
    assert_wrong_host(client.get("/group/roles", headers={"Host": host, **auth("alice")}), host)


def raw_request(url: str, request: bytes) -> tuple[int, dict[str, object]]:
    """Sends `request` as it is over a socket and reads the status and JSON body of the answer."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_request_without_host_or_with_two_is_refused(live: str) -> None:
    status, body = raw_request(live, b"GET /__mock__/health HTTP/1.0\r\n\r\n")
    assert (status, body["code"]) == (403, "FORBIDDEN") and "no Host" in str(body["message"])
    two = b"GET /__mock__/health HTTP/1.0\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    status, body = raw_request(live, two)
    assert (status, body["code"]) == (403, "FORBIDDEN")


@pytest.mark.slow
def test_configured_names_are_answered_and_a_star_answers_any() -> None:
    with serve(create_app(allowed_hosts=(*LOOPBACK_HOSTS, "Mock", "192.0.2.7"))) as url:
        for host in ("mock", "MOCK:8080", "192.0.2.7:80", "localhost"):
            assert httpx.get(f"{url}/__mock__/health", headers={"Host": host}).status_code == 200
        assert_wrong_host(
            httpx.get(f"{url}/__mock__/health", headers={"Host": "mock.example"}), "mock.example"
        )
    with serve(create_app(allowed_hosts=("*",))) as url:
        assert httpx.get(f"{url}/__mock__/health", headers={"Host": "evil.example"}).status_code == 200


@pytest.mark.parametrize("name", ["a/b", "mock:port", "[::1", "", "*.example"])
def test_a_name_that_is_not_a_host_is_refused_at_start(name: str) -> None:
    with pytest.raises(ValueError, match="allowed host"):
        create_app(allowed_hosts=(name,))


@pytest.mark.parametrize(
    "argv, expected",
    [
        pytest.param([], LOOPBACK_HOSTS, id="default"),
        pytest.param(
            ["--allowed-host", "mock", "--allowed-host", "m2"], (*LOOPBACK_HOSTS, "mock", "m2"), id="flags"
        ),
        pytest.param(["--host", "192.0.2.7"], (*LOOPBACK_HOSTS, "192.0.2.7"), id="listening-address"),
        pytest.param(["--host", "0.0.0.0"], LOOPBACK_HOSTS, id="wildcard-address"),
        pytest.param(["--host", "::"], LOOPBACK_HOSTS, id="wildcard-v6"),
        pytest.param(["--host", "::1"], (*LOOPBACK_HOSTS, "::1"), id="v6-address"),
        pytest.param(["--allowed-host", "*"], (*LOOPBACK_HOSTS, "*"), id="any"),
    ],
)
def test_the_mock_command_passes_its_allowed_hosts(argv: list[str], expected: tuple[str, ...]) -> None:
    options = security_options(build_parser().parse_args(["mock", *argv]))
    assert options["allowed_hosts"] == expected


@pytest.fixture
def mock_process() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {**os.environ, "GROUPKIT_ADMIN_TOKEN": "from-the-env"}
    process, url = start_mock("--allowed-host", "mock", env=env)
    try:
        yield url, process
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.slow  # starts `groupkit mock` as a process (~3 s)
def test_the_mock_command_applies_allowed_host_and_the_admin_token_from_the_environment(
    mock_process: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = mock_process
    admin = {"X-Mock-Admin-Token": "from-the-env"}
    assert httpx.get(f"{url}/__mock__/health").status_code == 401
    assert httpx.get(f"{url}/__mock__/health", headers={**admin, "Host": "mock:1"}).status_code == 200
    assert_wrong_host(httpx.get(f"{url}/__mock__/health", headers={**admin, "Host": "evil.example"}), "evil")
