"""Load test of the mock: 64 concurrent clients on loopback for a bounded time, mixed reads and writes by the
default world's demo users, then the invariants the state must keep, and the figures.

Starts `groupkit mock` (as users start it: its own process, default limits) on a free loopback port, unless
`--base-url` names one already running on loopback. Each client is one demo user on one keep-alive
connection, choosing operations at random (about two reads for each write) on the groups it has seen.
Afterwards it checks: every answer is one its operation documents, none is a 5xx; the exported state keeps
the domain's rules (bench/load_invariants.py: no membership, device, key or sub-group names a missing group
or user, no cycle of parents, one API key per group and type, one user per e-mail, someone able to manage
each group's members) and holds every write answered 200 that no later one undid; each group's counts match
its lists; every group is readable by each of its members with a token, and listed in their
`GET /user/groups`. Prints the requests, errors, requests per second and latency percentiles; exit 0 when all
holds, else 1. `run()` is the same, as a function (the shared-store wire tests call it).

    python bench/load.py                      # 64 clients, 60 s
    python bench/load.py --seconds 10 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from load_invariants import Ledger, invariants

from groupkit import contract

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
TYPES = ("TTN", "SIGFOX", "LORA")
ROLES = ("viewer", "installer", "administrator")
DOCUMENTED = {
    (method.upper(), path): {int(status) for status in operation["responses"]}
    for path, item in contract.default()["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "responses" in operation
}


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.ledger = Ledger()  # the writes answered 200

    def add(self, method: str, path: str, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1
        if status >= 500 or status not in DOCUMENTED[(method, path)]:
            self.errors.append(f"{method} {path} answered {status}, which it does not document")


class Client:
    """One demo user on one connection, acting at random on the groups it has seen."""

    def __init__(self, number: int, token: str, base_url: str, tally: Tally, seed: int = 1) -> None:
        self.number, self.token, self.tally = number, token, tally
        self.random = random.Random(seed * 1000 + number)  # same seed, same choices per client
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": token},
            timeout=10,
            limits=httpx.Limits(max_connections=1),
        )
        self.groups: list[str] = []
        self.members: dict[str, list[str]] = {}
        self.sent = 0

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            self.tally.errors.append(f"{method} {path}: {error!r}")
            return None
        self.tally.add(method, path, response.status_code, time.perf_counter() - started)
        if method != "GET" and response.status_code == 200:
            sent = {**kwargs.get("params", {}), **kwargs.get("json", {})}
            self.tally.ledger.answered(method, path, sent, response.json())
        return response

    def group(self) -> str:
        return self.random.choice(self.groups) if self.groups else "no-group"

    async def list_groups(self) -> None:
        token: str | None = None
        for _ in range(3):
            params = {"limit": self.random.randint(1, 100), **({"nextToken": token} if token else {})}
            response = await self.call("GET", "/user/groups", params=params)
            if response is None or response.status_code != 200:
                return
            page = response.json()
            self.groups = list(dict.fromkeys([*self.groups, *(g["id"] for g in page["items"])]))[-500:]
            token = page.get("nextToken")
            if not token:
                return

    async def step(self) -> None:
        self.sent += 1
        g, n = self.group(), f"{self.number}-{self.sent}"
        choice = self.random.choices(range(13), weights=(12, 12, 9, 8, 4, 8, 5, 6, 4, 3, 3, 2, 2))[0]
        if choice == 0:
            await self.list_groups()
        elif choice == 1:
            await self.call("GET", "/group", params={"groupId": g})
        elif choice == 2:
            response = await self.call("GET", "/group/users", params={"groupId": g, "limit": 100})
            if response is not None and response.status_code == 200:
                self.members[g] = [item["id"] for item in response.json()["items"]]
        elif choice == 3:
            await self.call("GET", "/group/devices", params={"groupId": g})
        elif choice == 4:
            await self.call("GET", "/group/roles")
        elif choice == 5:
            params = {"parentId": g} if self.groups and self.random.random() < 0.7 else {}
            response = await self.call("POST", "/group", params=params, json={"name": f"load {n}"})
            if response is not None and response.status_code == 200:
                self.groups.append(response.json()["id"])
        elif choice == 6:
            change: dict[str, Any] = {"groupId": g, "description": f"changed by {n}"}
            if self.random.random() < 0.2:
                change["parent"] = self.group()
            await self.call("PUT", "/group", json=change)
        elif choice == 7:
            invite = {"email": f"load-{n}@example.test", "groupId": g, "roleId": self.random.choice(ROLES)}
            await self.call("PUT", "/group/invite", json=invite)
        elif choice in (8, 9) and self.members.get(g):
            user = self.random.choice(self.members[g])
            if choice == 8:
                change = {"groupId": g, "userId": user, "roleId": self.random.choice(ROLES)}
                await self.call("PUT", "/group/user", json=change)
            else:
                await self.call("DELETE", "/group/user", params={"groupId": g, "userId": user})
        elif choice == 10:
            key = {"groupId": g, "type": self.random.choice(TYPES), "name": f"key {n}", "token": f"sk-{n}"}
            await self.call("POST", "/group/apiKey", json=key)
        elif choice == 11:
            key = {"groupId": g, "type": self.random.choice(TYPES), "name": f"renamed {n}"}
            await self.call("PUT", "/group/apiKey", json=key)
        else:
            await self.call(
                "DELETE", "/group/apiKey", params={"groupId": g, "type": self.random.choice(TYPES)}
            )

    async def run(self, until: float) -> None:
        await self.list_groups()
        while time.monotonic() < until:
            await self.step()
        await self.http.aclose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


@dataclass
class Run:
    """What one load run saw: every answer's tally, its length and users, the invariants it broke."""

    tally: Tally
    elapsed: float
    users: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.tally.errors and not self.problems


