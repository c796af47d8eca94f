"""What a mock started on a Redis that already holds its world keeps in memory (groupkit/redisworlds.py,
`sessions`). Found by bench/perf_worlds_shared.py: with 100,000 groups and 100,000 devices the worker held
538 MiB when it created the world in Redis and 957 MiB when it restarted on it."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import httpx

from groupkit.app import create_app
from groupkit.store import Store

ALICE = {"Authorization": "demo-token-alice"}


class Tracked(Store):
    """A store that notes every instance, to count the live ones."""

    made: list[weakref.ref[Store]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Tracked.made.append(weakref.ref(self))


def _live_stores() -> int:
    gc.collect()
    return sum(1 for ref in Tracked.made if ref() is not None)


def _served_once(redis_url: str) -> int:
    """A mock on `redis_url` that served one request; the stores alive while it lives."""
    Tracked.made.clear()
    app = create_app(seed=7, store=redis_url, store_class=Tracked)

    async def serve() -> None:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            assert (await client.get("/user/groups", headers=ALICE)).status_code == 200
        await app.sessions.client.aclose()  # type: ignore[attr-defined]

    asyncio.run(serve())
    return _live_stores()  # `app` is alive here: its replica counts


def test_a_mock_that_creates_the_world_in_redis_keeps_one_store(redis_url: str) -> None:
    assert _served_once(redis_url) == 1  # the replica, which took the built world's state


def test_a_mock_restarted_on_a_redis_holding_the_world_keeps_one_store(redis_url: str) -> None:
    _served_once(redis_url)  # creates the world in Redis
    assert _served_once(redis_url) == 1  # the replica, loaded from the snapshot
