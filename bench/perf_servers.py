"""The servers a benchmark runs: each a subprocess in its own session on a loopback port, started and timed
to its first 200 (cold start), measured (resident memory of its whole session) and always stopped.

Every request here goes to 127.0.0.1; every wait has a deadline.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
CONTRACT = REPO / "openapi.yaml"
TOKEN = "demo-token-alice"
READY_PATH = "/user/groups"  # cold start: from spawn to the first 200 here, with TOKEN


class ServerFailed(RuntimeError):
    """Raised when a server exits, outgrows its memory limit or does not answer 200 in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    """One request to 127.0.0.1:`port` (on `connection` if given, kept open); its status and body."""
    conn = connection or http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if connection is None:
            conn.close()


def session_rss(session: int) -> int:
    """Resident memory in bytes (VmRSS) of every live process of `session` (a server and its children)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[3]) != session:  # pid (comm) state ppid pgrp session
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total


class Server:
    """One server process; use as a context manager (or call `stop`) so that it never outlives the run."""

    def __init__(
        self,
        name: str,
        command: list[str],
        port: int,
        log: Path,
        *,
        cwd: Path = REPO,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.log = log
        self.cwd = cwd  # and `env` (None: this process's): another checkout's code, for bench/perf_stores.py
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.cold_start = float("nan")

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def start(self, timeout: float = 60.0, max_rss: int | None = None) -> float:
        """Spawn the server and wait for its first 200 on READY_PATH; the seconds that took (cold start)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            started = time.monotonic()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = started + timeout
        headers = {"Authorization": TOKEN}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited ({self.process.returncode}): {self._tail()}")
            if max_rss is not None and session_rss(self.pid) > max_rss:
                self.stop()
                raise ServerFailed(f"{self.name} grew over {max_rss >> 20} MiB while starting")
            try:
                status, _ = request(self.port, "GET", READY_PATH, headers=headers, timeout=2)
            except (OSError, http.client.HTTPException):
                time.sleep(0.01)
                continue
            if status == 200:
                self.cold_start = time.monotonic() - started
                return self.cold_start
            time.sleep(0.01)
        self.stop()
        raise ServerFailed(f"{self.name} gave no 200 on {READY_PATH} within {timeout:.0f} s: {self._tail()}")

    def rss(self) -> int:
        return session_rss(self.pid)

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after 5 s; idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)  # the group this run created (start_new_session)
            except ProcessLookupError:
                return
            try:
                process.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue
        print(f"warning: {self.name} (pid {process.pid}) did not stop", file=sys.stderr)

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-600:].strip()
        except OSError:
            return "(no log)"

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def prism(command: Path, port: int, log: Path) -> Server:
    """Prism's static mock of the contract; `-v error`, as its default logging halves its throughput."""
    args = [str(command), "mock", str(CONTRACT), "-p", str(port), "-h", HOST, "-v", "error"]
    return Server("prism", args, port, log)


def groupkit(port: int, log: Path, fixtures: str = "default", *extra: str) -> Server:
    """`groupkit mock` with its defaults (every validation, auth, journal and CORS on) and `fixtures`."""
    args = [sys.executable, "-m", "groupkit.cli", "mock", "--port", str(port), "--fixtures", fixtures]
    return Server("groupkit", [*args, *extra], port, log)


def reset(port: int) -> None:
    """Back to the world the mock started with (`POST /__mock__/reset`)."""
    status, body = request(port, "POST", "/__mock__/reset", headers={"X-Mock-Control": "1"})
    if status != 200:
        raise ServerFailed(f"reset answered {status}: {body[:200]!r}")
