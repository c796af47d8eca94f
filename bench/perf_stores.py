"""The shared store's rows of `perf.py --stores`: `groupkit mock` in memory (one process) against `--store
redis://` with 1 and 2 workers (and, with `--vs-base DIR`, the in-memory mock of another checkout), each loaded
by wrk in the same interleaved rounds, in one table of medians with the ratio to the in-memory mock.

It starts its own redis-server (Debian's binary, `appendonly yes` as the README advises for a team's mock) on a
free loopback port, one database per worker count, and stops it at the end; every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import perf_servers as servers
import perf_tools as tools
import perf_wrk as load
from perf_tables import load_cells

sys.path.insert(0, str(servers.REPO))  # tests/redis_server.py, the suite's own redis-server starter
from tests.redis_server import RedisServer  # noqa: E402

MIB = 1 << 20
MEMORY = "in memory, 1 process"  # the reference every ratio is taken against
WORKERS = (1, 2)


def redis_name(workers: int) -> str:
    return f"redis, {workers} worker{'s' if workers > 1 else ''}"


@dataclass(frozen=True)
class Variant:
    """One way of running `groupkit mock`: its extra arguments, and the checkout whose code it runs."""

    name: str
    arguments: tuple[str, ...] = ()
    checkout: Path = servers.REPO
    env: dict[str, str] | None = field(default=None, compare=False)

    def server(self, port: int, logs: Path, *extra: str) -> servers.Server:
        command = [sys.executable, "-m", "groupkit.cli", "mock", "--port", str(port), "--fixtures", "default"]
        log = logs / f"stores-{self.name.replace(' ', '-').replace(',', '')}.log"
        return servers.Server(
            self.name, [*command, *self.arguments, *extra], port, log, cwd=self.checkout, env=self.env
        )


def base_variant(checkout: Path) -> Variant:
    """The in-memory mock of `checkout` (another commit's work tree) run with this virtualenv's Python: the
    checkout is the working directory (first on `sys.path` under `-m`) and on PYTHONPATH (before the
    virtualenv's editable install of this tree)."""
    checkout = checkout.resolve()
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return Variant(f"in memory, 1 process, base {commit(checkout)}", checkout=checkout, env=env)


def variants(redis: RedisServer, base: Path | None = None) -> list[Variant]:
    """The in-memory mock of this tree, the base checkout's (if any), and one mock on `redis` per worker
    count, each on a database of its own (numbered as its workers)."""
    chosen = [Variant(MEMORY)]
    if base is not None:
        chosen.append(base_variant(base))
    for workers in WORKERS:
        arguments = ("--store", redis.url(workers), "--workers", str(workers))
        chosen.append(Variant(redis_name(workers), arguments))
    return chosen


def imported_from(variant: Variant) -> Path:
    """Where `import groupkit` finds the package in `variant`'s working directory and environment."""
    done = subprocess.run(
        [sys.executable, "-c", "import groupkit; print(groupkit.__file__)"],
        cwd=variant.checkout,
        env=variant.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise servers.ServerFailed(f"{variant.name}: cannot import groupkit: {done.stderr.strip()[-400:]}")
    return Path(done.stdout.strip()).resolve()


def check_code(variant: Variant) -> Path:
    """The package `variant` runs, which must be its checkout's (`ServerFailed` otherwise)."""
    found = imported_from(variant)
    if not found.is_relative_to(variant.checkout.resolve() / "groupkit"):
        raise servers.ServerFailed(f"{variant.name}: imports groupkit from {found}, not {variant.checkout}")
    return found


def commit(checkout: Path) -> str:
    """The short commit id of `checkout`'s HEAD (read with git), or `?`."""
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip() or "?"


def measure(
    args: argparse.Namespace, stack: contextlib.ExitStack, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Start redis-server and every variant, warm each up, then `args.rounds` rounds: in each, every target
    on every variant in turn, the order rotated by one each round (A B C D, B C D A...), each mock reset
    first. The figures per variant: wrk's results per target, resident memory idle and after the load."""
    wrk = tools.wrk()
    logs = args.scratch / "logs"
    try:
        redis = stack.enter_context(RedisServer(appendonly=True))
    except RuntimeError as error:  # not installed, or did not start
        raise servers.ServerFailed(str(error)) from error
    chosen = variants(redis, args.vs_base)
    code = {variant.name: str(check_code(variant)) for variant in chosen}
    running: dict[str, servers.Server] = {}
    figures: dict[str, Any] = {}
    for variant in chosen:
        server = stack.enter_context(variant.server(servers.free_port(), logs, *args.mock_arg))
        cold = server.start()
        running[variant.name] = server
        figures[variant.name] = {
            "arguments": list(variant.arguments),
            "code": code[variant.name],
            "cold_start_s": round(cold, 3),
            "rss_idle_mib": round(server.rss() / MIB, 1),
            "targets": {target.label: [] for target in load.TARGETS},
        }
    progress("stores: " + ", ".join(f"{name} from {code[name]}" for name in running))

    def one_run(name: str, target: load.Target, seconds: float) -> load.Result:
        port = running[name].port
        servers.reset(port)
        return load.run(
            wrk,
            port,
            target,
            args.scratch,
            duration=seconds,
            connections=args.connections,
            threads=args.threads,
        )

    names = list(running)
    load.interleaved(
        names,
        one_run,
        figures,
        warmup=args.warmup,
        rounds=args.rounds,
        duration=args.duration,
        progress=progress,
        label="stores round",
        rotate=True,
    )
    for name, server in running.items():
        figures[name]["rss_after_load_mib"] = round(server.rss() / MIB, 1)
        server.stop()
    return {"redis": redis_version(), "appendonly": True, "variants": figures}


def redis_version() -> str:
    """`redis-server --version`'s version field, or `?`."""
    try:
        done = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    words = [w for w in done.stdout.split() if w.startswith("v=")]
    return words[0][2:] if words else "?"


def table(figures: dict[str, Any], title: str) -> str:
    """One row per target and variant: medians over the rounds (and spreads) of req/s, p50 and p99, the ratio
    to the in-memory mock (of the medians, and the range of the per-round ratios), errors and memory."""
    lines = [
        title,
        "",
        "| target | mock | req/s | req/s min-max | p50 ms | p99 ms | p99 min-max | x in memory (per round)"
        " | errors | RSS idle MiB | RSS after load MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    variants = figures["variants"]
    for target in load.TARGETS:
        base = variants[MEMORY]["targets"][target.label]
        for name, variant in variants.items():
            runs = variant["targets"][target.label]
            lines.append(
                f"| {target.label} | {name} | {load_cells(runs, base)} | "
                f"{variant['rss_idle_mib']:.0f} | {variant['rss_after_load_mib']:.0f} |"
            )
    return "\n".join(lines)


def title(figures: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"groupkit mock in memory vs on Redis {figures['redis']} (appendonly yes, its own redis-server): "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency, {args.rounds} interleaved "
        f"rounds (order rotated each round), each mock reset before each run, medians (min-max); "
        f"{os.cpu_count()} CPUs"
    )
