"""The backends the domain tests run over: a plain in-memory `Store`, or the replica of a world shared through
Redis (`groupkit.replica.SharedWorld`, blocking: each write is committed to the world's log before it
answers), so that the same test code checks the same rules on both. `tests/conftest.py: make_store` picks one.
`in_process_mocks` serves whole mocks on either, driven in process (on Redis: as `--workers` runs them)."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import httpx

from groupkit.app import MockApp, create_app
from groupkit.redisworlds import connect
from groupkit.replica import PREFIX, BlockingLoop, SharedWorld
from groupkit.store import Store

BACKENDS = ("memory", "redis")
TODAY = "2026-11-25"


class StoreFactory(Protocol):
    """`make_store(world, rng=..., today=...)`: a store holding a copy of `world` (the fixtures format)."""

    def __call__(
        self, world: Any, *, rng: random.Random | None = None, today: Callable[[], str] = ...
    ) -> Store: ...


def memory_store(
    world: Any, *, rng: random.Random | None = None, today: Callable[[], str] = lambda: TODAY
) -> Store:
    """A plain in-memory store of a copy of `world`."""
    return Store.from_world(copy.deepcopy(world), rng=rng, today=today)


class RedisWorlds:
    """Fresh shared worlds in one Redis database, driven from synchronous test code through a `BlockingLoop`:
    each `store(...)` is a new world (a name of its own) and its replica; `replica(...)` is one more replica
    of a world, as another worker holds it. `drop()` deletes the worlds made so far; `close()` closes the
    client and stops the loop."""

    def __init__(self, url: str) -> None:
        self.loop = BlockingLoop()
        try:
            self.client = self.loop.run(_connect(url))
        except BaseException:
            self.loop.close()
            raise
        self._run = uuid.uuid4().hex[:8]  # world names of this object: no two tests share a world
        self._count = 0
        self._made: list[SharedWorld] = []

    def shared(
        self, world: Any, *, rng: random.Random | None = None, today: Callable[[], str] = lambda: TODAY
    ) -> SharedWorld:
        """A new world in Redis holding a copy of `world`, and this process's replica of it (synced). The
        writes' ids come from a seed drawn from `rng` (when given), so a seeded test stays deterministic."""
        self._count += 1
        name = f"test-{self._run}-{self._count}"
        start = copy.deepcopy(world)  # `from_world` keeps no reference to it
        seed = rng.getrandbits(64) if rng is not None else None
        shared = SharedWorld(
            self.client, name, lambda: Store.from_world(start, rng=rng, today=today), seed=seed, today=today
        )
        shared.blocking = self.loop.run
        self._made.append(shared)
        self.loop.run(shared.sync())
        return shared

    def store(
        self, world: Any, *, rng: random.Random | None = None, today: Callable[[], str] = lambda: TODAY
    ) -> Store:
        """The replica `Store` of a new world holding a copy of `world` (a `StoreFactory`)."""
        return self.shared(world, rng=rng, today=today).store

    def replica(self, of: SharedWorld, *, blocking: bool = False) -> SharedWorld:
        """Another replica of the world `of` replicates (synced now), as another worker or process holds it.
        Not `blocking`, a write on it raises `Proposed`: a test that means to read there cannot write there."""
        other = SharedWorld(self.client, of.name, _no_start, today=of.today)
        if blocking:
            other.blocking = self.loop.run
        self.sync(other)
        return other

    def split(
        self, world: Any, *, rng: random.Random | None = None, today: Callable[[], str] = lambda: TODAY
    ) -> Store:
        """A new world of a copy of `world` seen through two replicas (`SplitReplicas`, typed as the `Store`
        it stands for: a `StoreFactory`)."""
        writer = self.shared(world, rng=rng, today=today)
        split: Any = SplitReplicas(self, writer, self.replica(writer))
        return cast(Store, split)

    def sync(self, shared: SharedWorld) -> None:
        self.loop.run(shared.sync())

    def drop(self) -> None:
        """Delete the worlds made since the last `drop()` from Redis (a test's teardown)."""
        keys = [key for shared in self._made for key in shared.keys]
        self._made.clear()
        if keys:
            self.loop.run(self.client.delete(*keys))

    def keys(self) -> list[bytes]:
        """The keys in Redis of the worlds this object made (and did not drop)."""
        found: list[bytes] = self.loop.run(self.client.keys(f"{PREFIX}test-{self._run}-*"))
        return found

    def close(self) -> None:
        try:
            self.loop.run(self.client.aclose())
        finally:
            self.loop.close()

    def __enter__(self) -> RedisWorlds:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# The verbs of `Store` that change the world (its `_changes` verbs, and `replace`).
WRITES = frozenset(
    {
        "create_group",
        "update_group",
        "create_api_key",
        "update_api_key",
        "delete_api_key",
        "invite",
        "update_member",
        "remove_member",
        "replace",
    }
)


class SplitReplicas:
    """Two replicas of one shared world used as one store, as two workers serve it: every write verb runs on
    `writer` (committed to the log), then `reader` catches up (`sync()`); every other call reads `reader`.
    The reader is not blocking, so a write verb missing from `WRITES` raises `Proposed` there: it cannot
    pass unnoticed as a read."""

    def __init__(self, worlds: RedisWorlds, writer: SharedWorld, reader: SharedWorld) -> None:
        self.worlds = worlds
        self.writer = writer
        self.reader = reader

    def __getattr__(self, name: str) -> Any:
        if name not in WRITES:
            return getattr(self.reader.store, name)
        verb = getattr(self.writer.store, name)

        def write(*args: Any, **kwargs: Any) -> Any:
            try:
                return verb(*args, **kwargs)
            finally:
                self.worlds.sync(self.reader)

        return write


async def _connect(url: str) -> Any:
    client = connect(url)
    await client.ping()
    return client


def _no_start() -> Store:
    raise AssertionError("a second replica joins a world that exists; it never starts one")


__all__ = [
    "BACKENDS",
    "TODAY",
    "WRITES",
    "RedisWorlds",
    "SplitReplicas",
    "StoreFactory",
    "memory_store",
]


def client_of(app: MockApp) -> httpx.AsyncClient:
    """An HTTP client of `app`, in process (an app's exception is its 500, as on the wire)."""
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60)


@asynccontextmanager
async def in_process_mocks(
    count: int = 1, *, store: str = "memory", **options: Any
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Clients of `count` mocks `create_app(seed=7, store=store, **options)` builds, each driven in process (on
    one Redis: as `--workers` runs them); clients and Redis connections are closed after."""
    apps = [create_app(seed=7, store=store, **options) for _ in range(count)]
    clients = [client_of(app) for app in apps]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()
        for app in apps:
            shared = app.sessions.default.shared
            if shared is not None:
                await shared.client.aclose()
