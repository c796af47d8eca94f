"""The big-world figures on the shared store: the pages of `perf_worlds.py` timed on `groupkit mock --fixtures
WORLD --store redis://127.0.0.1:PORT/DB` (over a redis-server of its own) against the in-memory mock on the
same world, its start with Redis empty and with Redis holding the world (a restart), the worker's and Redis's
memory, and the same pages after writes (and once the log has been folded into a snapshot, if it was).

    .venv/bin/python bench/perf_worlds_shared.py --sizes 100000:100000 --json shared.json
    .venv/bin/python bench/perf_worlds_shared.py --sizes 100000:1000000 --proto-max-bulk-len-mib 1024

(A snapshot over 512 MiB, Redis's default `proto-max-bulk-len`, needs the last flag; `--fold-limit 120000`
lets a 100,000-group world's log be folded: ~101,000 updates.)

Every request goes to 127.0.0.1; every process it starts is stopped at the end (also on errors and Ctrl-C).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bigworld
import perf_servers as servers
import perf_worlds as worlds

sys.path.insert(0, str(servers.REPO))  # tests/redis_server.py, the suite's own redis-server starter
from tests.redis_server import RedisServer, flush  # noqa: E402

MIB = worlds.MIB
META, SNAP = "gk:world:default:meta", "gk:world:default:snap"
GROUP_INPUT = b'{"name": "bench write", "description": "bench/perf_worlds_shared.py", "tags": ["bench"]}'


def redis_figures(url: str) -> dict[str, Any]:
    """The default world's meta hash (`base`: the log index its snapshot holds, `head`: the last), the
    snapshot's size (STRLEN) and Redis's `used_memory` (INFO memory)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        meta = {k.decode(): v.decode() for k, v in client.hgetall(META).items()}
        info: Any = client.info("memory")
        return {
            "base": int(meta.get("base", -1)),
            "head": int(meta.get("head", -1)),
            "snapshot_mib": round(int(client.strlen(SNAP)) / MIB, 2),
            "used_memory_mib": round(int(info["used_memory"]) / MIB, 1),
        }
    finally:
        client.close()


def write(port: int, count: int, method: str, path: str, body: bytes) -> dict[str, Any]:
    """`count` sequential writes on one kept-alive connection; their wall time, rate and slowest."""
    connection = http.client.HTTPConnection(servers.HOST, port, timeout=120)
    headers = {"Authorization": servers.TOKEN, "Content-Type": "application/json"}
    started = time.monotonic()
    slowest = 0.0
    try:
        for _ in range(count):
            sent = time.perf_counter()
            status, answer = servers.request(
                port, method, path, headers=headers, body=body, connection=connection
            )
            slowest = max(slowest, time.perf_counter() - sent)
            if status != 200:
                raise servers.ServerFailed(f"{method} {path} answered {status}: {answer[:200]!r}")
    finally:
        connection.close()
    seconds = time.monotonic() - started
    return {
        "writes": count,
        "seconds": round(seconds, 1),
        "per_second": round(count / seconds),
        "slowest_ms": round(slowest * 1000, 1),
    }


def fold(port: int, url: str, limit: int, batch: int = 100) -> dict[str, Any]:
    """Updates of one group (`PUT /group`, a description: the world does not grow) in batches until the log
    is folded into a snapshot (`base` moves), at most `limit`: replica.py folds once the log holds
    max(COMPACT_EVERY, users + groups) entries."""
    before = redis_figures(url)["base"]
    done, slowest = 0, 0.0
    started = time.monotonic()
    while done < limit and redis_figures(url)["base"] == before:
        step = min(batch, limit - done)
        body = {"groupId": bigworld.ACME, "description": "bench/perf_worlds_shared.py fold"}
        slowest = max(slowest, write(port, step, "PUT", "/group", json.dumps(body).encode())["slowest_ms"])
        done += step
    after = redis_figures(url)["base"]
    seconds = round(time.monotonic() - started, 1)
    return {"updates": done, "seconds": seconds, "folded": after != before, "slowest_ms": slowest}


