"""A world shared through Redis by every worker and replica of the mock: Redis keeps the world's snapshot and
the ordered log of the writes made since; each process keeps an in-memory replica (`Store`) and runs the
domain rules on it, in the log's order. Decisions and limits: docs/deployment.md.

    request ──> sync(): one round trip (Lua), apply the log entries this replica has not seen
    write   ──> Proposed(command) ──> commit(): append to the log (Lua, atomic), apply up to it ──> its outcome

Why a log and not one Redis key per record: the rules (`access`, `groups`, `members`, `apikeys`) read much of
the world to decide one write (a group's ancestry, every member above it, a user's memberships); run against
Redis keys they would need a transaction over all of those keys and a second copy of the rules in Lua. Here
Redis orders the writes (the append script is atomic, so two workers racing for the last Administrator, a
key type or an e-mail are put in one order) and every replica applies the same commands in that order with
the same inputs (the writer's date and a seed for its ids), so every replica reaches the same state and
answers the same outcome. A write is answered only once it is in the log, and each request first catches up
with the log, so a write answered by one worker is seen by the next request on any worker. Reads and pages
run on the replica: a page costs what it costs in memory (O(log n + limit), `access.visible_index`).

Keys of a world (`PREFIX` + the world's name): `:meta` (hash, `groupkit.redisscripts`), `:snap` (the snapshot,
in the state file's format, `groupkit.statefile`), `:log` (list: the commands, from `KEEP` before the snapshot's
index). Once the log holds max(`COMPACT_EVERY`, the world's users and groups) entries past the snapshot, the
writer that notices folds them into a new snapshot (`_fold`). A session's keys expire after its idle time (a
TTL renewed by each request); the default world's never do.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import commands, statefile
from . import redisscripts as scripts
from . import world as worlds
from .commands import BlockingLoop, Outcome, Proposed, answering
from .errors import SharedStoreUnavailable
from .redisscripts import unavailable
from .state import State
from .store import Store, utc_today

if TYPE_CHECKING:
    from redis.asyncio import Redis

PREFIX = "gk:world:"
COMPACT_EVERY = 1000  # log entries between two snapshots, at least
ATTEMPTS = 10  # catching up, or appending, while the world keeps being replaced (resets, imports)
KEEP = 1000  # log entries kept before a snapshot's index: a replica this little behind a fold reads on
BULK_LIMIT = 512 << 20  # Redis's default proto-max-bulk-len: the largest value it takes
_SOURCE = Path("redis")  # how a snapshot is named in the state file's error messages


class SharedWorld:
    """One world in Redis under `PREFIX + name`, and this process's replica of it (`store`).

    `start()` builds the world a new incarnation starts from (when Redis holds none, or it expired; `first`,
    if given, is that world built already, used once and dropped as soon as the replica holds a world);
    `ttl_seconds` (None: never) is how long the world lives unused; with a `registry` (a sorted set), each use
    marks `member` used now there. Call `sync()` before serving a request
    from `store`; a verb called on `store` raises `Proposed` (served: `answering` commits it), or with
    `blocking` set (tests, tools) is committed at once through it."""

    def __init__(
        self,
        client: Redis,
        name: str,
        start: Callable[[], Store],
        *,
        ttl_seconds: float | None = None,
        seed: int | None = None,
        today: Callable[[], str] = utc_today,
        on_created: Callable[[], Awaitable[None]] | None = None,
        registry: str | None = None,
        member: str = "",
        store_class: type[Store] = Store,
        first: Store | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.name = name
        self.keys = [f"{PREFIX}{name}:meta", f"{PREFIX}{name}:log", f"{PREFIX}{name}:snap"]
        self._script_keys = [*self.keys, registry] if registry is not None else self.keys
        self.member = member if registry is not None else ""  # its name in the registry (a session's)
        self.clock = clock
        self.start = start
        self._first = first  # the start world built already: the first incarnation, if Redis holds none
        self.ttl_ms = int(ttl_seconds * 1000) if ttl_seconds is not None else 0
        self.today = today
        self.on_created = on_created
        self._ids = random.Random(seed) if seed is not None else random.Random(secrets.randbits(64))
        self.store = store_class(State(), today=today)
        self.store.replicator = self
        self.world_id: str | None = None
        self.base = 0
        self.index = 0
        self.settings_version = 0  # of the latency and fault settings, as of the last round trip
        self.blocking: Callable[[Coroutine[Any, Any, Any]], Any] | None = None
        self._waiting: dict[str, Outcome | None] = {}
        self._folding = False
        self._base_size = 0  # the world's users and groups when this replica learnt of the snapshot's index
        self._loading = asyncio.Lock()
        self._loads = 0  # how many times the replica was loaded from a snapshot
        self._sync = client.register_script(scripts.SYNC)
        self._append = client.register_script(scripts.APPEND)
        self._install = client.register_script(scripts.INSTALL)
        self._compact = client.register_script(scripts.COMPACT)

    # ----------------------------------------------------------------- reading

    async def sync(self, *, touch: bool = True) -> None:
        """Catch the replica up with the world in Redis (creating the world if Redis holds none); `touch`:
        as a request does, renewing the world's time to live (a listing reads without it)."""
        for _ in range(ATTEMPTS):
            since = self.index if self.world_id is not None else -1
            ttl, member = (self.ttl_ms, self.member) if touch else (0, "")
            loads = self._loads
            reply = await self._call(self._sync, since, ttl, member, self._now_ms())
            if not reply:
                if not touch:
                    return  # gone: a reading that does not use the world does not create it either
                await self._create()
                continue
            if self._absorb(reply, since):
                return
            # Loaded (by this request or another) from what Redis held after this request began: fresh enough.
            await self._load(loads)
            if self.world_id is not None:
                return
        raise SharedStoreUnavailable(f"the world {self.label} kept changing while it was read; try again")

    # ----------------------------------------------------------------- writing

    def write(self, verb: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A verb called on the replica (`Store`'s `Replicator`): answered from the outcome `answering` set,
        else proposed (or, `blocking`, committed now)."""
        outcome = commands.OUTCOME.get()
        if outcome is not None:
            return outcome.unwrap()
        command = commands.new(verb, args, kwargs, self.today(), self._ids.getrandbits(64))
        if self.blocking is not None:
            return self.blocking(self.commit(command)).unwrap()
        raise Proposed(self, command)

    async def commit(self, command: dict[str, Any]) -> Outcome:
        """Append `command` to the world's log and apply the log up to it; the command's outcome."""
        payload = json.dumps(command, separators=(",", ":"))
        key = command["id"]
        self._waiting[key] = None
        try:
            for _ in range(ATTEMPTS):
                if self.world_id is None:
                    await self.sync()
                since, loads = self.index, self._loads
                reply = await self._call(
                    self._append, self.world_id, since, self.ttl_ms, payload, self.member, self._now_ms()
                )
                if len(reply) == 1:  # the world was replaced (load it), or expired (make it): then append
                    if not reply[0]:
                        await self.sync()
                        continue
                    await self._load(loads)
                    if self.world_id != reply[0].decode():  # another request loaded an older one meanwhile
                        await self._load(self._loads)
                    continue
                appended_to = reply[0].decode()
                if not self._absorb(reply, since):
                    await self._load(loads)
                    if self._waiting.get(key) is None and self.world_id == appended_to:
                        await self.sync()  # loaded by another request before this append: apply up to it
                outcome = self._waiting.get(key)
                if outcome is None and self.world_id != appended_to:
                    continue  # replaced (reset, import) right after the append: the write goes into the new world
                if outcome is None:
                    raise SharedStoreUnavailable(
                        f"the outcome of this write on the world {self.label} was folded away before it was read;"
                        " try again"
                    )
                if self.index - self.base >= max(COMPACT_EVERY, self._base_size) and not self._folding:
                    await self._fold()
                return outcome
            raise SharedStoreUnavailable(f"the world {self.label} kept being replaced; try again")
        finally:
            self._waiting.pop(key, None)

    def replace(self, world: Any, rng: random.Random | None = None) -> None:
        """`Store.replace` on a replica: only with `blocking` (served, use `await install(...)`)."""
        if self.blocking is None:
            raise RuntimeError("a served replica's world is replaced with `await SharedWorld.install(...)`")
        self.blocking(self.install(world, rng))

    async def install(self, world: Any, rng: random.Random | None = None) -> None:
        """Make `world` (the fixtures format; `InvalidWorld` if broken, and nothing changes) the world's new
        incarnation, for every replica: a reset or an import."""
        fresh = Store(worlds.build(world), rng=rng)
        await self._put(fresh, only_if_absent=False)

    # ----------------------------------------------------------------- internals

    @property
    def label(self) -> str:
        return repr(self.name)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def _call(self, script: Any, *args: Any) -> Any:
        with unavailable():
            return await script(keys=self._script_keys, args=list(args))

    async def _create(self) -> None:
        """A new incarnation from the start world, unless another process made one first."""
        first, self._first = self._first, None
        if await self._put(first or self.start(), only_if_absent=True) and self.on_created is not None:
            await self.on_created()

    async def _put(self, store: Store, *, only_if_absent: bool) -> bool:
        world_id = uuid.uuid4().hex
        snapshot = statefile.encode(store.snapshot())
        absent = "1" if only_if_absent else "0"
        try:
            made = await self._call(self._install, world_id, snapshot, self.ttl_ms, absent, self._now_ms())
        except SharedStoreUnavailable as error:
            if len(snapshot) >= BULK_LIMIT:  # Redis closes the connection on such a value, without a reason
                raise SharedStoreUnavailable(
                    f"{error}; the world's snapshot is {len(snapshot) >> 20} MiB, and Redis takes no value over"
                    " its proto-max-bulk-len (512 MiB unless raised): raise it (docs/deployment.md)"
                ) from error
            raise
        if made:
            async with self._loading:
                self.store.install(*store.parts())
                self.world_id, self.index = world_id, 0
                self._moved_base(0)
        return bool(made)

    async def _load(self, loads: int) -> None:
        """Read the snapshot and the log in one transaction, and rebuild the replica from them; unless the
        replica was loaded again since the caller saw it `loads` times (many requests finding it behind at
        once load it once)."""
        async with self._loading:
            if self._loads != loads:
                return
            self._loads += 1
            with unavailable():
                async with self.client.pipeline(transaction=True) as pipe:
                    pipe.hgetall(self.keys[0])
                    pipe.get(self.keys[2])
                    pipe.lrange(self.keys[1], 0, -1)
                    meta, snapshot, entries = await pipe.execute()
            if not meta or snapshot is None:
                self.world_id = None  # gone (expired): the next sync creates it again
                return
            self._first = (
                None  # dropped before the snapshot is read: a restart holds one built world, not two
            )
            state, rng = statefile.decode(json.loads(snapshot), _SOURCE)
            del snapshot
            self.store.install(state, rng)
            self.world_id = meta[b"id"].decode()
            self.index = int(meta[b"base"])
            self._moved_base(self.index)
            for raw in entries[self.index - int(meta[b"start"]) :]:  # the list keeps some the snapshot holds
                self._apply(raw)

    def _absorb(self, reply: list[Any], since: int) -> bool:
        """Apply what a _SYNC or _APPEND reply holds; False if the replica must reload the snapshot instead."""
        world_id, start, head, entries = reply[0].decode(), int(reply[1]), int(reply[2]), reply[3]
        self.settings_version, base = int(reply[4]), int(reply[5])
        if world_id != self.world_id or since < start or self.index < since:
            return False
        self._first = None  # the replica holds the world Redis has: the built start world is not needed
        if base > self.base:
            self._moved_base(base)
        for offset, raw in enumerate(entries):  # entry `offset` is the log's index since + 1 + offset
            if since + 1 + offset > self.index:
                self._apply(raw)
        return since + len(entries) >= head

    def _apply(self, raw: bytes) -> None:
        key, outcome = commands.run(self.store, raw)
        self.index += 1
        if key in self._waiting:
            self._waiting[key] = outcome

    async def _fold(self) -> None:
        """Fold the log into a snapshot at this replica's index: once it holds `COMPACT_EVERY` entries, or as
        many as the world had users and groups at the last snapshot if more (a snapshot costs O(world), so
        it is paid once every O(world) writes, and loading the log after it costs no more than loading the
        snapshot). The write that notices waits for it: the snapshot is taken on the loop and encoded on a
        thread (docs/deployment.md gives the cost). Another writer may fold at the same time (the script
        keeps the newer)."""
        self._folding = True
        try:
            index, snapshot = self.index, self.store.snapshot()
            encoded = await asyncio.to_thread(statefile.encode, snapshot)
            folded = await self._call(self._compact, self.world_id, index, encoded, KEEP)
            if folded and index > self.base:
                self._moved_base(index)
        finally:
            self._folding = False
        self._base_size = 0  # the world's users and groups when this replica learnt of the snapshot's index

    @property
    def _size(self) -> int:
        counts = self.store.counts()
        return counts["users"] + counts["groups"]

    def _moved_base(self, base: int) -> None:
        """The world's snapshot now holds the log up to `base`; the next fold is due `_base_size` entries on
        (the world's size now: measured when the snapshot moves, not as the log grows, since a log of
        creations grows the world as fast as itself)."""
        self.base = base
        self._base_size = self._size


__all__ = [
    "BlockingLoop",
    "COMPACT_EVERY",
    "Outcome",
    "Proposed",
    "SharedStoreUnavailable",
    "SharedWorld",
    "answering",
]
