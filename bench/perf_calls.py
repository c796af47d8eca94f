"""What one request costs inside the mock's process, without HTTP: cProfile counts the calls each target's
request makes in the mock of `create_app()`, called as an ASGI app, and process time gives its CPU.

The counts (Python function calls, inspect.signature and who calls it, jsonschema's descend and evolve,
JSON) do not depend on the machine's load, so they show a change where req/s on a busy machine cannot.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from collections.abc import Callable, Coroutine
from typing import Any

import perf_wrk
from perf_servers import TOKEN

# Functions counted per request, by (file suffix, function name), as cProfile names them.
WATCHED = {
    "inspect.signature": ("inspect.py", "signature"),
    "connexion inspect_function_arguments": ("connexion/utils.py", "inspect_function_arguments"),
    "jsonschema Validator.descend": ("jsonschema/validators.py", "descend"),
    "jsonschema Validator.evolve": ("jsonschema/validators.py", "evolve"),
    "jsonschema Validator.iter_errors": ("jsonschema/validators.py", "iter_errors"),
    "compiled schema checks (groupkit.fastschema)": ("groupkit/fastschema.py", "is_valid"),
    "json.dumps": ("json/__init__.py", "dumps"),
    "json.loads": ("json/__init__.py", "loads"),
}

Call = Callable[[], Coroutine[Any, Any, tuple[int, bytes]]]


def asgi_call(
    app: Any, method: str, path: str, query: str = "", body: bytes = b"", token: str = TOKEN
) -> Call:
    """A coroutine function sending one request straight to the ASGI `app` with `Authorization: token`;
    it answers status and body."""
    headers = [(b"host", b"127.0.0.1:8080"), (b"authorization", token.encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }

    async def call() -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(dict(scope, state={}), receive, send)
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    return call


async def _repeat(call: Call, times: int, label: str) -> None:
    for _ in range(times):
        status, body = await call()
        if status != 200:
            raise RuntimeError(f"{label} answered {status}: {body[:200]!r}")


def _counts(stats: pstats.Stats, requests: int) -> dict[str, Any]:
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    total = sum(row[1] for row in table.values())  # all calls, recursive ones included
    watched = {name: 0 for name in WATCHED}
    callers: dict[str, int] = {}
    for (file, _line, function), row in table.items():
        for name, (suffix, watched_function) in WATCHED.items():
            if file.endswith(suffix) and function == watched_function:
                watched[name] += row[1]
                if name == "connexion inspect_function_arguments":
                    for (caller_file, caller_line, caller), numbers in row[4].items():
                        where = f"{caller} ({caller_file.rsplit('site-packages/', 1)[-1]}:{caller_line})"
                        callers[where] = callers.get(where, 0) + numbers[1]
    return {
        "function_calls": round(total / requests, 1),
        **{name: round(count / requests, 2) for name, count in watched.items()},
        "inspect_function_arguments callers": {k: round(v / requests, 2) for k, v in sorted(callers.items())},
    }


def measure(requests: int = 200) -> dict[str, dict[str, Any]]:
    """Per target: CPU microseconds per request (no profiler), then the profiled call counts per request.
    The mock is reset before each target, so both start from the default world."""
    from groupkit.app import create_app  # here: importing the mock is part of no other measurement

    app = create_app()
    figures: dict[str, dict[str, Any]] = {}
    for target in perf_wrk.TARGETS:
        path, _, query = target.path.partition("?")
        call = asgi_call(app, target.method, path, query, (target.body or "").encode())
        app.reset()
        # The first requests build connexion's middleware stack: not counted.
        asyncio.run(_repeat(call, 5, target.label))
        app.reset()
        started = time.process_time()
        asyncio.run(_repeat(call, requests, target.label))
        cpu_us = (time.process_time() - started) / requests * 1e6
        app.reset()
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(_repeat(call, requests, target.label))
        profiler.disable()
        figures[target.label] = {"cpu_us": round(cpu_us), **_counts(pstats.Stats(profiler), requests)}
    return figures


def report(figures: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table, one column per target, then who calls inspect.signature."""
    labels = list(figures)
    rows = ["cpu_us", "function_calls", *WATCHED]
    lines = ["| per request, in process | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for row in rows:
        name = (
            "CPU µs (no profiler)"
            if row == "cpu_us"
            else "Python function calls"
            if row == "function_calls"
            else row
        )
        lines.append(f"| {name} | " + " | ".join(f"{figures[label][row]:g}" for label in labels) + " |")
    for label in labels:
        lines.append(f"\ninspect_function_arguments (inspect.signature) callers per request, {label}:")
        for where, count in figures[label]["inspect_function_arguments callers"].items():
            lines.append(f"  {count:g}  {where}")
    return "\n".join(lines)
