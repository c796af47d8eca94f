"""The world format (fixtures/README.md), in one place: reading a world (a built-in name or a file),
checking it while building a `State` from it in one pass (`groupkit.worldbuilder`, `groupkit.worldschema`), and exporting a `State`
back. A world with any problem is refused as a whole: `InvalidWorld` lists every problem, and nothing built
is kept.

A world says nothing of where its items stand in the API's lists beyond their order; a state file
(`groupkit.statefile`) also keeps their sequence numbers (`Positions`), so that cursors survive a restart.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from .pagination import Cursors
from .state import State
from .worldbuilder import Builder
from .worldschema import FIELDS, FORMAT, KEYS, SCHEMAS, Positions

BUILT_IN_WORLDS = ("default", "empty")


class InvalidWorld(ValueError):
    """Raised for a world that breaks the format; `problems` lists each problem, naming the item."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        what = f"{source} is not a valid world" if source else "not a valid world"
        super().__init__(f"{what}:\n  " + "\n  ".join(problems))
        self.problems = problems


def read(name_or_path: str) -> dict[str, Any]:
    """A world by built-in name (`default`, `empty`) or file path, parsed but not yet checked."""
    if name_or_path in BUILT_IN_WORLDS:
        text = resources.files("groupkit.fixtures").joinpath(f"{name_or_path}.json").read_text("utf-8")
    else:
        text = Path(name_or_path).read_text("utf-8")
    try:
        with _uncollected():
            data = json.loads(text)
    except RecursionError:
        raise ValueError(f"{name_or_path}: JSON nested too deeply to be a world") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name_or_path}: a world is a JSON object")
    return data


@contextmanager
def _uncollected() -> Iterator[None]:
    """No garbage collection inside: reading and building a world make millions of objects and no garbage
    cycles, and the collections they would set off (each walking every object made so far) find nothing
    but take half the time of a big world's load (docs/performance.md)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def build(
    world: Any,
    source: str | None = None,
    *,
    positions: Positions | None = None,
    cursors: Cursors | None = None,
) -> State:
    """The state `world` describes; InvalidWorld (naming `source`, if given) lists everything wrong with it.
    With `positions` its items keep those sequence numbers, and with `cursors` the state issues cursors
    under that key (a state read back from a file); by default both are new."""
    builder = Builder(positions, cursors)
    with _uncollected():
        builder.run(world)
    if builder.problems:
        raise InvalidWorld(builder.problems, source)
    return builder.state


def problems(world: Any) -> list[str]:
    """What is wrong with a world; an empty list means `build` takes it."""
    try:
        build(world)
    except InvalidWorld as invalid:
        return invalid.problems
    return []


def load(name_or_path: str) -> dict[str, Any]:
    """A world by built-in name or file path, checked; InvalidWorld lists every problem."""
    world = read(name_or_path)
    build(world, source=name_or_path)
    return world


def export(state: State) -> dict[str, Any]:
    """The whole state in the world format, every list in creation order (what `build` reads)."""
    groups = sorted(state.groups(), key=lambda g: g.seq)
    memberships = sorted((m for g in groups for m in state.members(g.id)), key=lambda m: m.seq)
    return {
        "format": FORMAT,
        "users": [_item("users", u) for u in state.users()],
        # A group carries every field, unset ones as null.
        "groups": [_item("groups", g, keep_unset=True) for g in groups],
        "memberships": [_item("memberships", m) for m in memberships],
        "devices": [_item("devices", d) for g in groups for d in state.devices(g.id)],
        "apiKeys": [_item("apiKeys", k) for g in groups for k in state.api_keys(g.id)],
        "connectors": [_item("connectors", c) for g in groups for c in state.connectors(g.id)],
        "notifications": [_item("notifications", n) for g in groups for n in state.notifications(g.id)],
        **({"clients": [dict(c) for c in state.clients]} if state.clients else {}),  # optional: signin.py
    }


def positions(state: State) -> Positions:
    """The sequence numbers of `export(state)`'s groups, memberships and devices, in its order."""
    groups = sorted(state.groups(), key=lambda g: g.seq)
    memberships = sorted(m.seq for g in groups for m in state.members(g.id))
    devices = tuple(seq for g in groups for seq, _ in state.device_entries(g.id))
    return Positions(tuple(g.seq for g in groups), tuple(memberships), devices, state.seq_counter)


def _item(kind: str, record: Any, *, keep_unset: bool = False) -> dict[str, Any]:
    """A record as an item of `kind`; unset optional fields are left out unless `keep_unset`."""
    item = {name: getattr(record, attribute) for name, attribute in FIELDS[kind].items()}
    if "tags" in item and item["tags"] is not None:
        item["tags"] = list(item["tags"])
    return item if keep_unset else {name: value for name, value in item.items() if value is not None}


__all__ = [
    "BUILT_IN_WORLDS",
    "FIELDS",
    "FORMAT",
    "KEYS",
    "SCHEMAS",
    "InvalidWorld",
    "Positions",
    "build",
    "export",
    "load",
    "positions",
    "problems",
    "read",
]
