"""Isolated sessions, and the one seam through which everything finds the world a request acts on: the default
world, or the session an `X-Mock-Session: <name>` header names (its own store and journal, created on first use
from the start world, bounded in number and idle time).

    SessionMiddleware (sets the request's world) ─> journal, security lookup, handlers: sessions.current()
    control API: sessions.afind(name) / sessions.aselect(name) (async: Redis answers them on the shared store)

`Sessions.current()` is the seam: handlers, the token lookup, the journal and the control API all ask it for the
request's `World` (a `Store` and a `Journal`), chosen by a context variable that `SessionMiddleware` sets from
the header. Stores come from a factory (`new_store`), so a store class (`create_app(store_class=...)`) serves sessions
too; on the shared store, `groupkit.redisworlds.RedisSessions` keeps them in Redis, and the middleware catches a
world's replica up before its request (`World.fresh`). Decisions and limits: docs/sessions.md.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import SharedStoreUnavailable
from .journal import Journal
from .store import Store

# cli.py imports this module to build its parser: connexion, which problems.py imports, must stay unloaded
# there (app.py silences its import-time warning first).
if TYPE_CHECKING:
    from .problems import Problems
    from .replica import SharedWorld

SESSION_HEADER = "X-Mock-Session"
DEFAULT_MAX_SESSIONS = 100
DEFAULT_IDLE_SECONDS = 1800.0
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
NAME_RULE = "1 to 64 characters: letters, digits, '.', '_', '-' or ':', starting with a letter or digit"

_HEADER_KEY = SESSION_HEADER.lower().encode()

logger = logging.getLogger("groupkit.sessions")


class InvalidSessionName(ValueError):
    """Raised for a session name that breaks `NAME_RULE`, or a header that names more than one session; the
    message is the client's answer."""


def check_name(value: str) -> str:
    """`value` if it is a valid session name, else InvalidSessionName saying why."""
    if NAME.fullmatch(value) is None:
        raise InvalidSessionName(f"{SESSION_HEADER} must be {NAME_RULE}, not {value[:80]!r}")
    return value


@dataclass(eq=False)
class World:
    """One world requests act on: the default one (`name` None) or a session's. `extras` holds what other
    features keep per world (e.g. their settings), and goes away with it."""

    store: Store
    journal: Journal
    name: str | None = None
    created: float = 0.0
    last_used: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)
    shared: SharedWorld | None = None  # the world in Redis that `store` is a replica of (`groupkit.replica`)

    async def fresh(self) -> World:
        """This world, its replica caught up with the shared store first (a no-op in memory)."""
        if self.shared is not None:
            await self.shared.sync()
        return self


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


