"""In process, no HTTP: the CPU and wall time of reading and building a world file (`groupkit.world`), and
what one page of each user's `GET /user/groups` costs on it (`groupkit.groups.list_for`, the store's verb
without the request path). The big-world figures of docs/performance.md that are the store's own.

    python bench/bigworld.py --groups 100000 --devices 1000000 -o /tmp/big.json
    python bench/bigworld_inprocess.py /tmp/big.json --pages 200
"""

from __future__ import annotations

import argparse
import statistics
import time

from groupkit import groups, world

TOKENS = {"alice": "demo-token-alice", "eva": "demo-token-eva"}  # the default world's users


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", help="a world file (bench/bigworld.py writes one)")
    parser.add_argument("--pages", type=int, default=200, help="pages timed per user (median)")
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args(argv)

    wall, cpu = time.perf_counter(), time.process_time()
    data = world.read(args.world)
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    state = world.build(data, args.world)
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"groups {len(state.groups())}, items {sum(len(v) for v in data.values() if isinstance(v, list))}")
    print(f"read:  {read_wall:6.2f} s wall, {read_cpu:6.2f} s CPU")
    print(f"build: {build_wall:6.2f} s wall, {build_cpu:6.2f} s CPU")
    print(f"load:  {read_wall + build_wall:6.2f} s wall, {read_cpu + build_cpu:6.2f} s CPU")
    del data
    for name, token in TOKENS.items():
        user = state.user_by_token(token)
        if user is None:
            continue
        user_id = user.id
        start = time.process_time()
        first = groups.list_for(state, user_id, args.limit, None)
        first_ms = (time.process_time() - start) * 1000
        costs = []
        for _ in range(args.pages):
            start = time.process_time()
            page = groups.list_for(state, user_id, args.limit, None)
            groups.list_for(state, user_id, args.limit, page.next_token)
            costs.append((time.process_time() - start) / 2)
        assert page.items == first.items
        print(
            f"{name}: first page {first_ms:8.2f} ms CPU; then a page {statistics.median(costs) * 1e6:9.1f} µs"
            f" CPU (median of {args.pages} first+second pages, limit {args.limit})"
        )


if __name__ == "__main__":
    main()
