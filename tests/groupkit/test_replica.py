"""groupkit.replica over a real Redis: replicas of one world agree (same state, same ids and dates) whatever
process wrote, a refused write is refused everywhere, compaction keeps new and lagging replicas right, a reset
reaches every replica, races for one rule have exactly one winner, and a Redis that is down is a 503 with
`Retry-After`, never a 500 or a hang, until it is back."""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from groupkit import replica
from groupkit.errors import Conflict, Forbidden, SharedStoreUnavailable
from groupkit.model import GroupChanges
from groupkit.replica import SharedWorld, answering
from groupkit.store import Store
from tests import redis_server
from tests.backends import in_process_mocks
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, group_id, user_id
from tests.redis_server import RedisServer

ALICE, BRUNO, DAN = (user_id(DEFAULT_WORLD, name) for name in ("alice", "bruno", "dan"))
ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
EMPTY = {"format": "groupkit-world/1", "users": [], "groups": [], "memberships": [], "devices": []}
EMPTY.update(apiKeys=[], connectors=[], notifications=[])


def start() -> Store:
    return Store.from_world(copy.deepcopy(DEFAULT_WORLD), rng=random.Random(7), today=lambda: "2026-01-01")


def replica_of(client: Redis, *, seed: int = 1, today: str = "2026-11-25") -> SharedWorld:
    return SharedWorld(client, "default", start, seed=seed, today=lambda: today)


def with_clients(url: str, test: Callable[..., Awaitable[None]], count: int = 2) -> None:
    """Runs `test(client, ...)` with `count` clients of `url` (one per process it stands for), in one loop."""

    async def main() -> None:
        clients = [Redis.from_url(url) for _ in range(count)]
        try:
            await test(*clients)
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(main())


async def write(world: SharedWorld, verb: str, *args: Any, **kwargs: Any) -> Any:
    """A write as a served request makes it: catch up, propose, commit to the log, answer the outcome."""
    await world.sync()

    async def call() -> Any:
        return getattr(world.store, verb)(*args, **kwargs)

    return await answering(call)


async def agreed(*replicas: SharedWorld) -> dict[str, Any]:
    """The world every replica holds once caught up; fails unless they all hold the same one."""
    for world in replicas:
        await world.sync()
    exports = [world.store.export() for world in replicas]
    assert all(export == exports[0] for export in exports[1:])
    return exports[0]


def test_two_replicas_agree_on_state_ids_and_dates_after_interleaved_writes(redis_url: str) -> None:
    async def test(first: Redis, second: Redis) -> None:
        # different id seeds and dates: what each replica applies comes from the writer's command
        a, b = replica_of(first, seed=1, today="2026-11-25"), replica_of(second, seed=2, today="2026-12-31")
        parent = await write(a, "create_group", ALICE, name="Depot", parent_id=ACME)
        child = await write(b, "create_group", ALICE, name="Dock", parent_id=parent.group.id)
        await write(a, "invite", ALICE, child.group.id, "new.hire@example.com", "viewer")
        await write(b, "create_api_key", ALICE, ACME, "TTI", "tenant", "t0k3n")
        await write(a, "update_group", ALICE, parent.group.id, GroupChanges(tags=("a", "b")))
        world = await agreed(a, b)
        made = {g["name"]: g for g in world["groups"]}
        assert made["Depot"]["id"] == parent.group.id and made["Dock"]["id"] == child.group.id
        assert made["Depot"]["createdAt"] == "2026-11-25" and made["Dock"]["createdAt"] == "2026-12-31"
        assert made["Depot"]["tags"] == ["a", "b"] and made["Dock"]["parent"] == parent.group.id
        assert made["Depot"]["token"] == parent.group.token  # drawn from the writer's seed by each replica
        assert any(u["email"] == "new.hire@example.com" for u in world["users"])
        assert a.index == b.index == 5

    with_clients(redis_url, test)


