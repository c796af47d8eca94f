"""The mock's worlds in Redis (`--store redis://...`): the connection, and the sessions kept there, so every worker
and replica serves the same sessions. Each world is a `groupkit.replica.SharedWorld`; this module names them,
expires them and bounds their number. Decisions and limits: docs/deployment.md.

Keys: a session's world is `gk:world:s:<name>:*` (replica.py), its journal among them (redisjournal.py); they expire
after `--session-idle` seconds unused (a TTL each request renews). The sorted set `gk:sessions` holds each
session's name, scored by its last use: the cluster-wide listing, and what `--max-sessions` is counted on.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .journal import Journal
from .redisextras import BEHAVIOUR, RedisBehaviour, RedisTokens
from .redisjournal import RedisJournal
from .redisscripts import unavailable
from .replica import PREFIX, SharedWorld
from .sessions import Sessions, World, _iso, check_name
from .store import Store

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from .faults import Faults
    from .signin import Signin

MAX_CONNECTIONS = 64  # to Redis, per worker
REGISTRY = "gk:sessions"
logger = logging.getLogger("groupkit.sessions")

# KEYS: the registry. ARGV: now in ms, idle in ms, max sessions, the world key prefix, the session just created.
# Forgets the sessions idle past the limit (their keys expired already), then evicts the least recently used
# ones beyond the limit, deleting their keys. Answers the names evicted.
_BOUND = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])  -- counted now: its first sync registers it only after this
if redis.call('HDEL', 'gk:behaviour', ARGV[5]) == 1 then redis.call('INCR', 'gk:behaviour:version') end
local evicted = {}
while redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[3]) do
  local name = redis.call('ZPOPMIN', KEYS[1])[1]
  for _, part in ipairs({':meta', ':log', ':snap', ':journal', ':journal:id'}) do
    redis.call('DEL', ARGV[4] .. 's:' .. name .. part)
  end
  if redis.call('HDEL', 'gk:behaviour', name) == 1 then redis.call('INCR', 'gk:behaviour:version') end
  table.insert(evicted, name)
end
return evicted
"""


def connect(url: str) -> Redis:
    """A client of the Redis `url` names (`redis://HOST:PORT/DB`, `rediss://` with TLS, `unix://PATH`; checked
    before by `workers.store_problem`, as `create_app` does). Connects on first use."""
    from redis.asyncio import BlockingConnectionPool, Redis

    # At most MAX_CONNECTIONS per worker: a burst of requests waits for a connection (up to 5 s, then 503)
    # instead of opening one each.
    pool = BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=5, socket_timeout=10, socket_connect_timeout=5
    )
    return Redis.from_pool(pool)  # the client owns the pool: `aclose()` closes its connections