async def run(base_url: str, clients: int, seconds: float, seed: int = 1) -> Run:
    """`clients` demo users acting at once on the mock at `base_url` for `seconds`, then the invariants."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        tokens = [user["token"] for user in (await http.get("/__mock__/users")).json()["items"]]
    tally = Tally()
    started = time.monotonic()
    crowd = [Client(i, tokens[i % len(tokens)], base_url, tally, seed) for i in range(clients)]
    await asyncio.gather(*(client.run(started + seconds) for client in crowd))
    elapsed = time.monotonic() - started
    return Run(tally, elapsed, len(tokens), await invariants(base_url, tally.ledger))


async def load(base_url: str, clients: int, seconds: float, seed: int = 1) -> int:
    done = await run(base_url, clients, seconds, seed)
    tally, elapsed, problems = done.tally, done.elapsed, done.problems
    count = len(tally.latencies)
    print(f"{clients} clients, {done.users} users, {elapsed:.1f} s on {base_url}")
    print(f"requests {count}, errors {len(tally.errors)}, {count / elapsed:.0f} req/s")
    print(
        f"latency p50 {percentile(tally.latencies, 0.5):.1f} ms, p99 {percentile(tally.latencies, 0.99):.1f} ms"
    )
    print("statuses " + ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items())))
    for line in [*tally.errors[:10], *problems[:20]]:
        print(f"  {line}")
    print(f"invariants: {'all hold' if not problems else f'{len(problems)} broken'}")
    return 0 if done.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts (default: 60)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (default: 64)")
    parser.add_argument("--base-url", help="a mock already running on loopback (default: start one)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices (default: 1)")
    args = parser.parse_args()
    if args.base_url:
        if urlsplit(args.base_url).hostname not in LOOPBACK:
            parser.error("--base-url must be a loopback address: this sends a lot of traffic")
        return asyncio.run(load(args.base_url, args.clients, args.seconds, args.seed))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mock = subprocess.Popen(
        [sys.executable, "-m", "groupkit.cli", "mock", "--port", str(port), "--seed", "1"]
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/__mock__/health").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or mock.poll() is not None:
                    print("the mock did not start", file=sys.stderr)
                    return 2
                time.sleep(0.2)
        return asyncio.run(load(base_url, args.clients, args.seconds, args.seed))
    finally:
        mock.terminate()
        mock.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