@pytest.mark.parametrize(
    "verb, args, error",
    [
        pytest.param("create_api_key", (ALICE, ACME, "SIGFOX", "again", "x"), Conflict, id="conflict"),
        pytest.param("create_group", (DAN,), Forbidden, id="forbidden"),
    ],
)
def test_a_refused_write_is_refused_on_every_replica_and_changes_nothing(
    redis_url: str, verb: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    async def test(first: Redis, second: Redis, third: Redis) -> None:
        a, b = replica_of(first), replica_of(second)
        before = await agreed(a, b)
        kwargs = {"name": "Not allowed", "parent_id": ACME} if verb == "create_group" else {}
        with pytest.raises(error):
            await write(a, verb, *args, **kwargs)
        with pytest.raises(error):  # the other replica decides the same
            await write(b, verb, *args, **kwargs)
        assert await agreed(a, b, replica_of(third)) == before
        assert a.index == b.index == 2  # both refusals are in the log, and changed nothing when applied

    with_clients(redis_url, test, count=3)


async def _meta(client: Redis, name: str = "default") -> dict[str, int]:
    meta = await client.hgetall(f"{replica.PREFIX}{name}:meta")
    return {key: int(meta[key.encode()]) for key in ("base", "start", "head")}


def test_compaction_trims_the_log_and_new_or_lagging_replicas_load_the_snapshot(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "COMPACT_EVERY", 4)  # the world's size (13 users and groups) decides then
    monkeypatch.setattr(replica, "KEEP", 2)  # entries kept before the snapshot's index

    async def test(first: Redis, second: Redis, third: Redis, fourth: Redis) -> None:
        a, b, lagging = replica_of(first), replica_of(second), replica_of(fourth)
        await agreed(a, b, lagging)
        for number in range(30):
            await write(
                a if number % 2 else b, "update_group", ALICE, ACME, GroupChanges(name=f"ACME {number}")
            )
        meta = await _meta(first)
        assert meta["head"] == 30 and meta["base"] >= 13  # folded at least once
        assert meta["start"] == meta["base"] - 2  # the list keeps KEEP entries the snapshot holds
        assert await first.llen(f"{replica.PREFIX}default:log") == meta["head"] - meta["start"]
        assert lagging.index == 0 < meta["start"]  # it missed entries no longer in the log
        newcomer = replica_of(third)
        world = await agreed(a, b, newcomer, lagging)
        assert lagging.base == meta["base"] and lagging.index == newcomer.index == 30
        assert next(g["name"] for g in world["groups"] if g["id"] == ACME) == "ACME 29"
        await write(lagging, "update_group", ALICE, ACME, GroupChanges(name="after"))
        assert next(g["name"] for g in (await agreed(a, b, newcomer))["groups"] if g["id"] == ACME) == "after"

    with_clients(redis_url, test, count=4)


def test_an_install_is_seen_by_every_replica(redis_url: str) -> None:
    async def test(first: Redis, second: Redis) -> None:
        a, b = replica_of(first), replica_of(second)
        await write(a, "create_group", ALICE, name="Gone soon", parent_id=ACME)
        await agreed(a, b)
        old = a.world_id
        await b.install(copy.deepcopy(EMPTY))
        world = await agreed(a, b)
        assert world["groups"] == [] and world["users"] == []
        assert a.world_id == b.world_id != old and a.index == 0

    with_clients(redis_url, test)


def test_a_replica_a_little_behind_a_fold_reads_on_from_the_log_without_loading_the_snapshot(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other workers are always a few entries behind the one that folds: they must not each load the
    snapshot after every fold (that was a p99 of seconds for writes on two workers)."""
    monkeypatch.setattr(replica, "COMPACT_EVERY", 4)

    async def test(first: Redis, second: Redis) -> None:
        a, b = replica_of(first), replica_of(second)
        await agreed(a, b)
        for number in range(12):  # b writes alone: a stays at 0 while b folds at 13 (the world's size)
            await write(b, "update_group", ALICE, ACME, GroupChanges(name=f"ACME {number}"))
        behind = a.index
        for number in range(12, 16):
            await write(b, "update_group", ALICE, ACME, GroupChanges(name=f"ACME {number}"))
        assert (await _meta(first))["base"] > behind  # b folded past where a stands
        loads = a._loads
        await write(a, "update_group", ALICE, ACME, GroupChanges(name="from a"))
        assert a._loads == loads  # read on from the list
        world = await agreed(a, b)
        assert next(g["name"] for g in world["groups"] if g["id"] == ACME) == "from a"

    with_clients(redis_url, test)


def test_a_write_whose_world_was_replaced_right_after_its_append_goes_into_the_new_world(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica appends to the world, must reload it (it fell behind a compaction that kept no entry before
    its index), and finds it reset by another process before it could read its write's outcome. The reset and
    the write were concurrent, so the write may come after it: it is appended to the new world and answered as
    the new world decides (here: the parent group is gone), never with an outcome nobody computed."""
    monkeypatch.setattr(replica, "KEEP", 0)
    expected = None
    try:
        Store.from_world(copy.deepcopy(EMPTY)).create_group(ALICE, name="lost", parent_id=ACME)
    except Exception as error:  # what the new world answers, in memory
        expected = error
    assert expected is not None

    async def test(first: Redis, second: Redis) -> None:
        a, b = replica_of(first), replica_of(second)
        await agreed(a, b)  # `a` is caught up, at index 0
        await write(b, "update_group", ALICE, ACME, GroupChanges(name="folded"))
        await b._fold()  # the log is folded past `a`'s index: `a` must reload after its append
        load = a._load

        async def reset_first(loads: int) -> None:
            a._load = load  # type: ignore[method-assign]  # once
            await b.install(copy.deepcopy(EMPTY))
            await load(loads)

        a._load = reset_first  # type: ignore[method-assign]

        async def call() -> Any:  # served from where `a` stands, as a request caught up before `b` wrote
            return a.store.create_group(ALICE, name="lost", parent_id=ACME)

        with pytest.raises(type(expected)) as raised:
            await answering(call)
        assert str(raised.value) == str(expected)
        assert a.base == 0  # it did reload: the world it appended to is gone
        world = await agreed(a, b)
        assert world["groups"] == []  # the new world, with the write refused there
        assert int((await first.hget(f"{replica.PREFIX}default:meta", "head")) or 0) == 1  # appended to it

    with_clients(redis_url, test)


# ----------------------------------------------------------------- served: workers as in-process apps


def workers(url: str, count: int = 2, **options: Any) -> AbstractAsyncContextManager[list[httpx.AsyncClient]]:
    """`count` mocks on one Redis, as `--workers` runs them, each driven in process."""
    return in_process_mocks(count, store=url, **options)


def _two_administrators_only() -> dict[str, Any]:
    """The default world where ACME's only managers are two administrators (no Subscriber above them)."""
    world = copy.deepcopy(DEFAULT_WORLD)
    world["memberships"] = [m for m in world["memberships"] if (m["groupId"], m["userId"]) != (ACME, ALICE)]
    for membership in world["memberships"]:
        if (membership["groupId"], membership["userId"]) == (ACME, DAN):
            membership["roleId"] = "administrator"
    return world


RACES = [
    pytest.param(
        _two_administrators_only(),
        [("DELETE", f"/group/user?groupId={ACME}", name, None) for name in ("bruno", "dan")],
        id="last-administrator-leaving",
    ),
    pytest.param(
        None,
        [("POST", "/group/apiKey", "alice", {"groupId": ACME, "type": "TTI", "name": n, "token": n}) for n in "xy"],
        id="same-api-key-type",
    ),
    pytest.param(
        None,
        [("PUT", "/group/invite", "alice", {"groupId": ACME, "email": "pat@example.com", "roleId": r}) for r in ("viewer", "installer")],
        id="same-email-invited",
    ),
]  # fmt: skip


def _invariant_holds(world: dict[str, Any]) -> bool:
    admins = [m for m in world["memberships"] if m["groupId"] == ACME and m["roleId"] == "administrator"]
    tti = [k for k in world["apiKeys"] if k["groupId"] == ACME and k["type"] == "TTI"]
    pats = [u for u in world["users"] if u["email"] == "pat@example.com"]
    pat_memberships = [m for m in world["memberships"] if pats and m["userId"] == pats[0]["id"]]
    return len(admins) >= 1 and len(tti) <= 1 and len(pats) <= 1 and len(pat_memberships) <= 1


@pytest.mark.parametrize("world, racing", RACES)
def test_two_workers_racing_for_one_rule_end_with_exactly_one_success(
    redis_url: str, world: dict[str, Any] | None, racing: list[tuple[str, str, str, Any]]
) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            if world is not None:
                assert (await a.put("/__mock__/state", json=world, headers=CONTROL)).status_code == 200
            answers = await asyncio.gather(
                *(
                    worker.request(method, path, json=body, headers=auth(name))
                    for worker, (method, path, name, body) in zip((a, b), racing, strict=True)
                )
            )
            assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
            exports = [(await worker.get("/__mock__/state")).json() for worker in (a, b)]
            assert exports[0] == exports[1] and _invariant_holds(exports[0])

    asyncio.run(test())


def test_the_invariant_check_sees_a_broken_world() -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    assert _invariant_holds(world)
    world["memberships"] = [m for m in world["memberships"] if m["roleId"] != "administrator"]
    assert not _invariant_holds(world)


def _unavailable(answer: httpx.Response) -> tuple[int, str | None, str]:
    """What a client needs from a refusal while Redis is down: the status, `Retry-After`, the Error's code."""
    code = answer.json().get("code", "") if answer.headers.get("content-type") == "application/json" else ""
    return answer.status_code, answer.headers.get("retry-after"), code


DOWN = (503, "1", "SERVICE_UNAVAILABLE")


def test_a_redis_down_is_a_503_and_the_worker_recovers_when_it_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = RedisServer()  # its own: this test stops it

    async def test() -> None:
        async with workers(server.url(), count=1) as (worker,):
            group = {"name": "Before", "parentId": ACME}
            assert (await worker.post("/group", json=group, headers=auth("alice"))).status_code == 200
            server.stop()
            for answer in (
                await worker.get("/user/groups", headers=auth("alice")),
                await worker.post("/group", json=group, headers=auth("alice")),
                await worker.get("/__mock__/health"),
            ):
                assert _unavailable(answer)[::2] == (503, "SERVICE_UNAVAILABLE"), answer.text
                assert "shared store is unavailable" in answer.json()["message"]
            monkeypatch.setattr(redis_server, "_free_port", lambda: server.port)
            again = RedisServer()  # the same port, empty: the world starts again from the start world
            try:
                answer = await worker.get("/user/groups", headers=auth("alice"))
                assert answer.status_code == 200
                assert "Before" not in {g["name"] for g in answer.json()["items"]}
                created = await worker.post("/group", json=group, headers=auth("alice"))
                assert created.status_code == 200
                assert (await worker.get("/__mock__/health")).json()["status"] == "ok"
            finally:
                again.stop()

    try:
        asyncio.run(asyncio.wait_for(test(), timeout=30))  # a hang fails too
    finally:
        server.stop()


SIGN_IN = {"Authorization": "Basic ZGVtby1jbGllbnQtYWxpY2U6ZGVtby1zZWNyZXQtYWxpY2U="}  # Alice's client
CALLS = {  # every kind of call that reaches Redis, by what it does
    "api-read": ("GET", "/user/groups", auth("alice")),
    "api-write": ("POST", "/group", auth("alice")),
    "new-session": ("GET", "/group/roles", {"X-Mock-Session": "new", **auth("alice")}),
    "sign-in": ("POST", "/oauth2/token?grant_type=client_credentials", SIGN_IN),
    "issued-token-lookup": ("GET", "/user/groups", {"Authorization": "gk_at_unknown"}),
    "control-health": ("GET", "/__mock__/health", {}),
    "control-reset": ("POST", "/__mock__/reset", CONTROL),
    "control-journal": ("GET", "/__mock__/journal", {}),
    "session-listing": ("GET", "/__mock__/sessions", {}),
    "session-deletion": ("DELETE", "/__mock__/sessions/gone", CONTROL),
}


def test_every_call_is_a_503_with_retry_after_while_redis_is_down() -> None:
    server = RedisServer()

    async def test() -> dict[str, tuple[int, str | None, str]]:
        async with workers(server.url(), count=1) as (worker,):
            assert (await worker.get("/group/roles", headers=auth("alice"))).status_code == 200
            server.stop()
            body = {"name": "x", "parentId": ACME}
            return {
                name: _unavailable(await worker.request(method, path, headers=headers, json=body))
                for name, (method, path, headers) in CALLS.items()
            }

    try:
        answers = asyncio.run(asyncio.wait_for(test(), timeout=30))
    finally:
        server.stop()
    assert {name: answer for name, answer in answers.items() if answer != DOWN} == {}


def test_a_snapshot_redis_cannot_take_is_refused_with_the_setting_to_raise(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis closes the connection on a value over its proto-max-bulk-len, without a reason: the mock names the
    snapshot's size and the setting. (A real limit here: Redis's smallest, 1 MiB, under a world of ~2 MiB.)"""
    monkeypatch.setattr(replica, "BULK_LIMIT", 1 << 20)
    big = copy.deepcopy(DEFAULT_WORLD)
    device = big["devices"][0]
    big["devices"] += [
        {**device, "deviceId": str(uuid.UUID(int=number)), "originalId": f"{number:016X}"}
        for number in range(5000)
    ]

    async def test(client: Redis) -> None:
        await client.config_set("proto-max-bulk-len", 1 << 20)
        try:
            world = SharedWorld(client, "default", lambda: Store.from_world(copy.deepcopy(big)))
            with pytest.raises(SharedStoreUnavailable, match=r"snapshot is \d+ MiB.*proto-max-bulk-len"):
                await world.sync()
        finally:  # on a connection of its own: Redis closed the client's
            async with Redis.from_url(redis_url) as fresh:
                await fresh.config_set("proto-max-bulk-len", 512 << 20)
                assert not await fresh.exists(f"{replica.PREFIX}default:meta")  # nothing half-made

    with_clients(redis_url, test, count=1)


@pytest.mark.slow
def test_writes_racing_resets_through_two_workers_all_answer_and_the_replicas_agree(redis_url: str) -> None:
    """Resets (a new incarnation of the world) among writes, through two workers at once: a request that finds
    its replica behind a reset reads the world Redis held after it began; none answers 503 or 500."""

    async def test() -> None:
        async with workers(redis_url) as (first, second):

            async def call(number: int) -> int:
                worker = (first, second)[number % 2]
                if number % 10 == 0:
                    answer = await worker.post("/__mock__/reset", headers=CONTROL)
                else:
                    body = {"name": f"racing {number}", "parentId": ACME}
                    answer = await worker.post("/group", headers=auth("alice"), json=body)
                return answer.status_code

            statuses = await asyncio.gather(*(call(number) for number in range(120)))
            assert sorted(set(statuses)) == [200]
            exports = [(await worker.get("/__mock__/state")).json() for worker in (first, second)]
            assert exports[0] == exports[1]

    asyncio.run(asyncio.wait_for(test(), timeout=60))
