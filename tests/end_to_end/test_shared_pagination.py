"""Pagination on the shared store keeps the in-memory mock's cursors and ordering guarantees (issue 13): on a
generated world of a few thousand groups (bench/bigworld.py), walking `GET /user/groups`, `/group/users` and
`/group/devices` page by page through two mocks on one Redis, alternately (each page's `nextToken` used on the
other mock), gives exactly the items, in the order, the in-memory mock gives on the same world; a group created
mid-walk appears once, at the end, on both; a `nextToken` survives a restart (a new `groupkit mock --store`
process on the same Redis, after the log was folded into a snapshot); a reset world's cursor is refused as the
in-memory mock refuses it. Every test builds the big world: all are slow."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from groupkit.app import create_app
from groupkit.replica import PREFIX
from tests.backends import client_of, in_process_mocks
from tests.conftest import CONTROL, ROOT, TOKENS, start_mock

sys.path.insert(0, str(ROOT / "bench"))
import bigworld  # noqa: E402

pytestmark = pytest.mark.slow

GROUPS = 3000  # Alice sees all of them (31 pages of 100); ACME Logistics gets one viewer per region (30)
DEVICES = 3000  # a tenth in ACME Lyon Warehouse (300, 12 pages of 25)
ALICE = {"Authorization": TOKENS["alice"]}
LISTS = [  # (path, query, limit): each list walked in pages of `limit`
    pytest.param("/user/groups", {}, 100, id="user-groups"),
    pytest.param("/group/users", {"groupId": bigworld.ACME}, 7, id="group-users"),
    pytest.param("/group/devices", {"groupId": bigworld.LYON}, 25, id="group-devices"),
]


@pytest.fixture(scope="module")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A world file of GROUPS generated groups and DEVICES devices, the default world's items first."""
    path = tmp_path_factory.mktemp("shared-pagination") / "world.json"
    bigworld.write(path, GROUPS, DEVICES)
    return str(path)


def mocks(
    world: str, store: str = "memory", count: int = 1
) -> AbstractAsyncContextManager[list[httpx.AsyncClient]]:
    """`count` mocks of `world`, each in process, all on `store` (on Redis: as `--workers` runs them)."""
    return in_process_mocks(count, store=store, world=world)


async def page(
    client: httpx.AsyncClient, path: str, query: dict[str, str], limit: int, token: str | None
) -> Any:
    params = {**query, "limit": str(limit), **({"nextToken": token} if token else {})}
    answer = await client.get(path, params=params, headers=ALICE)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def walk(
    clients: Sequence[httpx.AsyncClient],
    path: str,
    query: dict[str, str],
    limit: int,
    token: str | None = None,
    pages: int | None = None,
) -> tuple[list[Any], str | None]:
    """The items of up to `pages` pages (all, if None) from `token` on, page i asked of `clients[i % n]`, and
    the `nextToken` where the walk stopped (None at the end of the list)."""
    items: list[Any] = []
    number = 0
    while pages is None or number < pages:
        body = await page(clients[number % len(clients)], path, query, limit, token)
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        token = body.get("nextToken")
        number += 1
        if not token:
            break
    return items, token


def _ids(items: list[Any]) -> list[str]:
    return [item.get("id") or item.get("deviceId") or item["userId"] for item in items]


async def _created(client: httpx.AsyncClient, name: str, parent: str = bigworld.ACME) -> str:
    answer = await client.post("/group", params={"parentId": parent}, json={"name": name}, headers=ALICE)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