def shared(
    name: str, fixtures: str, redis: RedisServer, db: int, scratch: Path, options: dict[str, Any]
) -> dict[str, Any]:
    """`fixtures` on Redis database `db` (emptied first): started with Redis empty, stopped, started again
    (Redis holding the world); its pages; `writes` POST /group; the pages again; then updates until the log
    is folded (at most `fold_limit`) and the pages once more if it was."""
    url = redis.url(db)
    flush(url)
    row: dict[str, Any] = {"store": url}
    logs = scratch / "logs"
    limit, max_rss = options["load_limit"], options["max_rss"]
    with servers.groupkit(
        servers.free_port(), logs / f"{name}-empty.log", fixtures, "--store", url
    ) as server:
        row["start_empty_s"] = round(server.start(timeout=limit, max_rss=max_rss), 2)
        row["rss_empty_mib"] = round(server.rss() / MIB)
    row["redis_after_start"] = redis_figures(url)
    port = servers.free_port()
    with servers.groupkit(port, logs / f"{name}-restart.log", fixtures, "--store", url) as server:
        row["start_restart_s"] = round(server.start(timeout=limit, max_rss=max_rss), 2)
        row["rss_mib"] = round(server.rss() / MIB)
        row["pages"] = worlds.pages(port, options["requests"], options["budget"])
        row["rss_after_pages_mib"] = round(server.rss() / MIB)
        row["writes"] = write(port, options["writes"], "POST", "/group", GROUP_INPUT)
        row["redis_after_writes"] = redis_figures(url)
        row["pages_after_writes"] = worlds.pages(port, options["requests"], options["budget"])
        row["fold"] = fold(port, url, options["fold_limit"])
        row["redis_after_fold"] = redis_figures(url)
        if row["fold"]["folded"]:
            row["pages_after_fold"] = worlds.pages(port, options["requests"], options["budget"])
        row["rss_end_mib"] = round(server.rss() / MIB)
    return row


