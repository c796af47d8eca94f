"""The big-world figures: how long `groupkit mock --fixtures FILE` takes to load generated worlds of growing
size (bench/bigworld.py) and how much memory it holds, and what one page of each list costs there, against
the same pages with the default world (sequential requests on one kept-alive connection, median latency).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bigworld
from perf_servers import TOKEN, ServerFailed, free_port, groupkit, request

MIB = 1 << 20
SECOND = ", page 2"


@dataclass(frozen=True)
class Page:
    """One page to time; `follow` also times the second page (through the first page's nextToken)."""

    label: str
    path: str
    token: str = TOKEN
    follow: bool = True


PAGES = (
    Page("GET /user/groups?limit=10 as Alice (sees every generated group)", "/user/groups?limit=10"),
    Page("GET /user/groups?limit=10 as Eva (sees 2 groups)", "/user/groups?limit=10", "demo-token-eva"),
    Page(
        "GET /group/devices?limit=10 (ACME Lyon Warehouse)",
        f"/group/devices?groupId={bigworld.LYON}&limit=10",
    ),
    Page("GET /group/users?limit=10 (ACME Logistics)", f"/group/users?groupId={bigworld.ACME}&limit=10"),
    Page("GET /group/roles?limit=10", "/group/roles?limit=10"),
    Page("GET /group (ACME Logistics, with its counts)", f"/group?groupId={bigworld.ACME}", follow=False),
)


def _timed(port: int, path: str, token: str, requests: int, budget: float) -> dict[str, Any]:
    """Median, min and max latency in ms of up to `requests` GETs of `path` (stopping after `budget` s)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": token}
    times: list[float] = []
    try:
        request(port, "GET", path, headers=headers, connection=connection)  # warm: not counted
        deadline = time.monotonic() + budget
        while len(times) < requests and time.monotonic() < deadline:
            started = time.perf_counter()
            status, body = request(port, "GET", path, headers=headers, connection=connection)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise ServerFailed(f"GET {path} answered {status}: {body[:200]!r}")
    finally:
        connection.close()
    return {
        "median_ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "max_ms": round(max(times), 3),
        "requests": len(times),
    }


def _first(label: str) -> str:
    return label.removesuffix(SECOND)


def pages(port: int, requests: int, budget: float) -> dict[str, dict[str, Any]]:
    """Each of PAGES timed (and its second page, where there is one)."""
    timings: dict[str, dict[str, Any]] = {}
    for page in PAGES:
        timings[page.label] = _timed(port, page.path, page.token, requests, budget)
        if not page.follow:
            continue
        _, body = request(port, "GET", page.path, headers={"Authorization": page.token})
        token = json.loads(body).get("nextToken")
        if token:
            second = f"{page.path}&nextToken={urllib.parse.quote(token, safe='')}"
            timings[page.label + SECOND] = _timed(port, second, page.token, requests, budget)
    return timings


def _measure(name: str, fixtures: str, scratch: Path, *, options: dict[str, Any]) -> dict[str, Any]:
    """Start the mock on `fixtures`, time its start and pages, note its memory; stopped in every case."""
    port = free_port()
    with groupkit(port, scratch / "logs" / f"{name}.log", fixtures) as server:
        started = server.start(timeout=options["load_limit"], max_rss=options["max_rss"])
        row: dict[str, Any] = {"start_s": round(started, 2), "rss_mib": round(server.rss() / MIB)}
        row["pages"] = pages(port, options["requests"], options["budget"])
        row["rss_after_pages_mib"] = round(server.rss() / MIB)
        return row


def figures(
    scratch: Path,
    sizes: list[tuple[int, int]],
    *,
    requests: int,
    budget: float,
    load_limit: float,
    max_rss: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """The default world's figures, then each size's, smallest first. A size whose load the previous one
    predicts (linearly) over `load_limit` is skipped, as is every size after one that failed."""
    options = {"requests": requests, "budget": budget, "load_limit": load_limit, "max_rss": max_rss}
    progress("big world: the default world")
    default = _measure("groupkit-default-world", "default", scratch, options=options)
    rows: list[dict[str, Any]] = []
    for groups, devices in sizes:
        row: dict[str, Any] = {"groups": groups, "devices": devices}
        rows.append(row)
        done = [r for r in rows if "start_s" in r]
        if len(done) < len(rows) - 1:
            row["skipped"] = "a smaller world failed"
            continue
        if done:
            last = done[-1]
            scale = (groups + devices) / (last["groups"] + last["devices"])
            predicted = default["start_s"] + (last["start_s"] - default["start_s"]) * scale
            if predicted > load_limit:
                row["skipped"] = f"predicted load {predicted:.0f} s (linear) > limit {load_limit:.0f} s"
                continue
        path = scratch / f"world-{groups}-groups-{devices}-devices.json"
        if not path.exists():
            progress(f"big world: generating {path.name}")
            started = time.monotonic()
            bigworld.write(path, groups, devices)
            row["generated_s"] = round(time.monotonic() - started, 1)
        row["file_mib"] = round(path.stat().st_size / MIB)
        progress(f"big world: loading {groups} groups, {devices} devices")
        try:
            row.update(_measure(f"groupkit-{groups}-groups", str(path), scratch, options=options))
        except ServerFailed as error:
            row["failed"] = str(error)[:300]
            continue
        row["load_s"] = round(row["start_s"] - default["start_s"], 2)
        row["page_ratio"] = {  # a second page against the default world's first (it has no second)
            label: round(timing["median_ms"] / default["pages"][_first(label)]["median_ms"], 2)
            for label, timing in row["pages"].items()
        }
    return {"default": default, "sizes": rows}