@pytest.mark.parametrize(("path", "query", "limit"), LISTS)
def test_two_mocks_on_one_redis_page_alternately_as_the_in_memory_mock(
    big_world: str, redis_url: str, path: str, query: dict[str, str], limit: int
) -> None:
    async def test() -> None:
        async with mocks(big_world) as (memory,), mocks(big_world, redis_url, count=2) as shared:
            expected, _ = await walk([memory], path, query, limit)
            assert len(expected) > 3 * limit  # a walk of several pages
            assert len(set(_ids(expected))) == len(expected)
            found, _ = await walk(shared, path, query, limit)
            assert found == expected  # every field of every item, in the same order
            # The first page's cursor of one mock goes on, on the other, where the first would.
            first = await page(shared[0], path, query, limit, None)
            assert first["items"] == expected[:limit]
            for reader in shared:
                second = await page(reader, path, query, limit, first["nextToken"])
                assert second["items"] == expected[limit : 2 * limit]

    asyncio.run(test())


def test_a_group_created_mid_walk_appears_once_at_the_end_as_in_memory(
    big_world: str, redis_url: str
) -> None:
    """Alice's list walked halfway, a group created (on the other mock), the walk finished: on both stores the
    walk holds every group once and the new one last, and the items are the same but for the new group's id and
    token."""

    async def halves(clients: list[httpx.AsyncClient]) -> tuple[list[Any], str]:
        items, token = await walk(clients, "/user/groups", {}, 100, pages=10)
        assert token is not None
        created = await _created(clients[-1], "Created mid-walk")
        rest, end = await walk(clients, "/user/groups", {}, 100, token)
        assert end is None
        return items + rest, created

    async def test() -> None:
        async with mocks(big_world) as memory, mocks(big_world, redis_url, count=2) as shared:
            expected, in_memory = await halves(memory)
            found, on_redis = await halves(shared)
        assert _ids(expected)[-1] == in_memory and _ids(found)[-1] == on_redis
        assert len(set(_ids(found))) == len(found) == len(expected) > GROUPS  # each group once
        assert found[:-1] == expected[:-1]
        drawn = {"id", "token"}  # drawn from the id generator: the shared store's draws differ from memory's
        assert {k: v for k, v in found[-1].items() if k not in drawn} == {
            k: v for k, v in expected[-1].items() if k not in drawn
        }

    asyncio.run(test())


@pytest.mark.parametrize(("path", "query", "limit"), LISTS)
def test_a_cursor_of_a_reset_world_is_refused_as_in_memory(
    big_world: str, redis_url: str, path: str, query: dict[str, str], limit: int
) -> None:
    async def refusal(clients: list[httpx.AsyncClient]) -> httpx.Response:
        token = (await page(clients[0], path, query, limit, None))["nextToken"]
        assert (await clients[-1].post("/__mock__/reset", headers=CONTROL)).status_code == 200
        return await clients[0].get(
            path, params={**query, "limit": str(limit), "nextToken": token}, headers=ALICE
        )

    async def test() -> None:
        async with mocks(big_world) as memory, mocks(big_world, redis_url, count=2) as shared:
            expected = await refusal(memory)
            found = await refusal(shared)  # issued by one mock, the world reset through the other
        assert expected.status_code == 400
        assert expected.json()["code"] == "INVALID_NEXT_TOKEN"
        assert (found.status_code, found.json()) == (expected.status_code, expected.json())

    asyncio.run(test())


# ------------------------------------------------------------------------------- a restart, as real processes


def start_shared_mock(world: str, store: str) -> tuple[subprocess.Popen[str], str]:
    """`groupkit mock --fixtures WORLD --store STORE` on a free port, once it answers."""
    return start_mock(
        "--fixtures", world, "--store", store, "--shutdown-timeout", "2", "--seed", "7", timeout=120
    )


def stop_mock(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"SIGTERM did not stop the mock within 20 s: {err}")
    assert "Traceback" not in err, err


WRITES = 20  # POST /group between the two processes: log entries the new process applies after the snapshot


def _rest(http: httpx.Client, path: str, query: dict[str, str], limit: int, token: str | None) -> list[Any]:
    items: list[Any] = []
    while token:
        params = {**query, "limit": str(limit), "nextToken": token}
        answer = http.get(path, params=params, headers=ALICE)
        assert answer.status_code == 200, answer.text
        items.extend(answer.json()["items"])
        token = answer.json().get("nextToken")
    return items


