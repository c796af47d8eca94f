"""The shared store on the wire: `groupkit mock --store redis://... --workers 2` as a real process over a real
redis-server, under concurrent load and races aimed at each read-then-write rule (fired at both workers at
once), read-your-writes across workers, a SIGKILL of every process and a restart, and the stock schemathesis
CLI and `groupkit conform` against it. Every test here starts processes: all are slow."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import CONTROL, GROUPKIT, ROOT, TOKENS
from tests.end_to_end.test_stock_schemathesis import stock_run
from tests.end_to_end.workers_mock import (
    Crowd,
    Mock,
    children,
    left_behind,
    signal_kill,
    start_workers,
    stop,
)
from tests.redis_server import RedisServer, flush

sys.path.insert(0, str(ROOT / "bench"))
import load  # noqa: E402
from load_invariants import Ledger, walk, world_problems  # noqa: E402

pytestmark = pytest.mark.slow

ACME = "0b1439fc-4d24-51c8-bc78-13349eb3952e"  # ACME Logistics: Alice its Subscriber, Bruno an Administrator


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[RedisServer]:
    """A redis-server of this module's own, so its tests never meet another module's data."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def mock(shared_redis: RedisServer) -> Iterator[Mock]:
    """One two-worker mock over database 7 for the tests that reset it first."""
    url = shared_redis.url(7)
    flush(url)
    served = start_workers(url)
    try:
        yield served
    finally:
        stop(served)


@pytest.fixture
def fresh(mock: Mock) -> Mock:
    """The module's mock, reset to the default world."""
    httpx.post(f"{mock.url}/__mock__/reset", headers=CONTROL).raise_for_status()
    return mock


# ------------------------------------------------------------------------------- races at both workers


