"""bench/perf_stores.py, the shared store's rows of `perf.py --stores`: the mocks it compares (each on its own
Redis database, the base checkout's code really imported from the base), the table's ratios, and one short run
end to end on a real redis-server."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import ROOT
from tests.redis_server import RedisServer

sys.path.insert(0, str(ROOT / "bench"))

import perf  # noqa: E402
import perf_servers  # noqa: E402
import perf_stores  # noqa: E402
import perf_wrk  # noqa: E402


def test_each_redis_mock_has_its_workers_and_a_database_of_its_own(redis_server: RedisServer) -> None:
    chosen = perf_stores.variants(redis_server)
    assert [v.name for v in chosen] == [perf_stores.MEMORY, "redis, 1 worker", "redis, 2 workers"]
    assert chosen[0].arguments == ()
    assert chosen[1].arguments == ("--store", redis_server.url(1), "--workers", "1")
    assert chosen[2].arguments == ("--store", redis_server.url(2), "--workers", "2")
    server = chosen[2].server(1234, Path("/tmp/logs"), "--no-cors")
    assert server.command[-5:] == ["--store", redis_server.url(2), "--workers", "2", "--no-cors"]
    assert server.command[server.command.index("--port") + 1] == "1234"
    assert server.cwd == ROOT and server.env is None


def test_the_base_checkout_runs_its_own_code() -> None:
    base = perf_stores.base_variant(ROOT)  # this checkout as its own base: its code must be found there
    assert base.env is not None and base.env["PYTHONPATH"] == str(ROOT)
    assert base.server(1234, Path("/tmp/logs")).cwd == ROOT
    assert perf_stores.check_code(base) == ROOT / "groupkit" / "__init__.py"


def test_a_directory_without_groupkit_is_refused_as_a_base(tmp_path: Path) -> None:
    # Python falls back on the virtualenv's install of this tree: measuring that would compare the tree with
    # itself, so the check refuses it rather than print a row named after a base it did not run.
    with pytest.raises(perf_servers.ServerFailed, match="imports groupkit from"):
        perf_stores.check_code(perf_stores.base_variant(tmp_path))


def test_vs_base_needs_stores() -> None:
    with pytest.raises(SystemExit):
        perf.parse_args(["--vs-base", str(ROOT)])
    assert perf.parse_args(["--stores", "--vs-base", str(ROOT)]).vs_base == ROOT


def _run(rps: float, p99: float = 10.0, non_2xx: int = 0) -> dict[str, Any]:
    return {
        "requests_per_second": rps,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "requests": int(rps * 10),
        "non_2xx": non_2xx,
        "socket_errors": 0,
    }


def test_the_table_gives_each_mock_its_ratio_to_the_in_memory_one() -> None:
    def variant(*rps: float, non_2xx: int = 0) -> dict[str, Any]:
        runs = [_run(r, non_2xx=non_2xx) for r in rps]
        return {
            "rss_idle_mib": 80.0,
            "rss_after_load_mib": 90.0,
            "targets": {t.label: runs for t in perf_wrk.TARGETS},
        }

    figures = {
        "redis": "7.0.15",
        "variants": {
            perf_stores.MEMORY: variant(1000, 2000, 1500),
            "redis, 2 workers": variant(500, 1500, 600, non_2xx=1),
        },
    }
    text = perf_stores.table(figures, "title")
    # medians 1500 and 600: 0.40; per round 0.50, 0.75, 0.40; errors summed over the rounds.
    assert (
        "| POST /group | redis, 2 workers | 600 | 500-1,500 | 5.0 | 10.0 | 10.0-10.0 | 0.40 (0.40-0.75) | 3 | 80 | 90 |"
    ) in text
    assert f"| POST /group | {perf_stores.MEMORY} | 1,500 | 1,000-2,000 |" in text
    assert text.count("1.00 (1.00-1.00)") == len(perf_wrk.TARGETS)


@pytest.mark.slow
def test_one_short_run_loads_every_mock_and_the_redis_ones_use_redis(tmp_path: Path) -> None:
    args = argparse.Namespace(
        scratch=tmp_path,
        vs_base=None,
        mock_arg=[],
        duration=1,
        rounds=1,
        warmup=0,
        connections=4,
        threads=1,
    )
    with contextlib.ExitStack() as stack:
        figures = perf_stores.measure(args, stack, lambda message: None)
        variants = figures["variants"]
        assert list(variants) == [perf_stores.MEMORY, "redis, 1 worker", "redis, 2 workers"]
        for name, variant in variants.items():
            assert variant["code"] == str(ROOT / "groupkit" / "__init__.py")
            for target in perf_wrk.TARGETS:
                (run,) = variant["targets"][target.label]
                assert run["requests"] > 0, (name, target.label)
                assert run["non_2xx"] == 0 and run["socket_errors"] == 0, (name, target.label)
            if name != perf_stores.MEMORY:  # the world really is in Redis, in this mock's database
                url = variant["arguments"][variant["arguments"].index("--store") + 1]
                client = redis.Redis.from_url(url)
                try:
                    assert client.keys("gk:*")
                finally:
                    client.close()
    assert "| GET /user/groups?limit=10 | redis, 2 workers |" in perf_stores.table(figures, "title")