def _expected(big_world: str) -> list[list[Any]]:
    """Each of LISTS walked whole on the in-memory mock."""

    async def walks() -> list[list[Any]]:
        async with mocks(big_world) as (memory,):
            return [(await walk([memory], *param.values))[0] for param in LISTS]

    return asyncio.run(walks())


def _check(walked: list[list[Any]], expected: list[list[Any]], names: list[str]) -> None:
    """Each walk is the in-memory one; Alice's list ends with the groups `names` created during the walk."""
    for param, items, whole in zip(LISTS, walked, expected, strict=True):
        if param.values[0] == "/user/groups":
            assert items[: len(whole)] == whole
            assert [group["name"] for group in items[len(whole) :]] == names
        else:
            assert items == whole


def test_a_next_token_survives_a_restart_of_the_process(big_world: str, redis_url: str) -> None:
    """Three pages of each list on one `groupkit mock --store` process, WRITES groups created, the process
    stopped and a new one started on the same Redis (it loads the snapshot and applies the log): each walk
    goes on with its `nextToken` and ends as the in-memory walk does, the new groups last in Alice's list."""
    expected = _expected(big_world)
    names = [f"W{number}" for number in range(WRITES)]
    first, url = start_shared_mock(big_world, redis_url)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            halves = []
            for path, query, limit in (param.values for param in LISTS):
                items, token = [], None
                for _ in range(3):
                    params = {**query, "limit": str(limit), **({"nextToken": token} if token else {})}
                    body = http.get(path, params=params, headers=ALICE).json()
                    items.extend(body["items"])
                    token = body["nextToken"]
                halves.append((items, token))
            for name in names:
                answer = http.post(
                    "/group", params={"parentId": bigworld.LYON}, json={"name": name}, headers=ALICE
                )
                assert answer.status_code == 200, answer.text
    finally:
        stop_mock(first)
    second, url = start_shared_mock(big_world, redis_url)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            walked = [
                items + _rest(http, path, query, limit, token)
                for (path, query, limit), (items, token) in zip(
                    (p.values for p in LISTS), halves, strict=True
                )
            ]
    finally:
        stop_mock(second)
    _check(walked, expected, names)


def test_a_next_token_survives_the_log_folded_into_a_snapshot(big_world: str, redis_url: str) -> None:
    """Three pages of each list on one mock, WRITES groups created, the log folded into a new snapshot
    (`SharedWorld._fold`, which a writer runs every max(COMPACT_EVERY, users + groups) entries: thousands
    here, so it is called directly), then a new mock on the same Redis (a restart: it loads the new
    snapshot) goes on with each `nextToken` and ends as the in-memory walk does."""
    import redis

    expected = _expected(big_world)
    names = [f"W{number}" for number in range(WRITES)]
    meta = f"{PREFIX}default:meta"

    async def test() -> list[list[Any]]:
        app = create_app(big_world, seed=7, store=redis_url)
        async with client_of(app) as first:
            halves = [await walk([first], *param.values, pages=3) for param in LISTS]
            for name in names:
                await _created(first, name, bigworld.LYON)
        shared = app.sessions.default.shared
        assert shared is not None
        await shared._fold()
        await app.sessions.client.aclose()  # type: ignore[attr-defined]
        client = redis.Redis.from_url(redis_url)
        try:
            folded = [str(WRITES).encode()] * 2  # every write in the snapshot, none left in the log
            assert client.hmget(meta, "base", "head") == folded
        finally:
            client.close()
        async with mocks(big_world, redis_url) as (second,):
            return [
                items + (await walk([second], *param.values, token))[0] if token else items
                for param, (items, token) in zip(LISTS, halves, strict=True)
            ]

    _check(asyncio.run(test()), expected, names)
