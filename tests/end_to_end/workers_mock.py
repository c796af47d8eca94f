"""A two-worker `groupkit mock --store URL --workers 2` as a real process for the shared-store wire tests
(tests/end_to_end/test_shared_store.py): starting and stopping it, its processes read from /proc, which
worker holds which connection, and a crowd of connections spread over both workers that fires requests at
once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import GROUPKIT, TOKENS, free_port

WORKERS = 2

# ------------------------------------------------------------------------------- processes and connections


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


ORPHAN_GRACE = 5.0  # seconds: multiprocessing's resource tracker exits on its own just after the parent


def left_behind(pids: set[int], grace: float = ORPHAN_GRACE) -> list[int]:
    """Those of `pids` still running `grace` seconds after the mock's parent ended: its orphans. The resource
    tracker sees its parent's end only when its pipe closes, so it outlives the parent by a few milliseconds."""
    deadline = time.monotonic() + grace
    while (running := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return running


def spawned_workers(pid: int) -> set[int]:
    """The mock's worker processes (multiprocessing's spawned children; its resource tracker is not one)."""
    workers = set()
    for child in children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.add(child)
    return workers


def connections_by_worker(port: int, workers: set[int]) -> dict[int, int]:
    """Which worker holds each established connection to `port`: the client's port -> the worker's pid
    (the server side of each connection in /proc/net/tcp, its socket found among the worker's files)."""
    inodes: dict[int, int] = {}  # socket inode -> the client's port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state == "01" and int(local.rpartition(":")[2], 16) == port:
                inodes[inode] = int(remote.rpartition(":")[2], 16)
    held: dict[int, int] = {}
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().name
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                held[inodes[int(target[8:-1])]] = pid
    return held


@dataclass
class Mock:
    process: subprocess.Popen[str]
    url: str
    port: int
    workers: set[int]


def start_workers(store: str, timeout: float = 60) -> Mock:
    """`groupkit mock --store STORE --workers 2` on a free port, once both workers are up and it answers. Idle
    connections are kept a minute, so that a `Crowd`'s stay with the worker that accepted them."""
    port = free_port()
    process = subprocess.Popen(
        [*GROUPKIT, "mock", "--store", store, "--workers", str(WORKERS), "--port", str(port),
         "--shutdown-timeout", "2", "--keep-alive", "60", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        workers = spawned_workers(process.pid)
        try:
            up = len(workers) == WORKERS and httpx.get(f"{url}/__mock__/health").status_code == 200
        except httpx.TransportError:
            up = False
        if up:
            return Mock(process, url, port, workers)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.communicate()[1])
        time.sleep(0.2)


def stop(mock: Mock) -> None:
    """SIGTERM, then every process of the mock gone (the parent, the workers, the resource tracker)."""
    everyone = children(mock.process.pid)
    mock.process.send_signal(signal.SIGTERM)
    try:
        _, err = mock.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        mock.process.kill()
        _, err = mock.process.communicate()
        pytest.fail(f"SIGTERM did not stop the mock within 20 s: {err}")
    assert left_behind(everyone) == [], "orphans left"
    assert "Traceback" not in err, err


def signal_kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Crowd:
    """Connections opened until each worker holds `per_worker` of them (which worker accepted each is read
    from /proc), `per_worker` per worker kept, each a client of one connection."""

    def __init__(self, mock: Mock, per_worker: int) -> None:
        self.mock, self.per_worker = mock, per_worker
        self.clients: dict[int, list[httpx.AsyncClient]] = {pid: [] for pid in mock.workers}
        self.ports: dict[int, int] = {}  # id of a kept client -> its connection's local port

    async def __aenter__(self) -> Crowd:
        spare: list[httpx.AsyncClient] = []
        for _ in range(20):
            batch = [
                httpx.AsyncClient(base_url=self.mock.url, timeout=30, limits=httpx.Limits(max_connections=1))
                for _ in range(self.per_worker * WORKERS)
            ]
            answers = await asyncio.gather(*(client.get("/__mock__/health") for client in batch))
            held = connections_by_worker(self.mock.port, self.mock.workers)
            for client, answer in zip(batch, answers, strict=True):
                port = client_port(answer)
                worker = held.get(port)
                if worker is not None and len(self.clients[worker]) < self.per_worker:
                    self.clients[worker].append(client)
                    self.ports[id(client)] = port
                else:
                    spare.append(client)
            if all(len(kept) == self.per_worker for kept in self.clients.values()):
                break
        for client in spare:
            await client.aclose()
        assert all(len(kept) == self.per_worker for kept in self.clients.values()), (
            f"after 20 batches of connections a worker holds fewer than {self.per_worker}"
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for kept in self.clients.values():
            for client in kept:
                await client.aclose()

    async def fire(self, requests: list[tuple[str, str, str, dict[str, Any]]]) -> list[httpx.Response]:
        """Each (method, path, token, httpx keywords) on its own connection, all at once, alternating workers."""
        interleaved = [client for pair in zip(*self.clients.values(), strict=True) for client in pair]
        assert len(requests) <= len(interleaved)
        used = interleaved[: len(requests)]
        responses = await asyncio.gather(
            *(
                client.request(method, path, headers={"Authorization": TOKENS[token]}, **keywords)
                for client, (method, path, token, keywords) in zip(used, requests, strict=True)
            )
        )
        moved = [
            r for client, r in zip(used, responses, strict=True) if client_port(r) != self.ports[id(client)]
        ]
        assert not moved, "a request went over a new connection, maybe to the other worker"
        return list(responses)


def client_port(response: httpx.Response) -> int:
    """The local port of the connection a response came over."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])
