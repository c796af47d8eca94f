"""Load with wrk for `perf.py`: the requests it sends (`TARGETS`), one bounded wrk run against a loopback
port, and the figures read from wrk's `--latency` report (requests per second, p50, p99, errors)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_servers import HOST, TOKEN

# The POST body: a valid GroupInput, the same for both servers.
GROUP_INPUT = '{"name": "wrk bench group", "description": "created by bench/perf.py", "tags": ["bench"]}'


@dataclass(frozen=True)
class Target:
    """One request wrk repeats."""

    label: str
    method: str
    path: str
    body: str | None = None

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")


TARGETS = (
    Target("GET /user/groups?limit=10", "GET", "/user/groups?limit=10"),
    Target("POST /group", "POST", "/group", GROUP_INPUT),
)


@dataclass(frozen=True)
class Result:
    """What one wrk run measured; latencies in milliseconds."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


class WrkFailed(RuntimeError):
    """Raised when wrk fails or prints a report that cannot be read."""


def lua_script(target: Target, token: str = TOKEN) -> str:
    """The wrk script sending `target`'s method, headers and body on every request."""
    lines = [f'wrk.method = "{target.method}"', f'wrk.headers["Authorization"] = "{token}"']
    if target.body is not None:
        assert "]==]" not in target.body
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = [==[{target.body}]==]"]
    return "\n".join(lines) + "\n"


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)\b"


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse(report: str) -> Result:
    """The figures of a wrk report printed with `--latency`."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", report, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", report, re.MULTILINE)
    percentiles = {
        int(float(p)): _ms(value, unit)
        for p, value, unit in re.findall(rf"^\s+(\d+(?:\.\d+)?)%\s+{_DURATION}", report, re.MULTILINE)
    }
    if rate is None or total is None or 50 not in percentiles or 99 not in percentiles:
        raise WrkFailed(f"cannot read wrk's report:\n{report}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    return Result(
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run(
    wrk: str,
    port: int,
    target: Target,
    scratch: Path,
    *,
    duration: float,
    connections: int = 32,
    threads: int = 1,
) -> Result:
    """One `wrk -tT -cC -dNs --latency` run of `target` against 127.0.0.1:`port`, bounded in time."""
    script = scratch / f"{target.slug}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(lua_script(target))
    seconds = max(1, round(duration))
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    command += ["-s", str(script), f"http://{HOST}:{port}{target.path}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired as error:
        raise WrkFailed(f"wrk did not finish within {seconds + 60} s") from error
    if done.returncode != 0:
        raise WrkFailed(f"wrk exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return parse(done.stdout)


def interleaved(
    names: Sequence[str],
    one_run: Callable[[str, Target, float], Result],
    figures: dict[str, dict[str, Any]],
    *,
    warmup: float,
    rounds: int,
    duration: float,
    progress: Callable[[str], None],
    label: str = "round",
    rotate: bool = False,
) -> None:
    """Load every server (`names`) with every target in interleaved rounds: first `warmup` seconds each, not
    counted, then `rounds` rounds of `duration` seconds, each run's figures appended under
    `figures[name]["targets"][target.label]` and reported. With `rotate`, each round starts one server later."""
    if warmup > 0:
        for target in TARGETS:
            for name in names:
                one_run(name, target, warmup)
    for number in range(rounds):
        order = [*names[number % len(names) :], *names[: number % len(names)]] if rotate else list(names)
        for target in TARGETS:
            for name in order:
                result = one_run(name, target, duration)
                figures[name]["targets"][target.label].append(vars(result))
                progress(
                    f"{label} {number + 1} {target.label} {name}: {result.requests_per_second:.0f} req/s, "
                    f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
                )