class Sessions:
    """The default world and at most `max_sessions` named ones, each made by `new_store()` and `new_journal()`.

    A session unused for `idle_seconds` expires, and when the count is full the least recently used one is
    evicted to make room: both are logged (one line naming the session and why) and happen when a session
    request or a control call arrives (the default world's requests do no bookkeeping). `clock` gives the
    time in seconds since the epoch (injectable for tests). Thread-safe."""

    def __init__(
        self,
        default: World,
        new_store: Callable[[], Store],
        new_journal: Callable[[], Journal],
        *,
        start: Any = None,
        seed: int | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_sessions < 1 or idle_seconds <= 0:
            raise ValueError("max_sessions must be at least 1 and idle_seconds more than 0")
        self.default = default
        self.new_store = new_store
        self.new_journal = new_journal
        self.start = start  # the world `reset` goes back to (fixtures format)
        self.seed = seed
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._sessions: OrderedDict[str, World] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._current: ContextVar[World] = ContextVar(f"groupkit-world-{id(self)}")

    # ----------------------------------------------------------------- the seam

    def current(self) -> World:
        """The world of the request being served: its session's, else the default one."""
        return self._current.get(self.default)

    def use(self, world: World) -> Callable[[], None]:
        """Make `world` the current one in this context; call the answer to undo it."""
        token = self._current.set(world)
        return lambda: self._current.reset(token)

    # ----------------------------------------------------------------- sessions by name

    def select(self, name: str) -> World:
        """The session `name`, created from the start world if it does not exist; marked as used now."""
        check_name(name)
        with self._lock:
            now = self.clock()
            self._expire(now)
            world = self._sessions.get(name)
            if world is not None:
                self._sessions.move_to_end(name)
            else:
                if len(self._sessions) >= self.max_sessions:
                    oldest, evicted = self._sessions.popitem(last=False)
                    idle = now - evicted.last_used
                    logger.warning(
                        "session %r evicted: %d sessions is the limit (--max-sessions) and it was the least"
                        " recently used (idle %.0f s) when %r was created",
                        oldest,
                        self.max_sessions,
                        idle,
                        name,
                    )
                world = World(self.new_store(), self.new_journal(), name, created=now)
                self._sessions[name] = world
            world.last_used = now
            return world

    def find(self, name: str) -> World | None:
        """The session `name` if it exists (not marked as used); InvalidSessionName for a bad name."""
        check_name(name)
        with self._lock:
            self._expire(self.clock())
            return self._sessions.get(name)

    def drop(self, name: str) -> bool:
        """Delete the session `name`; whether it existed."""
        check_name(name)
        with self._lock:
            self._expire(self.clock())
            return self._sessions.pop(name, None) is not None

    def reset(self, world: World) -> None:
        """Back to the start world; with a seed, ids are generated afresh from it too (as at first use)."""
        world.store.replace(self.start, rng=random.Random(self.seed) if self.seed is not None else None)

    def listing(self) -> list[dict[str, Any]]:
        """Each live session, the next to be evicted first: name, times, idle seconds and counts."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            chosen = list(self._sessions.values())
        return [
            {
                "name": world.name,
                "created": _iso(world.created),
                "lastUsed": _iso(world.last_used),
                "idleSeconds": round(now - world.last_used, 3),
                **world.store.counts(),
                "journal": len(world.journal),
            }
            for world in chosen
        ]

    def adopt(self, other: Sessions) -> None:
        """Take over `other`'s named sessions, each with its store, journal and extras (a live reload that kept
        the world hands them to the new mock); `other` keeps none."""
        with other._lock:
            taken, other._sessions = other._sessions, OrderedDict()
        with self._lock:
            self._sessions = taken

    def __len__(self) -> int:
        return len(self._sessions)

    # ----------------------------------------------------------------- the control API's async seam
    # In memory these are the methods above; a shared store (`groupkit.redisworlds`) answers from Redis.

    async def aselect(self, name: str) -> World:
        return await self.select(name).fresh()

    async def afind(self, name: str) -> World | None:
        world = self.find(name)
        return await world.fresh() if world is not None else None

    async def adrop(self, name: str) -> bool:
        return self.drop(name)

    async def areset(self, world: World) -> None:
        self.reset(world)

    async def areplace(self, world: World, data: Any) -> None:
        """Make `data` (the fixtures format) the world's state; `InvalidWorld` and nothing changes if broken."""
        world.store.replace(data)

    async def alisting(self) -> list[dict[str, Any]]:
        return self.listing()

    def _expire(self, now: float) -> None:
        """Drop the sessions idle for `idle_seconds` or more (they are at the front); holds the lock."""
        while self._sessions:
            name, world = next(iter(self._sessions.items()))
            idle = now - world.last_used
            if idle < self.idle_seconds:
                return
            del self._sessions[name]
            logger.warning(
                "session %r expired: idle %.0f s, the limit is %g s (--session-idle)",
                name,
                idle,
                self.idle_seconds,
            )


class SessionMiddleware:
    """Makes the session an `X-Mock-Session` header names the world of the request (the default world without
    the header; a bad name or a repeated header is a 400 with the contract's `Error` body)."""

    def __init__(self, app: ASGIApp, sessions: Sessions, problems: Problems) -> None:
        self.app = app
        self.sessions = sessions
        self.problems = problems

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = [value for key, value in scope["headers"] if key == _HEADER_KEY]
        if not names:
            default = self.sessions.default
            if default.shared is None or await self._caught_up(default, send):
                await self.app(scope, receive, send)
            return
        try:
            world = self.sessions.select(name_of(names))
        except InvalidSessionName as error:
            await self.problems.send(send, 400, str(error))
            return
        if world.shared is not None and not await self._caught_up(world, send):
            return
        undo = self.sessions.use(world)
        try:
            await self.app(scope, receive, send)
        finally:
            undo()

    async def _caught_up(self, world: World, send: Send) -> bool:
        """Catch a shared world's replica up before the request is served; False (a 503 sent) if the shared
        store cannot answer."""
        try:
            await world.fresh()
        except SharedStoreUnavailable as error:
            await self.problems.send_unavailable(send, error)
            return False
        return True


def name_of(values: list[bytes]) -> str:
    """The session name the header values carry; InvalidSessionName unless there is exactly one, and valid."""
    if len(values) != 1:
        raise InvalidSessionName(f"{SESSION_HEADER} must be sent once, not {len(values)} times")
    return check_name(values[0].decode("latin-1").strip(" \t"))
