"""The instrument of bench/perf_worlds_shared.py: Redis's figures read from a real redis-server, the sizes
parsed, and the tables' ratios taken against the in-memory mock's page."""

from __future__ import annotations

import sys
from typing import Any

import redis

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import perf_worlds_shared as shared  # noqa: E402


def test_redis_figures_read_the_default_worlds_meta_and_snapshot(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.hset(shared.META, mapping={"id": "x", "base": 3, "head": 7})
        client.set(shared.SNAP, b"s" * (shared.MIB // 2))
    finally:
        client.close()
    figures = shared.redis_figures(redis_url)
    assert (figures["base"], figures["head"], figures["snapshot_mib"]) == (3, 7, 0.5)
    assert figures["used_memory_mib"] >= 0.5


def test_sizes_are_pairs() -> None:
    assert shared.worlds_sizes("100000:100000,10:2") == [(100_000, 100_000), (10, 2)]
    assert shared.worlds_sizes("") == []


def _timing(median: float) -> dict[str, Any]:
    return {"median_ms": median, "min_ms": median / 2, "max_ms": median * 2, "requests": 3}


def test_the_tables_show_each_page_against_the_in_memory_mock() -> None:
    label = "GET /user/groups?limit=10 as Alice (sees every generated group)"
    stored = {"base": 0, "head": 0, "snapshot_mib": 2.0, "used_memory_mib": 4.0}
    result = {
        "worlds": [
            {
                "world": "w",
                "memory": {"start_s": 1.0, "rss_mib": 10, "pages": {label: _timing(2.0)}},
                "redis": {
                    "start_empty_s": 2.0,
                    "rss_empty_mib": 12,
                    "start_restart_s": 3.0,
                    "rss_mib": 20,
                    "rss_after_pages_mib": 21,
                    "rss_end_mib": 22,
                    "redis_after_start": stored,
                    "pages": {label: _timing(3.0)},
                    "writes": {"writes": 5, "seconds": 1.0, "per_second": 5},
                    "redis_after_writes": {**stored, "head": 5},
                    "pages_after_writes": {label: _timing(1.0)},
                    "fold": {"updates": 100, "seconds": 1.0, "folded": False},
                    "redis_after_fold": {**stored, "head": 105},
                },
            }
        ]
    }
    text = shared.table(result)
    assert f"| {label} | 2.00 (1.00-4.00) | 3.00 (1.50-6.00), x1.50 | 1.00 (0.50-2.00), x0.50 | - |" in text
    assert "| w | 1.00 | 10 | 2.00 | 12 | 3.00 | 20 | 21, 22 | 4 | 2 | 3.0 |" in text
    assert "| no: 0, 105 |" in text
