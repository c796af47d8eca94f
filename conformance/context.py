"""What the kit's checks share during one run: the tokens, the run's marker, memoised facts and
run-once claims, the ledger of what the run created, and notes about probes that could not run.

schemathesis calls a check with `(ctx, response, case)` only, so a run's context is found from the case:
`context_for(case.operation.schema)`. It is keyed by the schema's config object, which every clone of a
schema shares (`schema.include(...)`, the state machine, pytest's parametrisation). A schema nobody
attached a context to (another API tested in the same process) makes every groupkit check a no-op.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from schemathesis.schemas import BaseSchema

from .calls import Caller

T = TypeVar("T")

MARKER = "gk-conform-"


@dataclass(frozen=True)
class Settings:
    """What the checks need to know about the run."""

    token: str
    other_token: str | None = None
    read_only: bool = False
    run_id: str = "local"
    workers: int = 1
    request_timeout: float | None = 10.0
    strict_fields: bool = False  # every undocumented response property fails (field_drift.py)
    deadline: float | None = None  # the time.monotonic() instant --max-time ends the run at (deadline.py)
    personas: tuple[tuple[str, str], ...] = ()  # (name, token) of each persona (role_matrix.py)


class ProbeSkipped(Exception):
    """A check could not set up what it needed (e.g. its sandbox group); it is noted, not failed."""


class RunContext:
    """Shared state of one run; every method is thread-safe."""

    def __init__(self, schema: BaseSchema, settings: Settings) -> None:
        self.settings = settings
        self.prefix = f"{MARKER}{settings.run_id}-"
        self.caller = Caller(schema, settings.token, settings.request_timeout)
        self.other = (
            Caller(schema, settings.other_token, settings.request_timeout) if settings.other_token else None
        )
        self._lock = threading.RLock()
        self._claimed: set[Hashable] = set()
        self._memo: dict[Hashable, Any] = {}
        self._memo_locks: dict[Hashable, threading.Lock] = {}
        self._taken: dict[Hashable, int] = {}
        self._counter = itertools.count(1)
        self.created: dict[str, str] = {}  # key -> description, in creation order
        self.removed: set[str] = set()
        self.notes: list[str] = []
        self.probes: set[str] = set()  # checks whose own probe ran to completion

    # ----------------------------------------------------------------- memoisation

    def claim(self, *key: Hashable) -> bool:
        """True the first time `key` is claimed in this run (run-once checks), False afterwards."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per run and key; a ProbeSkipped it raises is remembered and raised again."""
        with self._lock:
            if key in self._memo:
                return cast(T, self._cached(key))
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._memo:
                    return cast(T, self._cached(key))
            try:
                value: Any = compute()
            except ProbeSkipped as skipped:
                value = skipped
            with self._lock:
                self._memo[key] = value
            return cast(T, self._cached(key))

    def _cached(self, key: Hashable) -> Any:  # the memo table is heterogeneous
        value = self._memo[key]
        if isinstance(value, ProbeSkipped):
            raise value
        return value

    def take(self, key: Hashable, limit: int) -> bool:
        """True for the first `limit` takes of `key` in this run (a budget of follow-up work)."""
        with self._lock:
            taken = self._taken.get(key, 0)
            if taken >= limit:
                return False
            self._taken[key] = taken + 1
            return True

    def unique(self, what: str) -> str:
        """A fresh marked name: `gk-conform-<run>-<what>-<n>`."""
        return f"{self.prefix}{what}-{next(self._counter)}"

    def note(self, message: str) -> None:
        with self._lock:
            if message not in self.notes:
                self.notes.append(message)

    # ----------------------------------------------------------------- ledger

    def record_created(self, key: str, description: str) -> None:
        with self._lock:
            self.created.setdefault(key, description)
            self.removed.discard(key)

    def record_removed(self, key: str) -> None:
        with self._lock:
            if key in self.created:
                self.removed.add(key)

    def ledger(self) -> list[str]:
        """What the run created, oldest first; resources it removed again are marked so."""
        with self._lock:
            return [
                f"{text} (removed again by the run)" if key in self.removed else text
                for key, text in self.created.items()
            ]


@dataclass
class _Registry:
    entries: dict[int, tuple[object, RunContext]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_REGISTRY = _Registry()


def attach(schema: BaseSchema, settings: Settings, context: RunContext | None = None) -> RunContext:
    """Give `schema` (and all its clones) a fresh run context, or `context` (a schema rebuilt during a run)."""
    context = context if context is not None else RunContext(schema, settings)
    with _REGISTRY.lock:
        _REGISTRY.entries[id(schema.config)] = (schema.config, context)
    return context


def detach(schema: BaseSchema) -> None:
    with _REGISTRY.lock:
        _REGISTRY.entries.pop(id(schema.config), None)


def context_for(schema: BaseSchema) -> RunContext | None:
    entry = _REGISTRY.entries.get(id(schema.config))
    return entry[1] if entry is not None and entry[0] is schema.config else None