def answered(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def record(
    ledger: Ledger, requests: list[tuple[str, str, str, dict[str, Any]]], responses: list[httpx.Response]
) -> None:
    """Note in the ledger what each request answered 200 wrote (`Crowd.fire`'s requests and their answers)."""
    for (method, path, _caller, options), response in zip(requests, responses, strict=True):
        if response.status_code == 200:
            ledger.answered(method, path, options["json"], response.json())


async def create(http: httpx.AsyncClient, token: str, name: str, **params: str) -> str:
    response = await http.post(
        "/group", params=params, json={"name": name}, headers={"Authorization": TOKENS[token]}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def races(mock: Mock, ledger: Ledger) -> list[str]:
    """Races aimed at each read-then-write rule, 16 requests at once over both workers; each round's
    answers checked here, what they wrote noted in `ledger`. The user ids of the duels' survivors."""
    users = {
        u["firstName"].lower(): u["id"]
        for u in httpx.get(f"{mock.url}/__mock__/state").json()["users"]
        if u.get("token")
    }
    survivors = []
    async with Crowd(mock, 8) as crowd, httpx.AsyncClient(base_url=mock.url, timeout=30) as http:
        # One API key per group and type, types compared case-insensitively: one 200, fifteen 409.
        types = ["lora-race", "LORA-RACE", "Lora-Race", "lORA-rACE"]
        keys = [
            ("POST", "/group/apiKey", "bruno" if i % 2 else "alice",
             {"json": {"groupId": ACME, "type": types[i % 4], "name": f"race key {i}", "token": f"sk-race-{i}"}})
            for i in range(16)
        ]  # fmt: skip
        responses = await crowd.fire(keys)
        assert answered(responses) == {200: 1, 409: 15}, [r.text for r in responses]
        record(ledger, keys, responses)

        # One invitation per e-mail (case-insensitive) and group: one 200, fifteen 409.
        lyon = await create(http, "bruno", "Race: invitations", parentId=ACME)
        emails = ["race.invitee@example.test", "Race.Invitee@Example.Test", "RACE.INVITEE@EXAMPLE.TEST"]
        invites = [
            ("PUT", "/group/invite", "bruno" if i % 2 else "alice",
             {"json": {"groupId": lyon, "email": emails[i % 3], "roleId": ("viewer", "installer")[i % 2]}})
            for i in range(16)
        ]  # fmt: skip
        responses = await crowd.fire(invites)
        assert answered(responses) == {200: 1, 409: 15}, [r.text for r in responses]
        record(ledger, invites, responses)

        # Two Administrators of a top-level group (nobody above them) each removing the other or leaving:
        # one 200, then the survivor is the group's last Administrator (409 to their leaving).
        for duel in range(3):
            group = await create(http, "dan", f"Race: duel {duel}")
            invite = {
                "groupId": group,
                "email": "eva.lindqvist@nordic-coldchain.example",
                "roleId": "administrator",
            }
            made = await http.put("/group/invite", json=invite, headers={"Authorization": TOKENS["dan"]})
            assert made.status_code == 200, made.text
            moves = [
                ("DELETE", "/group/user", "dan", {"params": {"groupId": group, "userId": users["eva"]}}),
                ("DELETE", "/group/user", "eva", {"params": {"groupId": group, "userId": users["dan"]}}),
                ("DELETE", "/group/user", "dan", {"params": {"groupId": group}}),
                ("DELETE", "/group/user", "eva", {"params": {"groupId": group}}),
            ] * 4
            responses = await crowd.fire(moves)
            statuses = answered(responses)
            assert statuses[200] == 1 and statuses[409] >= 1, [r.text for r in responses]
            assert set(statuses) <= {200, 404, 409}, [r.text for r in responses]
            (winner,) = [move for move, r in zip(moves, responses, strict=True) if r.status_code == 200]
            caller, target = winner[2], winner[3]["params"].get("userId")
            gone = users[caller] if target is None else target
            survivors.append(users["eva"] if gone == users["dan"] else users["dan"])
            ledger.removed(("member", group, gone))
            ledger.wrote(("member", group, survivors[-1]), role="administrator")

        # Moves each allowed alone, a cycle together (X under Y, Y under X): the groups would leave the
        # tree and lose ACME's Subscriber. One direction only answers 200.
        x = await create(http, "bruno", "Race: move X", parentId=ACME)
        y = await create(http, "bruno", "Race: move Y", parentId=ACME)
        cycle = [
            ("PUT", "/group", "bruno", {"json": {"groupId": (x, y)[i % 2], "parent": (y, x)[i % 2]}})
            for i in range(16)
        ]
        responses = await crowd.fire(cycle)
        directions = {
            request[3]["json"]["groupId"]
            for request, r in zip(cycle, responses, strict=True)
            if r.status_code == 200
        }
        assert len(directions) == 1 and set(answered(responses)) == {200, 409}, [r.text for r in responses]
        record(ledger, cycle, responses)
    async with httpx.AsyncClient(
        base_url=mock.url, timeout=30, headers={"Authorization": TOKENS["alice"]}
    ) as alice:
        listed = {g["id"] for g in await walk(alice, "/user/groups") or []}
    assert {x, y} <= listed, "a group moved in the race left its Subscriber"
    return survivors


def test_load_and_races_at_both_workers_keep_every_invariant(fresh: Mock) -> None:
    """bench/load.py's 64 clients for 10 s (its invariants: documented answers only, no 5xx, the world's rules,
    every write answered 200 in the state), then, from the default world again (the load changes roles), the
    races; then the world exported and checked again."""
    run = asyncio.run(load.run(fresh.url, clients=64, seconds=10, seed=13))
    assert run.ok, [*run.tally.errors[:10], *run.problems[:20]]
    assert len(run.tally.latencies) > 500 and run.tally.statuses[200] > 200, run.tally.statuses
    httpx.post(f"{fresh.url}/__mock__/reset", headers=CONTROL).raise_for_status()  # the roles raced for
    ledger = Ledger()
    survivors = asyncio.run(races(fresh, ledger))
    world = httpx.get(f"{fresh.url}/__mock__/state").json()
    assert world_problems(world) == []
    assert ledger.problems(world) == []
    keys = [k for k in world["apiKeys"] if k["groupId"] == ACME and k["type"].casefold() == "lora-race"]
    assert len(keys) == 1
    invitees = [u for u in world["users"] if u["email"].casefold() == "race.invitee@example.test"]
    assert len(invitees) == 1
    duels = sorted(
        (g for g in world["groups"] if g["name"].startswith("Race: duel")), key=lambda g: g["name"]
    )
    for group, survivor in zip(duels, survivors, strict=True):
        kept = [(m["userId"], m["roleId"]) for m in world["memberships"] if m["groupId"] == group["id"]]
        assert kept == [(survivor, "administrator")]
    problems = asyncio.run(load.invariants(fresh.url, ledger))
    assert problems == []


def test_a_write_is_read_back_by_every_worker_at_once(fresh: Mock) -> None:
    """Read-your-writes across workers: a group created on one connection is read at once on 20 fresh ones,
    spread over both workers, and every read sees it; again for a change and a removal."""
    alice = {"Authorization": TOKENS["alice"]}

    async def reads(group_id: str) -> list[httpx.Response]:
        async with Crowd(fresh, 10) as crowd:
            return await crowd.fire([("GET", "/group", "alice", {"params": {"groupId": group_id}})] * 20)

    with httpx.Client(base_url=fresh.url, headers=alice, timeout=30) as http:
        for round_ in range(3):
            made = http.post("/group", json={"name": f"Written once {round_}"})
            assert made.status_code == 200, made.text
            seen = asyncio.run(reads(made.json()["id"]))
            assert [(r.status_code, r.json()[0]["name"]) for r in seen] == [
                (200, f"Written once {round_}")
            ] * 20
            changed = http.put("/group", json={"groupId": made.json()["id"], "description": f"now {round_}"})
            assert changed.status_code == 200, changed.text
            seen = asyncio.run(reads(made.json()["id"]))
            assert [r.json()[0].get("description") for r in seen] == [f"now {round_}"] * 20


def test_every_answered_write_survives_a_sigkill_of_every_process(redis_url: str) -> None:
    """Writes (in the default world and in a session), then SIGKILL to the parent and every worker at once,
    no graceful shutdown; a new mock on the same Redis holds everything answered 200, exported alike, and the
    cursors issued before go on where they were; no process of the first mock is left."""
    first = start_workers(redis_url)
    session = {"X-Mock-Session": "before-the-crash"}
    alice = {"Authorization": TOKENS["alice"]}
    try:
        with httpx.Client(base_url=first.url, headers=alice, timeout=30) as http:
            for where, headers in (("", {}), (" in a session", session)):
                for n in range(3):
                    name = f"Kept{where} {n}"
                    made = http.post(
                        "/group", json={"name": name}, params={"parentId": ACME}, headers=headers
                    )
                    assert made.status_code == 200, made.text
                invite = {"groupId": ACME, "email": "kept@example.test", "roleId": "viewer"}
                assert http.put("/group/invite", json=invite, headers=headers).status_code == 200
                key = {"groupId": made.json()["id"], "type": "TTN", "name": "kept", "token": "sk-kept"}
                assert http.post("/group/apiKey", json=key, headers=headers).status_code == 200
            pages = {}
            for name, headers in (("default", {}), ("session", session)):
                first_page = http.get("/user/groups", params={"limit": 2}, headers=headers).json()
                second_page = http.get(
                    "/user/groups", params={"limit": 2, "nextToken": first_page["nextToken"]}, headers=headers
                ).json()
                pages[name] = (first_page["nextToken"], second_page)
            before = {
                name: http.get("/__mock__/state", headers=h).json()
                for name, h in (("default", {}), ("session", session))
            }
    finally:
        everyone = {first.process.pid, *children(first.process.pid)}
        for pid in [first.process.pid, *first.workers]:
            signal_kill(pid)
        first.process.communicate(timeout=10)
    names = {world: {g["name"] for g in before[world]["groups"]} for world in before}
    assert (
        names["default"] >= {"Kept 0", "Kept 1", "Kept 2"} and "Kept in a session 0" not in names["default"]
    )
    assert (
        names["session"] >= {"Kept in a session 0", "Kept in a session 2"}
        and "Kept 0" not in names["session"]
    )

    assert left_behind(everyone, grace=10) == [], "processes of the killed mock are left"
    second = start_workers(redis_url)
    try:
        with httpx.Client(base_url=second.url, headers=alice, timeout=30) as http:
            for name, headers in (("default", {}), ("session", session)):
                assert http.get("/__mock__/state", headers=headers).json() == before[name], name
                token, second_page = pages[name]
                again = http.get("/user/groups", params={"limit": 2, "nextToken": token}, headers=headers)
                assert again.status_code == 200, again.text
                assert again.json() == second_page
    finally:
        stop(second)


def test_the_stock_schemathesis_run_passes_against_two_workers_on_redis(fresh: Mock) -> None:
    """The stock CLI run tests/end_to_end/test_stock_schemathesis.py makes against the in-memory mock."""
    done = stock_run(fresh.url)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Selected: 13/13" in done.stdout and "Tested: 13" in done.stdout
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in done.stdout, done.stdout[-3000:]


def test_groupkit_conform_passes_against_two_workers_on_redis(fresh: Mock) -> None:
    """`groupkit conform` with every check strict, both users and a persona per role (as
    tests/conformance/test_runner.py runs it against the in-memory mock), as a command: exit 0."""
    personas = {
        f"GROUPKIT_PERSONA_{name.upper()}": TOKENS[name] for name in ("bruno", "chloe", "dan", "giulia")
    }
    environment = {
        **os.environ,
        "GROUPKIT_TOKEN": TOKENS["alice"],
        "GROUPKIT_OTHER_TOKEN": TOKENS["eva"],
        **personas,
    }
    command = [
        *GROUPKIT, "conform", "--base-url", fresh.url, "--strict-fields", "--require-coverage",
        "--max-examples", "5", "--seed", "1",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=environment)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\d+ cases on 13 operations in .* 0 failure\(s\) .* → exit 0", done.stdout), (
        done.stdout[-2000:]
    )
