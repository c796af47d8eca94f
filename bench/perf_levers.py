"""What each of the mock's speed levers buys, in process: the same requests (`perf_calls.asgi_call`) to mocks
built with every lever, with all but one, and with none (connexion 3.3 as it comes: its `AsyncApp`, its
`_accepts_kwarg`, its jsonschema validators alone), measured in interleaved rounds, each starting with
another variant, so that a busy machine slows every variant alike; the median CPU microseconds per request,
and the ratio to the mock with none.

    .venv/bin/python bench/perf_levers.py [--requests 300] [--rounds 5]
    .venv/bin/python bench/perf_levers.py --mock mock --port 8080     # `groupkit mock ...` without any lever
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, however this is run

import perf_calls  # noqa: E402
import perf_wrk  # noqa: E402

LEVERS = (
    "compiled schemas",
    "the fast app (handlers decorated once, Swagger UI by path)",
    "signatures read once",
)


@contextlib.contextmanager
def without(levers: tuple[str, ...]) -> Iterator[None]:
    """While building a mock: the levers named turned off, by putting connexion's own code back."""
    from connexion import AsyncApp
    from connexion.security import AbstractSecurityHandler

    from groupkit import fastschema

    with contextlib.ExitStack() as stack:
        if "compiled schemas" in levers:
            stack.enter_context(mock.patch.object(fastschema, "compile", lambda *args, **kwargs: None))
        if "the fast app (handlers decorated once, Swagger UI by path)" in levers:
            stack.enter_context(mock.patch("groupkit.app.FastAsyncApp", AsyncApp))
        if "signatures read once" in levers:
            stack.enter_context(
                mock.patch("groupkit.binding.accepts_kwarg", AbstractSecurityHandler._accepts_kwarg)
            )
        yield


def variants() -> dict[str, tuple[str, ...]]:
    """Name -> the levers turned off."""
    return {
        "every lever": (),
        **{f"without {lever}": (lever,) for lever in LEVERS},
        "no lever (connexion as it comes)": LEVERS,
    }


def build(off: tuple[str, ...]) -> Any:
    from groupkit.app import create_app

    with without(off):
        app = create_app()
        for target in perf_wrk.TARGETS:  # the first requests compile and decorate: not measured
            path, _, query = target.path.partition("?")
            asyncio.run(perf_calls.asgi_call(app, target.method, path, query, (target.body or "").encode())())
    return app


def measure(requests: int, rounds: int) -> dict[str, dict[str, float]]:
    """Variant -> target -> median CPU µs per request over `rounds` interleaved rounds."""
    apps = {name: build(off) for name, off in variants().items()}
    samples: dict[str, dict[str, list[float]]] = {
        name: {t.label: [] for t in perf_wrk.TARGETS} for name in apps
    }
    names = list(apps)
    for round_ in range(rounds):
        turn = round_ % len(names)  # each round starts with another variant: no variant always goes first
        for target in perf_wrk.TARGETS:
            path, _, query = target.path.partition("?")
            for name in names[turn:] + names[:turn]:
                app = apps[name]
                app.reset()
                gc.collect()  # no variant pays for another's garbage
                call = perf_calls.asgi_call(app, target.method, path, query, (target.body or "").encode())
                started = time.process_time()
                asyncio.run(perf_calls._repeat(call, requests, target.label))
                samples[name][target.label].append((time.process_time() - started) / requests * 1e6)
    return {name: {label: statistics.median(v) for label, v in by.items()} for name, by in samples.items()}


def report(figures: dict[str, dict[str, float]]) -> str:
    labels = [t.label for t in perf_wrk.TARGETS]
    none = figures["no lever (connexion as it comes)"]
    lines = [
        "| mock built with | " + " | ".join(f"{label}: CPU µs (x faster)" for label in labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for name, by in figures.items():
        cells = [f"{by[label]:,.0f} (x{none[label] / by[label]:.2f})" for label in labels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--mock"]:  # `groupkit` with these arguments, every lever off (conform_bench.py)
        from groupkit.cli import main as groupkit

        with without(LEVERS):
            sys.exit(groupkit(sys.argv[2:]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per target, variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(report(measure(args.requests, args.rounds)))


if __name__ == "__main__":
    main()
