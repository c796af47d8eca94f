"""Benchmark of what `groupkit proxy` adds to a request's time on loopback: the same requests sent directly to
the mock and through the proxy in front of it, p50 and p99 of each and the difference. Goal: under 5 ms at p50.

Starts `groupkit mock` and `groupkit proxy --upstream <the mock>` as real processes on free loopback ports,
warms both up, then sends N sequential requests over one keep-alive connection to each, interleaved (a
direct one, a proxied one, ...) so that both see the same machine load. The requests are a frontend's reads:
a list of the caller's groups, one group, its users and its roles.

    python bench/proxy_bench.py                   # 500 requests each way
    python bench/proxy_bench.py --requests 2000
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

GROUPKIT = [sys.executable, "-m", "groupkit.cli"]
HEADERS = {"Authorization": "demo-token-alice"}
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(arguments: list[str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*GROUPKIT, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/group/roles", headers=HEADERS)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"{' '.join(arguments)} did not start") from None
            time.sleep(0.1)


def cpu_seconds(process: subprocess.Popen[bytes]) -> float | None:
    """The CPU time (user + system) `process` used so far; None where /proc does not say (not Linux)."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500, help="requests each way (default: %(default)s)")
    args = parser.parse_args()
    mock_port, proxy_port = free_port(), free_port()
    mock_url, proxy_url = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{proxy_port}"
    mock = start(["mock", "--port", str(mock_port), "--seed", "1"], mock_url)
    proxy = start(["proxy", "--upstream", mock_url, "--port", str(proxy_port)], proxy_url)
    try:
        with httpx.Client(base_url=mock_url, headers=HEADERS) as direct:
            group = direct.get("/user/groups").json()["items"][0]["id"]
        targets = [
            ("/user/groups", {}),
            ("/group", {"groupId": group}),
            ("/group/users", {"groupId": group}),
            ("/group/roles", {}),
        ]
        timings: dict[str, list[float]] = {"direct": [], "proxied": []}
        with (
            httpx.Client(base_url=mock_url, headers=HEADERS) as direct,
            httpx.Client(base_url=proxy_url, headers=HEADERS) as proxied,
        ):
            clients = {"direct": direct, "proxied": proxied}
            for index in range(50):  # warm-up: connections, caches, compiled validators
                for client in clients.values():
                    client.get(*targets[index % len(targets)][:1], params=targets[index % len(targets)][1])
            cpu_before = cpu_seconds(proxy)
            for index in range(args.requests):
                path, params = targets[index % len(targets)]
                for name, client in clients.items():
                    started = time.perf_counter()
                    answer = client.get(path, params=params)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    if answer.status_code != 200:
                        raise SystemExit(f"{name} GET {path} answered {answer.status_code}")
            cpu_after = cpu_seconds(proxy)
    finally:
        proxy.send_signal(signal.SIGINT)
        mock.send_signal(signal.SIGINT)
        for process in (proxy, mock):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print(f"{args.requests} requests each way, sequential, one keep-alive connection each (ms)")
    print(f"{'':10} {'p50':>8} {'p99':>8} {'mean':>8}")
    for name, values in timings.items():
        print(
            f"{name:10} {statistics.median(values):8.2f} {percentile(values, 0.99):8.2f} "
            f"{statistics.fmean(values):8.2f}"
        )
    added = statistics.median(timings["proxied"]) - statistics.median(timings["direct"])
    added99 = percentile(timings["proxied"], 0.99) - percentile(timings["direct"], 0.99)
    print(f"{'added':10} {added:8.2f} {added99:8.2f}   (goal: under 5 ms at p50)")
    if cpu_before is not None and cpu_after is not None:
        per_request = (cpu_after - cpu_before) / args.requests * 1000
        print(f"the proxy's CPU time per request (forwarding and checking): {per_request:.2f} ms")
    return 0 if added < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
