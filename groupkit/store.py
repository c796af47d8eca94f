"""The mock's world behind one facade: every domain verb of the API, the world in and out, and the lock.

Plain Python, no HTTP and no wire format: each verb takes the caller's user id first and explicit, typed
arguments, and answers domain objects (`groupkit.model`) or raises a domain error (`groupkit.errors`). The
rules live in `groupkit.access`, `groups`, `members` and `apikeys`, as functions of the data (`State`);
this class owns the state, the lock, and the clock and id generator (`rng`, `today`: injected, so a
seeded store is deterministic).

Concurrency. The mock as served never runs two store calls at once. connexion 3's AsyncApp awaits a
handler that is a coroutine function on the event loop and sends only the others to a thread pool
(`connexion/decorators/main.py`, `ASGIDecorator._sync_async_decorator`); ours are `async def`, bound to
the request's store by `binding.bind`, which keeps a coroutine function one (`tests/groupkit/test_app.py` checks
both kinds). The token lookup (`connexion/security.py`, `_generic_check`) and the control API's `async`
endpoints run on the loop too, and no verb awaits, so each call runs to completion without interleaving.
The re-entrant lock is kept for Python code on other threads: a test thread reading `MockApp.store`
while uvicorn serves that app from a thread of its own (`tests/conftest.py: serve`; no test does so
today), or one app driven from two event loops (each starlette `TestClient` runs one in a thread).
Uncontended it costs ~0.25 µs a call.

Shared. On a replica of a world kept in Redis (`groupkit.replica`), `replicator` is set: a write verb hands
the call to it (it goes into the world's log first, and every replica applies it in the log's order, through
`apply`), so the rules here run the same on every backend.

Saving. Every verb that changes the world (and `replace`) raises `version`; `snapshot()` takes the whole
world with that version under the lock, which is what `groupkit.statefile` writes to a state file.
"""

from __future__ import annotations

import functools
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from . import apikeys, groups, members
from . import world as worlds
from .access import effective_role
from .model import ApiKey, Device, GroupChanges, GroupView, Member, MembershipView, Removal, User
from .pagination import Cursors, Page
from .roles import BUILT_IN, Role
from .state import State

P = ParamSpec("P")
R = TypeVar("R")


def utc_today() -> str:
    return datetime.now(UTC).date().isoformat()


