"""groupkit.redisworlds over a real Redis, two workers (in-process mocks on one database): sessions made by one are
served, exported, reset, imported, listed and deleted by the other; a session's keys expire with its idle time
and the cluster-wide `--max-sessions` evicts the least recently used, keys and all; a sign-in token one worker
issued acts on the other until it expires; and one worker's requests are in the other's journal."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from groupkit.redisworlds import REGISTRY
from tests.conftest import CONTROL, DEFAULT_WORLD, auth, group_id, user_id
from tests.groupkit.test_replica import workers

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
ALICE = user_id(DEFAULT_WORLD, "alice")
SIGN_IN = "/oauth2/token?grant_type=client_credentials"
ALICE_CLIENT = "Basic " + base64.b64encode(b"demo-client-alice:demo-secret-alice").decode()


def session(name: str, who: str = "alice") -> dict[str, str]:
    return {"X-Mock-Session": name, **auth(who)}


async def names(worker: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    answer = await worker.get("/user/groups", headers=headers, params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return {group["name"] for group in answer.json()["items"]}


async def create(worker: httpx.AsyncClient, headers: dict[str, str], name: str) -> None:
    answer = await worker.post("/group", json={"name": name, "parentId": ACME}, headers=headers)
    assert answer.status_code == 200, answer.text


async def keys_of(url: str, name: str) -> list[bytes]:
    client = Redis.from_url(url)
    try:
        return sorted(await client.keys(f"gk:world:s:{name}:*"))
    finally:
        await client.aclose()


def test_a_session_made_through_one_worker_is_served_exported_and_journaled_by_another(
    redis_url: str,
) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            await create(a, session("team"), "Team depot")
            assert "Team depot" in await names(b, session("team"))
            assert "Team depot" not in await names(b, auth("alice"))  # the default world is another one
            state = (await b.get("/__mock__/state", headers={"X-Mock-Session": "team"})).json()
            assert "Team depot" in {group["name"] for group in state["groups"]}
            journal = (await b.get("/__mock__/journal", headers={"X-Mock-Session": "team"})).json()["items"]
            assert [(e["operationId"], e["caller"]) for e in journal] == [
                ("createGroup", ALICE),
                ("listUserGroups", ALICE),
            ]

    asyncio.run(test())


def test_one_workers_requests_are_in_the_other_workers_journal(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            assert (await a.get("/group/roles", headers=auth("dan"))).status_code == 200
            items = (await b.get("/__mock__/journal")).json()["items"]
            assert [(e["method"], e["path"], e["status"]) for e in items] == [("GET", "/group/roles", 200)]
            assert (await b.delete("/__mock__/journal", headers=CONTROL)).json() == {"cleared": 1}
            assert (await a.get("/__mock__/journal")).json()["items"] == []

    asyncio.run(test())


def _small_world() -> dict[str, Any]:
    world = copy.deepcopy(DEFAULT_WORLD)
    world["groups"] = [g for g in world["groups"] if g["name"] == "ACME Logistics"]
    kept = {ACME}
    for part in ("memberships", "devices", "apiKeys", "connectors", "notifications"):
        world[part] = [item for item in world[part] if item.get("groupId", ACME) in kept]
    return world


@pytest.mark.parametrize("name", [pytest.param(None, id="default-world"), pytest.param("imp", id="session")])
def test_an_import_and_a_reset_through_one_worker_are_what_the_other_serves(
    redis_url: str, name: str | None
) -> None:
    headers = {"X-Mock-Session": name} if name is not None else {}

    async def test() -> None:
        async with workers(redis_url) as (a, b):
            await names(a, session("pristine"))  # a session made from the start world, never written
            pristine = (await a.get("/__mock__/state", headers={"X-Mock-Session": "pristine"})).json()
            await create(b, {**headers, **auth("alice")}, "Before the import")
            imported = await a.put("/__mock__/state", json=_small_world(), headers={**headers, **CONTROL})
            assert imported.status_code == 200, imported.text
            assert await names(b, {**headers, **auth("alice")}) == {"ACME Logistics"}
            exported = [(await w.get("/__mock__/state", headers=headers)).json() for w in (a, b)]
            assert exported[0] == exported[1] and len(exported[0]["groups"]) == 1
            reset = await b.post("/__mock__/reset", headers={**headers, **CONTROL})
            assert reset.status_code == 200 and reset.json()["groups"] == len(DEFAULT_WORLD["groups"])
            assert (await a.get("/__mock__/state", headers=headers)).json() == pristine

    asyncio.run(test())


def test_deleting_a_session_through_one_worker_deletes_its_keys_for_all(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            await create(a, session("gone"), "Doomed")
            assert len(await keys_of(redis_url, "gone")) == 5  # meta, log, snap, journal, journal:id
            deleted = await b.delete("/__mock__/sessions/gone", headers=CONTROL)
            assert deleted.status_code == 200 and deleted.json() == {"deleted": "gone"}
            assert await keys_of(redis_url, "gone") == []
            listed = (await a.get("/__mock__/sessions")).json()["items"]
            assert listed == []
            assert (await a.get("/__mock__/health", headers={"X-Mock-Session": "gone"})).status_code == 404
            assert (await b.delete("/__mock__/sessions/gone", headers=CONTROL)).status_code == 404
            assert "Doomed" not in await names(a, session("gone"))  # `a` held a replica: it starts afresh

    asyncio.run(test())


@pytest.mark.slow
def test_a_session_expires_in_redis_after_its_idle_time_and_starts_afresh(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url, session_idle=0.5) as (a, b):
            await create(a, session("brief"), "Short-lived")
            client = Redis.from_url(redis_url)
            try:
                ttls = [await client.pttl(key) for key in await keys_of(redis_url, "brief")]
                assert len(ttls) == 5 and all(0 < ttl <= 500 for ttl in ttls)
                await asyncio.sleep(0.6)
                assert await keys_of(redis_url, "brief") == []
                assert "Short-lived" not in await names(a, session("brief"))  # `a` still held a replica
                assert "Short-lived" not in await names(b, session("brief"))
                assert await client.zscore(REGISTRY, "brief") is not None  # in use again
            finally:
                await client.aclose()

    asyncio.run(test())


def test_max_sessions_counts_every_workers_sessions_and_evicts_the_least_recently_used(
    redis_url: str,
) -> None:
    async def test() -> None:
        async with workers(redis_url, max_sessions=2) as (a, b):
            for worker, name in ((a, "first"), (b, "second"), (b, "first")):  # "second" is now the oldest use
                await create(worker, session(name), f"In {name}")
                await asyncio.sleep(0.005)  # distinct milliseconds in the registry
            await create(a, session("third"), "In third")
            assert await keys_of(redis_url, "second") == []
            assert len(await keys_of(redis_url, "first")) == 5
            listed = (await b.get("/__mock__/sessions")).json()
            assert [item["name"] for item in listed["items"]] == ["first", "third"]
            assert listed["maxSessions"] == 2
            assert "In first" in await names(a, session("first"))  # kept
            assert "In second" not in await names(
                b, session("second")
            )  # evicted: made afresh, evicting "third"
            listed = (await a.get("/__mock__/sessions")).json()
            assert [item["name"] for item in listed["items"]] == ["first", "second"]

    asyncio.run(test())


def test_one_worker_lists_the_sessions_another_made_with_their_counts(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            await create(a, session("listed"), "Counted")
            await create(a, session("listed"), "Counted too")
            started = time.time()
            listed = (await b.get("/__mock__/sessions")).json()
            [item] = listed["items"]
            assert item["name"] == "listed"
            assert item["groups"] == len(DEFAULT_WORLD["groups"]) + 2
            assert item["users"] == len(DEFAULT_WORLD["users"]) and item["journal"] == 2
            assert 0 <= item["idleSeconds"] < time.time() - started + 1

    asyncio.run(test())


async def _sign_in(worker: httpx.AsyncClient) -> str:
    answer = await worker.post(SIGN_IN, headers={"Authorization": ALICE_CLIENT})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_token_one_worker_issued_acts_on_the_other(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            token = await _sign_in(a)
            as_token = await b.get("/user/groups", headers={"Authorization": f"Bearer {token}"})
            assert as_token.status_code == 200
            assert as_token.json() == (await b.get("/user/groups", headers=auth("alice"))).json()
            forged = await b.get("/user/groups", headers={"Authorization": token[:-4] + "0000"})
            assert forged.status_code == 401

    asyncio.run(test())


@pytest.mark.slow
def test_a_token_one_worker_issued_expires_on_the_other(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url, token_lifetime=0.5) as (a, b):
            token = await _sign_in(a)
            assert (await b.get("/group/roles", headers={"Authorization": token})).status_code == 200
            await asyncio.sleep(0.6)
            for worker in (a, b):
                assert (await worker.get("/group/roles", headers={"Authorization": token})).status_code == 401

    asyncio.run(test())


FAULTY = {"faultRate": 1.0}  # every request to a documented operation answers one of its documented errors


async def faulted(worker: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    answer = await worker.get("/user/groups", headers=headers)
    assert answer.status_code in (200, 400, 401), answer.text  # GET /user/groups documents 400 and 401
    return answer.headers.get("x-mock-fault") == "error"


def test_latency_and_fault_settings_put_through_one_worker_hold_on_the_other(redis_url: str) -> None:
    async def test() -> None:
        async with workers(redis_url) as (a, b):
            assert not await faulted(b, auth("alice"))
            assert (await a.put("/__mock__/behaviour", json=FAULTY, headers=CONTROL)).status_code == 200
            assert await faulted(b, auth("alice"))  # the mock's settings, on the other worker
            shown = (await b.get("/__mock__/behaviour")).json()
            assert shown["behaviour"]["faultRate"] == 1.0
            assert (await b.delete("/__mock__/behaviour", headers=CONTROL)).status_code == 200
            assert not await faulted(a, auth("alice"))  # cleared through the other worker

            own = {**CONTROL, "X-Mock-Session": "flaky"}
            assert (await a.put("/__mock__/behaviour", json=FAULTY, headers=own)).status_code == 200
            assert await faulted(b, session("flaky"))  # a session's own settings, on the other worker
            assert not await faulted(b, auth("alice"))  # and only the session's
            assert (await b.delete("/__mock__/sessions/flaky", headers=CONTROL)).status_code == 200
            assert not await faulted(a, session("flaky"))  # a deleted session's settings go with it

    asyncio.run(test())


def test_shared_settings_this_contract_cannot_read_are_ignored_not_a_500(redis_url: str) -> None:
    """Settings put by a mock serving another version of the contract (an operation this one lacks)."""

    async def test() -> None:
        async with workers(redis_url, count=1) as (worker,):
            assert not await faulted(worker, auth("alice"))
            client = Redis.from_url(redis_url)
            try:
                stale = {"faultRate": 1.0, "operations": {"removedOperation": {"faultRate": 1.0}}}
                await client.hset("gk:behaviour", "", json.dumps(stale))
                await client.incr("gk:behaviour:version")
            finally:
                await client.aclose()
            assert not await faulted(worker, auth("alice"))  # answered 200: the unreadable settings ignored

    asyncio.run(test())