class RedisSessions(Sessions):
    """The sessions of a shared store: each one a `SharedWorld` under `s:<name>`, expiring in Redis after
    `idle_seconds` unused. This process holds replicas of the sessions it has served (at most `max_sessions`,
    the least recently used dropped first: only the replica, Redis keeps the session)."""

    def __init__(
        self,
        client: Redis,
        default: World,
        start: Callable[[], Store],
        new_journal: Callable[[str], Journal],
        *,
        start_world: Any,
        seed: int | None,
        max_sessions: int,
        idle_seconds: float,
        **options: Any,
    ) -> None:
        super().__init__(
            default,
            start,
            lambda: new_journal(""),
            start=start_world,
            seed=seed,
            max_sessions=max_sessions,
            idle_seconds=idle_seconds,
            **options,
        )
        self.client = client
        self.start_store = start
        self.store_class = type(default.store)
        self.journal_of = new_journal
        self._bound = client.register_script(_BOUND)

    # ----------------------------------------------------------------- this process's replicas

    def select(self, name: str) -> World:
        """The replica of session `name` (made now if this process has none; Redis creates the session at its
        first sync, from the start world, if it does not hold it)."""
        check_name(name)
        with self._lock:
            now = self.clock()
            world = self._sessions.get(name)
            if world is None:
                while len(self._sessions) >= self.max_sessions:
                    self._sessions.popitem(last=False)
                world = self._new(name, now)
                self._sessions[name] = world
            self._sessions.move_to_end(name)
            world.last_used = now
            return world

    def _new(self, name: str, now: float) -> World:
        shared = SharedWorld(
            self.client,
            "s:" + name,
            self.start_store,
            ttl_seconds=self.idle_seconds,
            seed=self.seed,
            store_class=self.store_class,
            registry=REGISTRY,
            member=name,
            clock=self.clock,
            on_created=functools.partial(self._created, name),
        )
        return World(shared.store, self.journal_of("s:" + name), name, created=now, shared=shared)

    def _expire(self, now: float) -> None:
        """Redis expires sessions (their keys' TTL); a replica this process has not used for the idle time is
        dropped quietly (another worker may have served the session since)."""
        while self._sessions:
            name, world = next(iter(self._sessions.items()))
            if now - world.last_used < self.idle_seconds:
                return
            del self._sessions[name]

    async def _created(self, name: str) -> None:
        """Session `name` was just created in Redis (new, or after it expired): it starts with the mock's
        settings, and the limits are applied to the registry (idle time, count)."""
        with unavailable():
            evicted = await self._bound(
                keys=[REGISTRY],
                args=[
                    int(self.clock() * 1000),
                    int(self.idle_seconds * 1000),
                    self.max_sessions,
                    PREFIX,
                    name,
                ],
            )
        for raw in evicted:
            name = raw.decode()
            with self._lock:
                self._sessions.pop(name, None)
            logger.warning(
                "session %r evicted: %d sessions is the limit (--max-sessions) and it was the least recently used",
                name,
                self.max_sessions,
            )

    # ----------------------------------------------------------------- the control API's seam

    async def aselect(self, name: str) -> World:
        return await self.select(name).fresh()

    async def afind(self, name: str) -> World | None:
        check_name(name)
        if not await self._exists(name):
            return None
        return await self.aselect(name)

    async def adrop(self, name: str) -> bool:
        check_name(name)
        world = "s:" + name
        keys = [f"{PREFIX}{world}:{part}" for part in ("meta", "log", "snap", "journal", "journal:id")]
        with unavailable():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.exists(keys[0])
                pipe.delete(*keys)
                pipe.zrem(REGISTRY, name)
                pipe.hdel(BEHAVIOUR, name)
                pipe.incr(BEHAVIOUR + ":version")
                existed, *_ = await pipe.execute()
        with self._lock:
            self._sessions.pop(name, None)
        return bool(existed)

    async def areset(self, world: World) -> None:
        assert world.shared is not None
        rng = random.Random(self.seed) if self.seed is not None else None
        await world.shared.install(self.start, rng)

    async def areplace(self, world: World, data: Any) -> None:
        assert world.shared is not None
        await world.shared.install(data)

    async def alisting(self) -> list[dict[str, Any]]:
        """Each live session (in Redis, whichever worker served it), the next to be evicted first."""
        now = self.clock()
        with unavailable():
            await self.client.zremrangebyscore(REGISTRY, "-inf", int((now - self.idle_seconds) * 1000))
            ranked: Any = await self.client.zrange(REGISTRY, 0, -1, withscores=True)
            names = [(raw.decode(), float(score)) for raw, score in ranked]
        items = []
        for name, score in names:
            world = self._sessions.get(name) or self._new(name, now)
            if world.shared is not None:
                await world.shared.sync(touch=False)
            created = await self.client.hget(f"{PREFIX}s:{name}:meta", "created")
            last_used = score / 1000
            items.append(
                {
                    "name": name,
                    "created": _iso(int(created) / 1000) if created else _iso(last_used),
                    "lastUsed": _iso(last_used),
                    "idleSeconds": round(now - last_used, 3),
                    **world.store.counts(),
                    "journal": await world.journal.alength(),
                }
            )
        return items

    async def _exists(self, name: str) -> bool:
        with unavailable():
            return bool(await self.client.exists(f"{PREFIX}s:{name}:meta"))


def sessions(
    url: str,
    built: Store,
    start: Callable[[], Store],
    start_world: Any,
    journal_size: int,
    operations: Mapping[tuple[str, str], str],
    seed: int | None,
    max_sessions: int,
    idle_seconds: float,
) -> RedisSessions:
    """The worlds of a mock on the Redis `url` names: the default one (created from `built`, the start world
    already built, if Redis holds none; dropped once the replica holds the world Redis has) and the sessions
    (from `start()`), each with its journal in Redis."""
    client = connect(url)

    def journal(name: str) -> Journal:
        ttl = int(idle_seconds * 1000) if name.startswith("s:") else 0  # a session's expires with it
        return RedisJournal(client, PREFIX + name, journal_size, operations, ttl_ms=ttl)

    default = SharedWorld(client, "default", start, seed=seed, store_class=type(built), first=built)
    world = World(default.store, journal("default"), shared=default)
    return RedisSessions(
        client,
        world,
        start,
        journal,
        start_world=start_world,
        seed=seed,
        max_sessions=max_sessions,
        idle_seconds=idle_seconds,
    )


def share(sessions: Sessions, signin: Signin, faults: Faults) -> None:
    """Make the sign-in's issued tokens and the latency and fault settings the shared store's, so that they hold
    on every worker (`groupkit.redisextras`)."""
    assert isinstance(sessions, RedisSessions)
    signin.shared = RedisTokens(sessions.client)
    faults.shared = RedisBehaviour(sessions.client)
