"""The state file of `groupkit mock --state FILE`: the whole world kept on disk across restarts. It is read
at start, written atomically after changes (at most once per interval, one second by default) and at
shutdown, and a file that cannot be read back is refused, never replaced by an empty world.

    {"format": "groupkit-state/1",
     "world": {...},                    the world, as GET /__mock__/state exports it (fixtures/README.md)
     "positions": {"groups": [...], "memberships": [...], "devices": [...], "next": N},
     "cursorKey": "<64 hex digits>",    the key the world's nextTokens are sealed with
     "ids": [...]}                      the state of the id generator (a seeded mock goes on where it was)

Positions and the cursor key are what make a `nextToken` issued before a restart page on correctly after
it. The file holds every token of the world, so it is created readable by its owner only (0600).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from . import world as worlds
from .pagination import KEY_BYTES, Cursors
from .state import State
from .store import Snapshot, Store

FORMAT = "groupkit-state/1"
DEFAULT_INTERVAL = 1.0  # seconds between two writes at most, and from a change to its write at most

logger = logging.getLogger("groupkit")


class StateFileError(ValueError):
    """Raised for a state file that cannot be read back (unreadable, not JSON, not this format, or holding
    a world that breaks the rules) or cannot be written; the message is one line naming the file."""


def read(path: Path) -> tuple[State, random.Random] | None:
    """The state and id generator a state file holds; None if there is no file; StateFileError if it
    cannot be read back."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateFileError(f"cannot read the state file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _invalid(path, f"not JSON ({error})") from None
    return decode(document, path)


def decode(document: Any, path: Path) -> tuple[State, random.Random]:
    """The state and id generator of a parsed state file; StateFileError if it is not one."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _invalid(path, f'a state file is a JSON object whose "format" is "{FORMAT}"')
    unknown = sorted(set(document) - {"format", "world", "positions", "cursorKey", "ids"})
    if unknown:
        raise _invalid(path, f"unknown keys: {', '.join(unknown)}")
    positions = _positions(document.get("positions"), path)
    key = document.get("cursorKey")
    if not isinstance(key, str) or len(key) != 2 * KEY_BYTES or not _is_hex(key):
        raise _invalid(path, f'"cursorKey" must be {2 * KEY_BYTES} hexadecimal digits')
    ids = random.Random()
    try:
        version, internal, gauss = document["ids"]
        ids.setstate((version, tuple(internal), gauss))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _invalid(path, '"ids" is not the state of an id generator') from None
    try:
        state = worlds.build(document.get("world"), positions=positions, cursors=Cursors(bytes.fromhex(key)))
    except worlds.InvalidWorld as invalid:
        more = f" (and {len(invalid.problems) - 1} more problems)" if len(invalid.problems) > 1 else ""
        raise _invalid(path, f"its world is not valid: {invalid.problems[0]}{more}") from None
    return state, ids


def encode(snapshot: Snapshot) -> bytes:
    """A snapshot as the bytes of a state file (ASCII JSON: a lone surrogate in a name survives)."""
    positions = snapshot.positions
    document = {
        "format": FORMAT,
        "world": snapshot.world,
        "positions": {
            "groups": list(positions.groups),
            "memberships": list(positions.memberships),
            "devices": list(positions.devices),
            "next": positions.next,
        },
        "cursorKey": snapshot.cursor_key.hex(),
        "ids": [snapshot.ids[0], list(snapshot.ids[1]), snapshot.ids[2]],
    }
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode("ascii")


def write(path: Path, data: bytes) -> None:
    """Replace the file with `data` atomically: a reader (or a crash) sees the old file or the new one,
    never a part of either. A temporary file next to it is written and flushed to disk, then renamed over
    it, and the directory is flushed so that the rename survives a power cut."""
    directory = path.parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Saver:
    """Keeps a state file up to date with a store: `save()` now, or, once `start()`ed on the event loop,
    within `interval` seconds of a change (a burst of changes is one write), and a last time at `stop()`.

    The snapshot is taken on the event loop under the store's lock (a copy of the world, so requests
    wait only for that); encoding it and writing the file happen in a worker thread."""

    def __init__(self, store: Store, path: Path, interval: float = DEFAULT_INTERVAL) -> None:
        self.store = store
        self.path = path
        self.interval = interval
        self.saved_version: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Event | None = None
        self._failing = False

    def save(self) -> None:
        """Write the store's state now (on the calling thread); StateFileError if the file cannot be
        written."""
        snapshot = self.store.snapshot()
        try:
            write(self.path, encode(snapshot))
        except OSError as error:
            raise StateFileError(
                f"cannot write the state file {self.path}: {error.strerror or error}"
            ) from None
        self.saved_version = snapshot.version

    def start(self) -> None:
        """Begin saving after changes; call it on the running event loop."""
        self._stopping = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(self._stopping))

    async def stop(self) -> None:
        """Stop saving after changes (a write under way completes first), then save what is left."""
        if self._task is not None and self._stopping is not None:
            self._stopping.set()
            await self._task
            self._task = None
        await self._save_if_changed()

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), self.interval)
            except TimeoutError:
                await self._save_if_changed()

    async def _save_if_changed(self) -> None:
        if self.store.version == self.saved_version:
            return
        snapshot = self.store.snapshot()
        try:
            await asyncio.to_thread(lambda: write(self.path, encode(snapshot)))
        except OSError as error:
            if not self._failing:  # once per run of failures, not once a second
                logger.error("cannot write the state file %s (will retry): %s", self.path, error)
            self._failing = True
            return
        if self._failing:
            logger.warning("the state file %s is written again", self.path)
        self._failing = False
        self.saved_version = snapshot.version


def _positions(value: Any, path: Path) -> worlds.Positions:
    kinds = ("groups", "memberships", "devices")
    if (
        not isinstance(value, dict)
        or set(value) != {*kinds, "next"}
        or not all(isinstance(value[kind], list) for kind in kinds)
        or not all(_is_number(n) for kind in kinds for n in value[kind])
        or not _is_number(value["next"])
    ):
        raise _invalid(
            path,
            '"positions" must hold lists "groups", "memberships", "devices" of positive'
            ' integers and the integer "next"',
        )
    groups, memberships, devices = (tuple(value[kind]) for kind in kinds)
    return worlds.Positions(groups, memberships, devices, value["next"])


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _invalid(path: Path, reason: str) -> StateFileError:
    return StateFileError(
        f"{path} is not a state file groupkit can read back: {reason}; fix it, or move it away to start"
        " from --fixtures"
    )