def _atomic(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run the method holding the store's lock (see the module's docstring for why there is one)."""

    @functools.wraps(method)
    def locked(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


def _changes(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a verb that changes the world holding the lock; if it succeeds, the store's version goes up (a
    refused call changes nothing, so it leaves the version as it was). A replica of a shared world hands the
    call to its `replicator` instead, which runs it in the world's order (`groupkit.replica`)."""

    name = method.__name__

    @functools.wraps(method)
    def changing(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.replicator is not None and not self.applying:
            result: R = self.replicator.write(name, args, kwargs)
            return result
        with self.lock:
            result = method(self, *args, **kwargs)
            self._version += 1
            return result

    return changing


@dataclass(frozen=True)
class Snapshot:
    """The whole store at one moment: its world, where each item stands in the lists, the key its cursors
    are sealed with, the state of its id generator, and the store's `version` then."""

    world: dict[str, Any]
    positions: worlds.Positions
    cursor_key: bytes
    ids: tuple[Any, ...]
    version: int


class Replicator(Protocol):
    """What a replica of a shared world hands its writes to (`groupkit.replica.SharedWorld`)."""

    def write(self, verb: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...

    def replace(self, world: Any, rng: random.Random | None) -> None: ...


class Store:
    """The whole world of one mock. Build it with `Store.from_world(data)`; `export()` gives it back."""

    replicator: Replicator | None = None  # set on a replica of a shared world (`groupkit.replica`)
    applying = False  # True while a replica applies a write of the world's log

    def __init__(
        self,
        state: State | None = None,
        *,
        rng: random.Random | None = None,
        today: Callable[[], str] = utc_today,
    ) -> None:
        self.lock = threading.RLock()
        self._state = state if state is not None else State()
        self._rng = rng or random.Random()
        self._today = today
        self._version = 0

    # ----------------------------------------------------------------- the world in and out

    @classmethod
    def from_world(cls, world: Any, **options: Any) -> Store:
        """A store holding `world` (the fixtures format); `groupkit.world.InvalidWorld` (a ValueError)
        lists what is wrong with it."""
        return cls(worlds.build(world), **options)

    def replace(self, world: Any, rng: random.Random | None = None) -> None:
        """Swap the whole state for `world` (and the id generator for `rng`, if given); if `world` is
        broken, `InvalidWorld` and nothing changes."""
        if self.replicator is not None:
            self.replicator.replace(world, rng)
            return
        state = worlds.build(world)
        with self.lock:
            self._state = state
            if rng is not None:
                self._rng = rng
            self._version += 1

    def install(self, state: State, rng: random.Random | None = None) -> None:
        """Swap in a whole state read back from elsewhere (a shared world's snapshot, `groupkit.replica`)."""
        with self.lock:
            self._state = state
            if rng is not None:
                self._rng = rng
            self._version += 1

    def parts(self) -> tuple[State, random.Random]:
        """The state and id generator (a world built here, handed to a shared world's replica)."""
        return self._state, self._rng

    def apply(self, verb: str, args: Sequence[Any], kwargs: dict[str, Any], today: str, seed: int) -> Any:
        """Run one write of a shared world's log on this replica, as its writer asked for it: on `today`, with
        ids drawn from `seed` (every replica draws the same). Refusals raise, as a direct call does."""
        method = getattr(type(self), verb)
        with self.lock:
            rng, self._rng = self._rng, random.Random(seed)
            clock, self._today = self._today, lambda: today
            self.applying = True
            try:
                return method(self, *args, **kwargs)
            finally:
                self.applying = False
                self._rng, self._today = rng, clock

    @_atomic
    def export(self) -> dict[str, Any]:
        """The whole state in the fixtures format (what `from_world` reads)."""
        return worlds.export(self._state)

    @property
    def version(self) -> int:
        """How many changes the world has seen (each successful change and each `replace` counts one)."""
        return self._version

    @_atomic
    def snapshot(self) -> Snapshot:
        """The whole store as a state file keeps it (`groupkit.statefile`)."""
        state = self._state
        return Snapshot(
            world=worlds.export(state),
            positions=worlds.positions(state),
            cursor_key=state.cursors.key,
            ids=self._rng.getstate(),
            version=self._version,
        )

    @property
    def cursors(self) -> Cursors:
        """What issues and reads the current world's `nextToken`s (a new world brings a new key, so a
        cursor of the world before a reset or an import is refused)."""
        return self._state.cursors

    @_atomic
    def counts(self) -> dict[str, int]:
        """How many users and groups the world holds."""
        return {"users": len(self._state.users()), "groups": len(self._state.groups())}

    # ----------------------------------------------------------------- identity and access

    @_atomic
    def user_for_token(self, token: str) -> User | None:
        return self._state.user_by_token(token)

    @_atomic
    def user(self, user_id: str) -> User | None:
        """The user with this id, if the world holds one."""
        return self._state.user(user_id)

    @_atomic
    def demo_users(self) -> list[User]:
        """The users who can call the API (they have a token), in creation order."""
        return [user for user in self._state.users() if user.token]

    @_atomic
    def effective_role(self, user_id: str, group_id: str) -> Role | None:
        """The user's role in the group (the highest down its ancestry); None if they have none there."""
        group = self._state.group(group_id)
        return effective_role(self._state, user_id, group) if group is not None else None

    # ----------------------------------------------------------------- groups

    @_atomic
    def list_user_groups(self, user_id: str, limit: int, token: str | None) -> Page[GroupView]:
        return groups.list_for(self._state, user_id, limit, token)

    @_atomic
    def get_group(self, user_id: str, group_id: str) -> GroupView:
        return groups.get(self._state, user_id, group_id)

    @_changes
    def create_group(
        self,
        user_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        parent_id: str | None = None,
    ) -> GroupView:
        return groups.create(
            self._state,
            user_id,
            name=name,
            description=description,
            tags=tags,
            parent_id=parent_id,
            today=self._today(),
            new_id=self._new_id,
            new_token=lambda: "gtk_" + self._hex(32),
        )

    @_changes
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        return groups.update(self._state, user_id, group_id, changes, today=self._today())

    # ----------------------------------------------------------------- external API keys

    @_changes
    def create_api_key(self, user_id: str, group_id: str, key_type: str, name: str, token: str) -> ApiKey:
        return apikeys.create(self._state, user_id, group_id, key_type, name, token, today=self._today())

    @_changes
    def update_api_key(
        self, user_id: str, group_id: str, key_type: str, *, name: str | None = None, token: str | None = None
    ) -> ApiKey:
        return apikeys.update(
            self._state, user_id, group_id, key_type, name=name, token=token, today=self._today()
        )

    @_changes
    def delete_api_key(self, user_id: str, group_id: str, key_type: str) -> None:
        apikeys.delete(self._state, user_id, group_id, key_type)

    # ----------------------------------------------------------------- members

    @_changes
    def invite(self, user_id: str, group_id: str, email: str, role_id: str) -> MembershipView:
        return members.invite(
            self._state, user_id, group_id, email, role_id, today=self._today(), new_id=self._new_id
        )

    @_changes
    def update_member(self, user_id: str, group_id: str, member_id: str, role_id: str) -> MembershipView:
        return members.change_role(self._state, user_id, group_id, member_id, role_id)

    @_changes
    def remove_member(self, user_id: str, group_id: str, member_id: str | None) -> Removal:
        return members.remove(self._state, user_id, group_id, member_id)

    @_atomic
    def list_group_users(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Member]:
        return members.list_members(self._state, user_id, group_id, limit, token)

    # ----------------------------------------------------------------- what a group holds, the roles

    @_atomic
    def list_group_devices(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Device]:
        return groups.list_devices(self._state, user_id, group_id, limit, token)

    def list_roles(self, limit: int, token: str | None) -> Page[Role]:
        """The built-in roles: the platform's, not the world's (only its cursors are the world's)."""
        every = list(BUILT_IN.values())
        seqs = list(range(1, len(every) + 1))
        return self.cursors.page(seqs, lambda seq: every[seq - 1], "roles", limit, token)

    # ----------------------------------------------------------------- ids

    def _new_id(self) -> str:
        """A fresh id, never one a user or group of the world already has (a world loaded from a file may
        hold ids this generator gives too, e.g. one exported by a mock run with the same seed)."""
        while True:
            new = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            if self._state.user(new) is None and self._state.group(new) is None:
                return new

    def _hex(self, length: int) -> str:
        return format(self._rng.getrandbits(length * 4), f"0{length}x")


__all__ = ["Replicator", "Snapshot", "Store", "utc_today"]
