"""groupkit.redisjournal over a real Redis: capped, ids increasing across workers, rendered and masked exactly as
the in-memory journal renders, expiring with its TTL; and the journal middleware recording before the answer
leaves, for both journals."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.types import Message, Receive, Scope, Send

from groupkit import contract
from groupkit.app import create_app
from groupkit.journal import MASK, MAX_BODY_KEPT, Body, Entry, Journal, JournalMiddleware
from groupkit.redisjournal import RedisJournal, decode, encode
from tests.conftest import TOKENS, auth

PREFIX = "gk:test:world"
OPERATIONS = {("POST", "/group/apiKey"): "createApiKey", ("GET", "/group/roles"): "listRoles"}


def entry(path: str = "/group/roles", **fields: Any) -> Entry:
    values: dict[str, Any] = {
        "time": "2026-11-25T10:00:00.000+00:00",
        "method": "GET",
        "path": path,
        "query": b"",
        "operation_id": OPERATIONS.get((fields.get("method", "GET"), path)),
        "caller": None,
        "body": Body(b"", 0),
        "status": 200,
        "response": Body(b"", 0),
        "duration_ms": 1.25,
    }
    return Entry(**{**values, **fields})


def with_redis(url: str, test: Callable[[Redis], Awaitable[None]]) -> None:
    """Runs `test` with a client of `url`, in an event loop of its own."""

    async def main() -> None:
        client = Redis.from_url(url)
        try:
            await test(client)
        finally:
            await client.aclose()

    asyncio.run(main())


def test_the_list_is_capped_and_ids_increase(redis_url: str) -> None:
    async def test(client: Redis) -> None:
        journal = RedisJournal(client, PREFIX, 3, OPERATIONS)
        for number in range(5):
            await journal.arecord(entry(f"/p{number}"))
        items = await journal.aentries()
        assert [(item["id"], item["path"]) for item in items] == [(3, "/p2"), (4, "/p3"), (5, "/p4")]
        assert await client.llen(f"{PREFIX}:journal") == 3  # trimmed in Redis, not only when read
        assert await journal.alength() == 3 and len(journal) == 3

    with_redis(redis_url, test)


def test_two_workers_share_one_journal(redis_url: str) -> None:
    async def test(first_client: Redis) -> None:
        second_client = Redis.from_url(redis_url)  # another worker's connection
        try:
            first = RedisJournal(first_client, PREFIX, 10, OPERATIONS)
            second = RedisJournal(second_client, PREFIX, 10, OPERATIONS)
            await asyncio.gather(
                *(worker.arecord(entry(f"/{n}")) for n, worker in enumerate([first, second] * 3))
            )
            seen_by_first, seen_by_second = await first.aentries(), await second.aentries()
            assert seen_by_first == seen_by_second and len(seen_by_first) == 6
            assert [item["id"] for item in seen_by_first] == [1, 2, 3, 4, 5, 6]  # one counter, no id twice
            assert {item["path"] for item in seen_by_first} == {f"/{n}" for n in range(6)}
            assert await second.aclear() == 6
            assert await first.aentries() == [] and len(first) == 0
            await first.arecord(entry("/after"))
            assert [item["id"] for item in await second.aentries()] == [7]  # ids go on after a clear
            assert await RedisJournal(first_client, "gk:test:other", 10, {}).aentries() == []
        finally:
            await second_client.aclose()

    with_redis(redis_url, test)


SECRET_JSON = json.dumps({"groupId": "g", "type": "TTN", "token": "sk-live-1", "nested": [{"password": "p"}]})
TEXT_WITH_SECRET = b'{"groupId": "g", "token": "text-secret", '  # not JSON: masked as text
LONG = json.dumps({"token": "cut-secret", "name": "x" * (MAX_BODY_KEPT + 10)}).encode()
ENTRIES = [
    entry(
        "/group/apiKey",
        method="POST",
        query=b"token=q-secret&limit=5&x=%C3%A9\xff",
        caller="user-1",
        body=Body(SECRET_JSON.encode(), len(SECRET_JSON)),
        response=Body(b'{"token": "sk-live-1", "id": "k"}', 33),
    ),
    entry("/group/apiKey", method="POST", status=400, body=Body(TEXT_WITH_SECRET, len(TEXT_WITH_SECRET))),
    entry("/group", method="POST", body=Body(LONG[:MAX_BODY_KEPT], len(LONG))),
    entry("/gr\u00f8up/\ud800", body=Body(b'{"name": "\xff"}', 13), status=0, duration_ms=0.0),
]


def test_an_entry_survives_its_stored_form() -> None:
    for each in ENTRIES:
        stored = encode(each)
        data = json.loads(stored)
        assert stored == json.dumps(data, separators=(",", ":"))  # compact
        assert (
            base64.b64decode(data["body"]["head"]) == each.body.head
            and data["body"]["size"] == each.body.size
        )
        assert decode(data) == each


def test_rendering_and_filters_equal_the_in_memory_journal(redis_url: str) -> None:
    async def test(client: Redis) -> None:
        in_redis, in_memory = RedisJournal(client, PREFIX, 10, OPERATIONS), Journal(10, OPERATIONS)
        for each in ENTRIES:
            await in_redis.arecord(each)
            in_memory.record(each)
        rendered = await in_redis.aentries()
        assert rendered == in_memory.entries()
        secret, text, long, _hostile = rendered
        assert secret["body"]["token"] == MASK and secret["body"]["nested"] == [{"password": MASK}]
        assert secret["responseBody"]["token"] == MASK and secret["query"]["token"] == [MASK]
        assert "text-secret" not in text["body"] and "cut-secret" not in long["body"]
        for query in [("createApiKey", None, None), (None, "post", None), (None, None, "/group")]:
            assert await in_redis.aentries(*query) == in_memory.entries(*query) != []

    with_redis(redis_url, test)


@pytest.mark.parametrize("ttl_ms", [0, 60_000])
def test_the_keys_get_the_ttl(redis_url: str, ttl_ms: int) -> None:
    async def test(client: Redis) -> None:
        journal = RedisJournal(client, PREFIX, 10, OPERATIONS, ttl_ms=ttl_ms)
        await journal.arecord(entry())
        for key in (journal.key, journal.id_key):
            ttl = await client.pttl(key)
            assert (0 < ttl <= ttl_ms) if ttl_ms else ttl == -1, (key, ttl)

    with_redis(redis_url, test)


def test_clear_answers_how_many_it_deleted(redis_url: str) -> None:
    async def test(client: Redis) -> None:
        journal = RedisJournal(client, PREFIX, 10, OPERATIONS)
        await journal.arecord(entry())
        await journal.arecord(entry())
        assert len(journal) == 2
        assert await journal.aclear() == 2
        assert await journal.aclear() == 0
        assert await client.exists(journal.key) == 0 and await journal.alength() == 0

    with_redis(redis_url, test)


def test_the_sync_methods_do_not_pretend(redis_url: str) -> None:
    async def test(client: Redis) -> None:
        journal = RedisJournal(client, PREFIX, 10, OPERATIONS)
        await RedisJournal(client, PREFIX, 10, OPERATIONS).arecord(entry())  # another worker's record
        assert len(journal) == 0  # not asked yet: the last length it saw
        assert await journal.alength() == 1 and len(journal) == 1
        for call, instead in [
            (lambda: journal.record(entry()), "arecord"),
            (journal.entries, "aentries"),
            (journal.clear, "aclear"),
        ]:
            with pytest.raises(TypeError, match=rf"await \.{instead}\(\)"):
                call()
        with pytest.raises(ValueError, match="gk:"):
            RedisJournal(client, "groupkit:x", 10, {})

    with_redis(redis_url, test)


async def answering(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that answers in two chunks, or fails after its first chunk when the path says so."""
    await receive()
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b'{"a": ', "more_body": True})
    if scope["path"] == "/fails":
        raise RuntimeError("the app broke mid-answer")
    await send({"type": "http.response.body", "body": b"1}"})


