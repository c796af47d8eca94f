"""Side-by-side performance of `groupkit mock` (defaults: every validation, auth, journal, CORS) and Prism's
static mock of the same contract, on loopback, and the mock's figures with a big generated world.

Installs what is missing (Prism into a scratch folder with npm; wrk, and Node.js if needed, with apt-get
as root, else it prints the command), starts both servers, times their cold start (spawn to the first 200
on GET /user/groups), runs `wrk -t1 -c32 --latency` on each target in interleaved rounds (A B A B ...;
the mock is reset before each of its runs, so every run starts from the default world) and prints one table
of medians. Then counts the calls one request makes in process (`perf_calls.py`), and loads worlds of
growing size (`bigworld.py`) to time a page of each list. See bench/README.md.

    .venv/bin/python bench/perf.py                          # defaults: 3 rounds of 10 s, big worlds
    .venv/bin/python bench/perf.py --duration 5 --rounds 5 --no-big-world
    .venv/bin/python bench/perf.py --profile --no-big-world # and py-spy the mock under each target
    .venv/bin/python bench/perf.py --floors --no-big-world  # and the floors of bench/perf_floor.py
    .venv/bin/python bench/perf.py --json perf.json         # and the figures as JSON (`-`: on stdout)
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # the sibling modules, however this is run

import perf_calls as calls  # noqa: E402
import perf_hotspots as hotspots  # noqa: E402
import perf_servers as servers  # noqa: E402
import perf_stores as stores  # noqa: E402
import perf_tables as tables  # noqa: E402
import perf_tools as tools  # noqa: E402
import perf_worlds as worlds  # noqa: E402
import perf_wrk as load  # noqa: E402

MIB = 1 << 20


def progress(message: str) -> None:
    print(f"[perf] {message}", file=sys.stderr, flush=True)


def _sizes(text: str) -> list[tuple[int, int]]:
    """`GROUPS:DEVICES,...` as pairs."""
    pairs = [part.split(":") for part in text.split(",") if part]
    return [(int(groups), int(devices)) for groups, devices in pairs]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--duration", type=float, default=10, help="seconds of each wrk run (default: %(default)s)")
    add("--rounds", type=int, default=3, help="interleaved rounds per target (default: %(default)s)")
    add("--connections", type=int, default=32, help="wrk's -c (default: %(default)s)")
    add("--threads", type=int, default=1, help="wrk's -t (default: %(default)s)")
    add(
        "--warmup",
        type=float,
        default=2,
        help="seconds of load per server and target before round 1, not counted",
    )
    add("--cold-starts", type=int, default=3, help="starts of each server to time (default: %(default)s)")
    add("--mock-arg", action="append", default=[], metavar="ARG", help="an extra `groupkit mock` argument")
    add(
        "--scratch",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "groupkit-bench",
    )
    add(
        "--json",
        metavar="FILE",
        help="also write the figures as JSON to FILE (-: stdout, the tables go to stderr)",
    )
    add("--no-load", action="store_true", help="skip the side-by-side load (cold start and wrk)")
    add("--no-calls", action="store_true", help="skip the in-process count of calls per request")
    add(
        "--profile",
        action="store_true",
        help="after the rounds, py-spy the mock (and the connexion floor) per target",
    )
    add("--floors", action="store_true", help="also load the floors of bench/perf_floor.py in the rounds")
    add("--no-big-world", action="store_true", help="skip the big-world figures")
    add(
        "--stores",
        action="store_true",
        help="also the shared store's rows: in memory vs --store redis:// with 1 and 2 workers (perf_stores.py)",
    )
    add("--vs-base", type=Path, metavar="DIR", help="with --stores, also the in-memory mock of checkout DIR")
    add(
        "--big-sizes",
        type=_sizes,
        default=_sizes("1000:10000,10000:100000,100000:1000000"),
        metavar="G:D,...",
    )
    add(
        "--load-limit",
        type=float,
        default=120,
        help="seconds a big world may take to load (default: %(default)s)",
    )
    add("--max-rss-gib", type=float, default=8, help="memory a big world may take (default: %(default)s)")
    add("--page-requests", type=int, default=200, help="requests per page timed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.vs_base is not None and not args.stores:
        parser.error("--vs-base adds a row to --stores: add --stores")
    return args


FLOORS = {  # name: bench/perf_floor.py's arguments
    "starlette floor": ["starlette"],
    "connexion floor": ["connexion"],
    "connexion floor + response validation": ["connexion", "--validate-responses"],
    "connexion floor + response validation + levers": [
        "connexion",
        "--validate-responses",
        "--levers",
    ],
}


def side_by_side(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    """Cold starts, then the interleaved wrk rounds, then memory (and the profiles, with --profile)."""
    wrk = tools.wrk()
    prism_command = tools.prism(args.scratch)
    logs = args.scratch / "logs"

    def make(name: str) -> servers.Server:
        port = servers.free_port()
        if name == "prism":
            return servers.prism(prism_command, port, logs / "prism.log")
        if name in FLOORS:
            command = [sys.executable, str(BENCH / "perf_floor.py"), *FLOORS[name], "--port", str(port)]
            return servers.Server(name, command, port, logs / f"{name.replace(' ', '-')}.log")
        return servers.groupkit(port, logs / "groupkit.log", "default", *args.mock_arg)

    names = ["prism", "groupkit", *(FLOORS if args.floors else ())]
    figures: dict[str, Any] = {
        name: {"cold_start_s": [], "rss_idle_mib": [], "targets": {t.label: [] for t in load.TARGETS}}
        for name in names
    }
    versions = {
        "prism": tools.version([str(prism_command), "--version"]),
        "groupkit": tools.version([sys.executable, "-m", "groupkit.cli", "--version"]),
    }
    running: dict[str, servers.Server] = {}
    for attempt in range(args.cold_starts):
        for name in names[:2]:  # interleaved, so that a busy moment of the machine hits both
            server = stack.enter_context(make(name))
            figures[name]["cold_start_s"].append(round(server.start(), 3))
            figures[name]["rss_idle_mib"].append(round(server.rss() / MIB, 1))
            if attempt < args.cold_starts - 1:
                server.stop()
            else:
                running[name] = server
    progress("cold starts: " + ", ".join(f"{n} {figures[n]['cold_start_s']}" for n in names[:2]))
    for name in names[2:]:  # the floors' start builds their canned answers: not a cold start to compare
        running[name] = stack.enter_context(make(name))
        running[name].start()
        figures[name]["rss_idle_mib"].append(round(running[name].rss() / MIB, 1))

    def one_run(name: str, target: load.Target, seconds: float) -> load.Result:
        server = running[name]
        if name == "groupkit":
            servers.reset(server.port)
        return load.run(
            wrk,
            server.port,
            target,
            args.scratch,
            duration=seconds,
            connections=args.connections,
            threads=args.threads,
        )

    load.interleaved(
        names,
        one_run,
        figures,
        warmup=args.warmup,
        rounds=args.rounds,
        duration=args.duration,
        progress=progress,
    )
    for name in names:
        figures[name]["rss_after_load_mib"] = round(running[name].rss() / MIB, 1)
    profiles: dict[str, Any] = {}
    if args.profile:  # the mock, and the connexion floor with --floors (one_run resets the mock)
        py_spy = tools.py_spy()
        seconds = max(1, round(args.duration))
        for name in [n for n in ("groupkit", "connexion floor") if n in running]:
            for target in load.TARGETS:
                raw = args.scratch / "profiles" / f"{name.replace(' ', '-')}-{target.slug}.txt"
                run = functools.partial(one_run, name, target, seconds)
                summary = hotspots.record(py_spy, running[name].pid, raw, seconds, run)
                profiles[f"{name}: {target.label}"] = {"raw": str(raw), **summary.as_dict()}
                progress(f"profile of {name}, {target.label} ({raw}):\n{hotspots.report(summary)}")
    for server in running.values():
        server.stop()
    return {"versions": versions, "servers": figures, "profiles": profiles}


def title(figures: dict[str, Any], args: argparse.Namespace) -> str:
    return (
        f"groupkit mock ({figures['versions']['groupkit']}) vs Prism ({figures['versions']['prism']}): "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency, {args.rounds} interleaved "
        f"rounds, medians (min-max); {os.cpu_count()} CPUs"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through the ExitStack, which stops every server

    signal.signal(signal.SIGTERM, terminated)
    args.scratch.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"cpus": os.cpu_count(), "arguments": {k: str(v) for k, v in vars(args).items()}}
    out: Callable[[str], None] = (lambda text: print(text, file=sys.stderr)) if args.json == "-" else print
    try:
        with contextlib.ExitStack() as stack:
            if not args.no_load:
                report["side_by_side"] = side_by_side(args, stack)
                out(
                    tables.side_by_side(
                        report["side_by_side"]["servers"], title(report["side_by_side"], args)
                    )
                )
            if args.stores:
                report["stores"] = stores.measure(args, stack, progress)
                out("\n" + stores.table(report["stores"], stores.title(report["stores"], args)))
            if not args.no_calls:
                progress("calls per request, in process")
                report["calls"] = calls.measure()
                out("\n" + calls.report(report["calls"]))
            if not args.no_big_world:
                report["big_world"] = worlds.figures(
                    args.scratch,
                    args.big_sizes,
                    requests=args.page_requests,
                    budget=30,
                    load_limit=args.load_limit,
                    max_rss=int(args.max_rss_gib * (1 << 30)),
                    progress=progress,
                )
                out("\n" + tables.big_world(report["big_world"]))
    except (tools.Missing, servers.ServerFailed, load.WrkFailed) as error:
        progress(f"stopped: {error}")
        return 2
    if args.json == "-":
        print(json.dumps(report, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
