"""The tables `perf.py` prints (Markdown, so that they paste into docs/performance.md): the side-by-side
medians per target and server, and the big-world figures."""

from __future__ import annotations

import statistics
from typing import Any

from perf_wrk import TARGETS


def medians(runs: list[dict[str, Any]], key: str) -> tuple[float, float, float]:
    """Median, min and max of `key` over wrk runs."""
    values = [run[key] for run in runs]
    return statistics.median(values), min(values), max(values)


def _spread(values: list[float], digits: int = 2) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def load_cells(runs: list[dict[str, Any]], base: list[dict[str, Any]]) -> str:
    """A row's wrk cells for `runs` against `base`, another server's runs of the same rounds: req/s (median,
    min-max), p50, p99 (median, min-max), the ratio to `base` (of the medians, and the range of the per-round
    ratios) and the errors."""
    rps, rps_lo, rps_hi = medians(runs, "requests_per_second")
    p99, p99_lo, p99_hi = medians(runs, "p99_ms")
    per_round = [r["requests_per_second"] / b["requests_per_second"] for r, b in zip(runs, base, strict=True)]
    ratio = rps / medians(base, "requests_per_second")[0]
    errors = sum(r["non_2xx"] + r["socket_errors"] for r in runs)
    return (
        f"{rps:,.0f} | {rps_lo:,.0f}-{rps_hi:,.0f} | {medians(runs, 'p50_ms')[0]:.1f} | {p99:.1f} | "
        f"{p99_lo:.1f}-{p99_hi:.1f} | {ratio:.2f} ({min(per_round):.2f}-{max(per_round):.2f}) | {errors}"
    )


def side_by_side(figures: dict[str, Any], title: str) -> str:
    """One row per target and server: medians of req/s, p50 and p99 over the rounds, the spreads, the ratio
    to Prism (of the medians, and the range of the per-round ratios), errors, cold start and memory."""
    lines = [
        title,
        "",
        "| target | server | req/s | req/s min-max | p50 ms | p99 ms | p99 min-max | x Prism (per round)"
        " | errors | cold start s (min-max) | RSS idle MiB | RSS after load MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target in TARGETS:
        base = figures["prism"]["targets"][target.label]
        for name, server in figures.items():
            runs = server["targets"][target.label]
            idle = server["rss_idle_mib"]
            lines.append(
                f"| {target.label} | {name} | {load_cells(runs, base)} | "
                f"{_spread(server['cold_start_s'])} | {statistics.median(idle):.0f} | "
                f"{server['rss_after_load_mib']:.0f} |"
            )
    return "\n".join(lines)


def big_world(big: dict[str, Any]) -> str:
    """The big-world figures: one row per world, then the median page latencies (ms) of each."""
    lines = [
        "| world | file MiB | spawn to first 200 s | load s (less the default's start) | RSS MiB after load"
        " | after pages |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    default = big["default"]
    shown = [("default", default)]
    lines.append(
        f"| default | - | {default['start_s']:.2f} | - | {default['rss_mib']} | {default['rss_after_pages_mib']} |"
    )
    for row in big["sizes"]:
        name = f"{row['groups']:,} groups, {row['devices']:,} devices"
        if "start_s" not in row:
            why = row.get("skipped") or row.get("failed")
            lines.append(f"| {name} | {row.get('file_mib', '-')} | {why} | | | |")
            continue
        shown.append((name, row))
        lines.append(
            f"| {name} | {row['file_mib']} | {row['start_s']:.2f} | {row['load_s']:.2f} | {row['rss_mib']} | "
            f"{row['rss_after_pages_mib']} |"
        )
    lines += ["", "| page: median ms (min-max), x default | " + " | ".join(n for n, _ in shown) + " |"]
    lines.append("|---|" + "---:|" * len(shown))
    labels = dict.fromkeys(label for _, row in shown for label in row["pages"])  # in order, page 2s too
    for label in labels:
        cells = []
        for _, row in shown:
            timing = row["pages"].get(label)
            ratio = row.get("page_ratio", {}).get(label)
            cell = (
                f"{timing['median_ms']:.2f} ({timing['min_ms']:.2f}-{timing['max_ms']:.2f})"
                if timing
                else "-"
            )
            cells.append(cell + (f", x{ratio:g}" if ratio is not None else ""))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
