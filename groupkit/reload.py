"""`groupkit mock --watch`: the mock rebuilt when its contract or world file changes, and swapped in whole
between two requests, keeping the state the change does not concern; a file that breaks is refused and the
previous mock goes on serving.

`Reloader` is the ASGI application uvicorn serves: it passes each request to the current `MockApp`. On a
change (`watch`, through watchfiles, which uvicorn's own reloader uses) it builds a new one from the files
in a worker thread, by the same function that built the first (`build`), then on the event loop:

* contract only: the new mock takes over the old one's state whole: the default world's store and journal,
  the state file's saver, the named sessions (`groupkit.sessions`) and the run-time latency and fault
  settings (`groupkit.faults`);
* world: the default store is the same object, its content replaced by the new world (as
  `POST /__mock__/reset` would, so a state file follows), the journal is kept, and the named sessions are
  dropped: they were copies of the old world, and are created again from the new one on first use.

Each reload says one line (which file, what was kept); a refused one says why. Requests in flight finish
on the mock they started on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from . import world as worlds
from .app import MockApp

Build = Callable[[dict[str, Any], Path], MockApp]
"""Builds a mock from a world (the fixtures format) and a contract file, as `groupkit mock` built the first."""

logger = logging.getLogger("groupkit.reload")


def _say(line: str) -> None:
    print(f"groupkit mock: {line}", file=sys.stderr, flush=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Change:
    """What changed on disk since the mock being served was built: the contract, the world, or both."""

    contract: bool
    world: bool

    def files(self, contract: Path, world: Path | None) -> str:
        return " and ".join(
            [*([contract.name] if self.contract else []), *([world.name] if self.world and world else [])]
        )


class Refused(Exception):
    """Raised when the changed files cannot be loaded; the message names them and says why."""


def _reason(error: BaseException, most: int = 6) -> str:
    """An error's message on one line (at most `most` of its lines, e.g. an invalid world's problems)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    shown = ""
    for line in lines[:most]:  # a heading ("... not a valid world:") runs on into its first item
        shown += line if not shown else (" " if shown.endswith(":") else "; ") + line
    return shown + ("; ..." if len(lines) > most else "") if shown else type(error).__name__


class Reloader:
    """Serves the current `MockApp` (`app`), rebuilt with `build` when `contract` or `world` (a file; None for
    a built-in world) changes. `say` gets each reload's line (default: stderr, whatever the log level)."""

    def __init__(
        self,
        app: MockApp,
        build: Build,
        *,
        contract: Path,
        world: Path | None,
        say: Callable[[str], None] = _say,
        debounce_ms: int = 200,
    ) -> None:
        self.app = app
        self.build = build
        self.contract = contract.resolve()  # a link (groupkit/openapi.yaml) is watched where it points
        self.world = world.resolve() if world is not None else None
        self.say = say
        self.debounce_ms = debounce_ms
        self.problems = app.problems  # what uvicorn's own refusals render with (`groupkit.server`)
        self._served = (_digest(self.contract), _digest(self.world) if self.world else None)
        self._refusal: str | None = None  # the last refusal said, until a reload succeeds
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # ----------------------------------------------------------------- one reload

    def changes(self) -> tuple[Change, tuple[str, str | None]]:
        """What differs on disk from what is served (by content: a save that changes nothing is no change),
        with the files' digests; OSError if a file cannot be read."""
        digests = (_digest(self.contract), _digest(self.world) if self.world else None)
        return Change(digests[0] != self._served[0], digests[1] != self._served[1]), digests

    def prepare(self) -> tuple[Change, MockApp, tuple[str, str | None]] | None:
        """The changes and a new mock built from the files (blocking: run it in a thread), or None when
        nothing changed; an error reading or building them is raised, naming the changed file(s)."""
        change, digests = self.changes()
        if not (change.contract or change.world):
            return None
        try:
            world = worlds.read(str(self.world)) if change.world and self.world else self.app.initial_world
            return change, self.build(world, self.contract), digests
        except Exception as error:
            raise Refused(f"{change.files(self.contract, self.world)}: {_reason(error)}") from error

    def swap(self, change: Change, new: MockApp, digests: tuple[str, str | None]) -> str:
        """Carry the old mock's state into `new` as the change allows, serve it, and answer what was said."""
        old = self.app
        kept = _carry(old, new, world_changed=change.world)
        self.app, self.problems, self._served, self._refusal = new, new.problems, digests, None
        line = f"reloaded {change.files(self.contract, self.world)}: {kept}"
        self.say(line)
        return line

    def refuse(self, error: BaseException) -> str:
        """Say why the files could not be loaded (once: the watcher and a direct `reload` may both meet the same
        broken files); the mock being served stays."""
        line = f"not reloaded, still serving the previous contract and world: {_reason(error)}"
        if line != self._refusal:
            self.say(line)
            self._refusal = line
        return line

    def reload(self) -> str | None:
        """Reload now if a file changed (blocking); the line said, or None when nothing changed."""
        try:
            prepared = self.prepare()
        except Exception as error:  # a reload must never take the mock down: whatever broke is said
            return self.refuse(error)
        return self.swap(*prepared) if prepared is not None else None

    async def reload_async(self) -> str | None:
        """`reload`, building in a worker thread so that requests go on being served meanwhile."""
        try:
            prepared = await asyncio.to_thread(self.prepare)
        except Exception as error:
            return self.refuse(error)
        return self.swap(*prepared) if prepared is not None else None

    # ----------------------------------------------------------------- watching

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload after each burst of changes to the files, until `stop` is set."""
        from watchfiles import awatch

        targets = {str(self.contract), *([str(self.world)] if self.world else [])}
        folders = sorted({str(Path(target).parent) for target in targets})
        async for _ in awatch(
            *folders,
            watch_filter=lambda _change, path: str(Path(path).resolve()) in targets,
            debounce=self.debounce_ms,
            step=50,
            stop_event=stop,
            recursive=False,
        ):
            await self.reload_async()

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The first mock's lifespan (its state file's saver), with the watcher started once startup is
        complete and stopped when shutdown begins."""

        async def received() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self._stop_watching()
            return message

        async def sent(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._stop = asyncio.Event()
                self._task = asyncio.create_task(self.watch(self._stop))
            await send(message)

        await self.app(scope, received, sent)

    async def _stop_watching(self) -> None:
        if self._stop is not None and self._task is not None:
            self._stop.set()
            await asyncio.wait({self._task}, timeout=2)


def _carry(old: MockApp, new: MockApp, *, world_changed: bool) -> str:
    """Move `old`'s state into `new` (not yet served); answers what was kept, for the reload's line."""
    new.store, new.journal, new.saver = old.store, old.journal, old.saver
    new.sessions.default = old.sessions.default  # the default world: its store and journal
    kept = ["the journal"]
    if world_changed:
        seed = new.seed
        old.store.replace(new.initial_world, rng=random.Random(seed) if seed is not None else None)
        what = f"the default world is the new one; {len(old.sessions)} session(s) dropped (copies of the old world)"
    else:
        new.sessions.adopt(old.sessions)  # each keeps its store, journal and extras
        kept[:0] = ["the world", f"{len(new.sessions)} session(s)"]
        what = ""
    behaviour = old.faults.stream()[0].behaviour
    if behaviour != old.faults.start:  # set at run time through /__mock__/behaviour
        new.faults.set(behaviour)
        kept.append("the latency and fault settings")
    new.faults.active = new.faults.active or (
        old.faults.active and not world_changed
    )  # sessions' own settings
    return "; ".join(filter(None, [what, "kept " + ", ".join(kept)]))
