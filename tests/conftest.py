"""Shared fixtures: fresh worlds, stores and mocks per test, and a real uvicorn server on loopback."""

from __future__ import annotations

import copy
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
import pytest

from groupkit.app import MockApp, create_app
from groupkit.server import Limits, listen, make_server
from groupkit.server import config as server_config
from groupkit.store import Store

from .backends import BACKENDS, RedisWorlds, StoreFactory, memory_store
from .redis_server import RedisServer, flush

ROOT = Path(__file__).resolve().parent.parent

_new_tls_context = httpx_transports.create_ssl_context
_default_tls: list[Any] = []


def _shared_tls_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
    """httpx builds a new TLS context (certifi's bundle, ~37 ms) for every client it makes, `httpx.get` and
    friends included, even for http://127.0.0.1; the suite makes thousands. The default one is made once."""
    if verify is not True or cert is not None:
        return _new_tls_context(verify=verify, cert=cert, trust_env=trust_env)
    if not _default_tls:
        _default_tls.append(_new_tls_context(verify=verify, cert=cert, trust_env=trust_env))
    return _default_tls[0]


httpx_transports.create_ssl_context = _shared_tls_context  # the name httpx's transports call
DEFAULT_WORLD: dict[str, Any] = json.loads((ROOT / "fixtures" / "default.json").read_text("utf-8"))

# Demo tokens of the default world, by first name.
TOKENS = {name: f"demo-token-{name}" for name in ("alice", "bruno", "chloe", "dan", "eva", "giulia")}

# What a state-changing control call carries (a header no web page can send without a refused preflight).
CONTROL = {"X-Mock-Control": "1"}

# The `groupkit` command, run as a real process by the tests that need one.
GROUPKIT = [sys.executable, "-m", "groupkit.cli"]


def user_id(world: dict[str, Any], first_name: str) -> str:
    return next(u["id"] for u in world["users"] if u["firstName"].lower().startswith(first_name))


def group_id(world: dict[str, Any], name: str) -> str:
    return next(g["id"] for g in world["groups"] if g["name"] == name)


@pytest.fixture
def world() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_WORLD)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store's backend a domain test runs over: "memory" (a plain `Store`) or "redis" (a shared world's
    replica, tests/backends.py)."""
    return str(request.param)


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """`make_store(world, rng=..., today=...)`: a fresh store of a copy of `world` over the test's backend;
    on Redis each call is a new world of its own (`redis_worlds`), deleted at the test's teardown."""
    if backend == "memory":
        yield memory_store
        return
    worlds: RedisWorlds = request.getfixturevalue("redis_worlds")
    yield worlds.store


@pytest.fixture
def store(world: dict[str, Any], make_store: StoreFactory) -> Store:
    return make_store(world, rng=random.Random(7), today=lambda: "2026-11-25")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a loopback port, one per test process (xdist worker), stopped at the end."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """An empty Redis database (flushed before the test) of the session's redis-server."""
    url = redis_server.url(0)
    flush(url)
    return url


@pytest.fixture(scope="session")
def redis_worlds_session(redis_server: RedisServer) -> Iterator[RedisWorlds]:
    """Shared worlds for the domain tests (tests/backends.py) in database 1 of the session's redis-server
    (`redis_url` flushes database 0), under names of their own: one client and event loop per test process,
    closed at the end."""
    with RedisWorlds(redis_server.url(1)) as worlds:
        yield worlds


@pytest.fixture
def redis_worlds(redis_worlds_session: RedisWorlds) -> Iterator[RedisWorlds]:
    """The process's `RedisWorlds`; the worlds a test makes with it are deleted from Redis at its teardown."""
    try:
        yield redis_worlds_session
    finally:
        redis_worlds_session.drop()


@pytest.fixture
def app() -> MockApp:
    return create_app(seed=7)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any, limits: Limits | None = None) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread, with uvicorn configured as `groupkit mock`
    configures it (`groupkit.server`: its limits and protocol); yields the base URL."""
    problems = getattr(app, "problems", None)
    with serve_config(
        server_config(app, problems=problems, limits=limits or Limits(), log_level="error")
    ) as url:
        yield url


@contextmanager
def serve_config(config: Any) -> Iterator[str]:
    """Serve a uvicorn configuration's app on a free loopback port in a thread; yields the base URL."""
    sockets = listen("127.0.0.1", 0)
    port = sockets[0].getsockname()[1]
    server = make_server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def shared_mock() -> Iterator[tuple[MockApp, str]]:
    """One mock served by uvicorn on loopback for the whole session (building one costs ~0.4 s)."""
    mock = create_app(seed=7)
    with serve(mock) as url:
        yield mock, url


@pytest.fixture
def live(shared_mock: tuple[MockApp, str]) -> str:
    """Base URL of the shared mock, reset to the default world with an empty journal for this test."""
    mock, url = shared_mock
    httpx.post(f"{url}/__mock__/reset", headers=CONTROL).raise_for_status()
    httpx.delete(f"{url}/__mock__/journal", headers=CONTROL).raise_for_status()
    return url


@pytest.fixture
def client(live: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live, timeout=10) as http:
        yield http


def auth(name: str) -> dict[str, str]:
    return {"Authorization": TOKENS[name]}


def start_mock(
    *options: str, port: int | None = None, env: Mapping[str, str] | None = None, timeout: float = 30
) -> tuple[subprocess.Popen[str], str]:
    """`groupkit mock --port PORT OPTIONS` as a real process (a free port unless given), once it answers HTTP
    (any status: with an admin token even /__mock__/health is refused): the process and its base URL. If it
    exits or stays silent for `timeout` seconds, it is killed and AssertionError carries its stderr."""
    port = port or free_port()
    process = subprocess.Popen(
        [*GROUPKIT, "mock", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{url}/__mock__/health")
            return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.communicate()[1])
        time.sleep(0.1)