def _raise_bulk_limit(url: str, mib: int) -> None:
    """CONFIG SET proto-max-bulk-len: Redis refuses a bulk string over it (512 MiB by default), and closes the
    connection that sent it, which is what a bigger snapshot meets."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.config_set("proto-max-bulk-len", mib * MIB)
    finally:
        client.close()


def figures(
    scratch: Path,
    sizes: list[tuple[int, int]],
    options: dict[str, Any],
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """For the default world and each size: the in-memory mock's figures (perf_worlds), then the shared
    store's, on a redis-server of this run's own (one database per world)."""
    worlds_to_run: list[tuple[str, str, dict[str, Any]]] = [("default", "default", {})]
    for groups, devices in sizes:
        path = scratch / f"world-{groups}-groups-{devices}-devices.json"
        if not path.exists():
            progress(f"generating {path.name}")
            bigworld.write(path, groups, devices)
        row = {"groups": groups, "devices": devices, "file_mib": round(path.stat().st_size / MIB)}
        worlds_to_run.append((f"{groups}-groups-{devices}-devices", str(path), row))
    results = []
    with RedisServer() as redis:
        if options.get("bulk_mib"):
            _raise_bulk_limit(redis.url(0), options["bulk_mib"])
        for db, (name, fixtures, row) in enumerate(worlds_to_run, start=1):
            progress(f"{name}: in memory")
            memory = worlds._measure(f"memory-{name}", fixtures, scratch, options=options)
            progress(f"{name}: on Redis")
            on_redis = shared(f"redis-{name}", fixtures, redis, db, scratch, options)
            flush(redis.url(db))  # INFO's used_memory counts every database: the next world's alone
            results.append({"world": name, **row, "memory": memory, "redis": on_redis})
            progress(json.dumps(results[-1]))
    return {"worlds": results}


def _cell(timing: dict[str, Any] | None, base: dict[str, Any] | None = None) -> str:
    if timing is None:
        return "-"
    ratio = f", x{timing['median_ms'] / base['median_ms']:.2f}" if base else ""
    return f"{timing['median_ms']:.2f} ({timing['min_ms']:.2f}-{timing['max_ms']:.2f}){ratio}"


def table(result: dict[str, Any]) -> str:
    """Per world: start, memory and Redis's figures; then each page's median (min-max) in memory and on
    Redis (x in memory), after the writes and after the fold."""
    lines = [
        "| world | in memory: start s | RSS MiB | Redis empty: start s | RSS MiB | restart: start s | RSS MiB"
        " | after pages, writes, fold | Redis used_memory MiB | snapshot MiB | empty start's RSS / used_memory |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in result["worlds"]:
        m, r = w["memory"], w["redis"]
        stored = r["redis_after_start"]
        lines.append(
            f"| {w['world']} | {m['start_s']:.2f} | {m['rss_mib']} | {r['start_empty_s']:.2f} | "
            f"{r['rss_empty_mib']} | {r['start_restart_s']:.2f} | {r['rss_mib']} | {r['rss_after_pages_mib']}, "
            f"{r['rss_end_mib']} | {stored['used_memory_mib']:g} | {stored['snapshot_mib']:g} | "
            f"{r['rss_empty_mib'] / stored['used_memory_mib']:.1f} |"
        )
    lines += [
        "",
        "| world | writes | wall s | per s | slowest ms | log after (base, head) | used_memory MiB |"
        " then updates to fold | slowest ms | folded: base, head | used_memory MiB | snapshot MiB |",
        "|---|---:|---:|---:|---:|---|---:|---|---:|---|---:|---:|",
    ]
    for w in result["worlds"]:
        r = w["redis"]
        wrote, after, folded = r["writes"], r["redis_after_writes"], r["redis_after_fold"]
        lines.append(
            f"| {w['world']} | {wrote['writes']} POST /group | {wrote['seconds']} | {wrote['per_second']} | "
            f"{wrote.get('slowest_ms', '-')} | {after['base']}, {after['head']} | {after['used_memory_mib']:g} | "
            f"{r['fold']['updates']} PUT /group in {r['fold']['seconds']} s | {r['fold'].get('slowest_ms', '-')} | "
            f"{'yes' if r['fold']['folded'] else 'no'}: {folded['base']}, "
            f"{folded['head']} | {folded['used_memory_mib']:g} | {folded['snapshot_mib']:g} |"
        )
    for w in result["worlds"]:
        m, r = w["memory"], w["redis"]
        lines += [
            "",
            f"{w['world']}: median ms (min-max), x in memory",
            "",
            "| page | in memory | on Redis | after the writes | after the fold |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, timing in m["pages"].items():
            cells = [_cell(timing), _cell(r["pages"].get(label), timing)]
            cells += [
                _cell(r[k].get(label), timing) if k in r else "-"
                for k in ("pages_after_writes", "pages_after_fold")
            ]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--sizes", type=worlds_sizes, default=[(100_000, 100_000)], help="GROUPS:DEVICES,... (100000:100000)")
    add("--scratch", type=Path, default=Path.home() / ".cache" / "groupkit-bench", help="worlds and logs")
    add("--page-requests", type=int, default=200, help="requests per page timed (default: %(default)s)")
    add("--writes", type=int, default=2000, help="POST /group after the pages (default: %(default)s)")
    add(
        "--fold-limit",
        type=int,
        default=3000,
        help="PUT /group at most, to fold the log (default: %(default)s)",
    )
    add("--load-limit", type=float, default=600, help="seconds a start may take (default: %(default)s)")
    add("--max-rss-gib", type=float, default=8, help="memory a start may take (default: %(default)s)")
    add(
        "--proto-max-bulk-len-mib",
        type=int,
        help="raise redis-server's proto-max-bulk-len (default 512 MiB) to this, for a snapshot over it",
    )
    add("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    options = {
        "requests": args.page_requests,
        "budget": 30,
        "load_limit": args.load_limit,
        "max_rss": int(args.max_rss_gib * (1 << 30)),
        "writes": args.writes,
        "fold_limit": args.fold_limit,
        "bulk_mib": args.proto_max_bulk_len_mib,
    }

    def progress(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        result = figures(args.scratch, args.sizes, options, progress)
    except servers.ServerFailed as error:
        progress(f"stopped: {error}")
        return 2
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def worlds_sizes(text: str) -> list[tuple[int, int]]:
    """`GROUPS:DEVICES,...` as pairs."""
    pairs = [part.split(":") for part in text.split(",") if part]
    return [(int(groups), int(devices)) for groups, devices in pairs]


if __name__ == "__main__":
    sys.exit(main())
