"""Benchmark of a full default `groupkit conform` run against the mock.

Starts `groupkit mock` (uvicorn) on a free loopback port in its own process, runs the real command line
`groupkit conform` against it (all 13 operations, all phases, default budget, both demo users) and prints
the wall time and the executed cases per second. Goal: under 60 s on a 2-core machine.

    python bench/conform_bench.py                  # one run, seed 1
    python bench/conform_bench.py --repeat 3 --seed 7 --workers 2
    python bench/conform_bench.py --no-levers      # against the mock on connexion as it comes (perf_levers.py)
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SUMMARY = re.compile(r"^(\d+) cases on (\d+) operations in ([\d.]+) s: .*→ exit (\d+)", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mock(port: int, levers: bool = True) -> subprocess.Popen[bytes]:
    arguments = ["mock", "--port", str(port), "--seed", "1"]
    launcher = (
        ["-m", "groupkit.cli"] if levers else [str(Path(__file__).with_name("perf_levers.py")), "--mock"]
    )
    mock = subprocess.Popen(
        [sys.executable, *launcher, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__mock__/health", timeout=1).read()
            return mock
        except OSError:
            time.sleep(0.1)
    mock.kill()
    raise SystemExit("the mock did not start within 30 s")


def reset(port: int) -> None:
    url = f"http://127.0.0.1:{port}/__mock__/reset"
    request = urllib.request.Request(url, method="POST", headers={"X-Mock-Control": "1"})
    urllib.request.urlopen(request, timeout=5).read()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs (the mock is reset before each)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-examples", type=int, help="default: the kit's default")
    parser.add_argument("--log", type=Path, help="keep the last run's output here")
    parser.add_argument(
        "--no-levers", action="store_true", help="the mock without its speed levers (bench/perf_levers.py)"
    )
    args = parser.parse_args()

    port = free_port()
    mock = start_mock(port, levers=not args.no_levers)
    env = {**os.environ, "GROUPKIT_TOKEN": "demo-token-alice", "GROUPKIT_OTHER_TOKEN": "demo-token-eva"}
    command = ["groupkit", "conform", "--base-url", f"http://127.0.0.1:{port}", "--seed", str(args.seed)]
    command += ["--workers", str(args.workers)]
    if args.max_examples is not None:
        command += ["--max-examples", str(args.max_examples)]
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("command:", " ".join(command))
    failed = False
    try:
        for number in range(1, args.repeat + 1):
            reset(port)
            started = time.monotonic()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            wall = time.monotonic() - started
            if args.log is not None:
                args.log.write_text(done.stdout + done.stderr, encoding="utf-8")
            match = SUMMARY.search(done.stdout)
            if match is None:
                print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
                print(f"run {number}: no summary line (exit {done.returncode})")
                failed = True
                continue
            cases, operations, engine = int(match[1]), int(match[2]), float(match[3])
            print(
                f"run {number}: exit {done.returncode}, {cases} cases on {operations} operations, "
                f"wall {wall:.1f} s (run {engine:.1f} s + start-up), {cases / wall:.1f} cases/s"
                + ("" if wall < 60 else "  [over the 60 s goal]")
            )
            failed |= done.returncode != 0
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