JOURNALS = [
    pytest.param(lambda _client: Journal(10, {}), id="in-memory"),
    pytest.param(lambda client: RedisJournal(client, PREFIX, 10, {}), id="redis"),
]


@pytest.mark.parametrize("make", JOURNALS)
def test_the_entry_is_recorded_before_the_answer_ends(redis_url: str, make: Any) -> None:
    async def test(client: Redis) -> None:
        journal = make(client)
        middleware = JournalMiddleware(answering, journal, "/__mock__")
        seen: list[list[dict[str, Any]]] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                seen.append(await journal.aentries())  # what another worker would read at this moment

        async def call(path: str) -> None:
            scope = {"type": "http", "method": "POST", "path": path, "query_string": b"", "headers": []}
            await middleware(scope, _receiving(b'{"in": 1}'), send)

        await call("/ok")
        before_chunk, before_end = seen
        assert before_chunk == []  # not before the answer is complete
        (recorded,) = before_end  # but before its last message goes out
        assert (recorded["status"], recorded["body"], recorded["responseBody"]) == (201, {"in": 1}, {"a": 1})
        with pytest.raises(RuntimeError):
            await call("/fails")
        entries = await journal.aentries()
        assert [(item["path"], item["status"]) for item in entries] == [("/ok", 201), ("/fails", 201)]
        assert entries[1]["responseBody"] == '{"a": '  # what went out, once

    with_redis(redis_url, test)


def _receiving(body: bytes) -> Receive:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def test_the_control_api_reads_and_clears_a_redis_journal(redis_url: str) -> None:
    async def test(client: Redis) -> None:
        mock = create_app(seed=7)
        journal = RedisJournal(client, PREFIX, 10, contract.operations(contract.load()))
        mock.sessions.default.journal = journal
        transport = httpx.ASGITransport(app=mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            created = await http.post("/group", json={"name": "In Redis"}, headers=auth("alice"))
            assert created.status_code == 200, created.text
            (item,) = (await http.get("/__mock__/journal", params={"operationId": "createGroup"})).json()[
                "items"
            ]
            assert item["responseBody"] == {**created.json(), "token": MASK}
            assert TOKENS["alice"] not in json.dumps(item)
            assert await journal.alength() == 1  # in Redis, where every worker reads it
            cleared = await http.delete("/__mock__/journal", headers={"X-Mock-Control": "1"})
            assert cleared.json() == {"cleared": 1} and await journal.alength() == 0

    with_redis(redis_url, test)
