"""groupkit.worldbuilder's fast path: every kind of item is checked by a compiled schema first
(groupkit.worldschema), which changes no problem reported and no state built; reading and building a world
leave the garbage collector as they found it."""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from groupkit import world as worlds
from groupkit import worldbuilder, worldschema
from groupkit.model import Device
from tests.conftest import DEFAULT_WORLD

ODD: list[Any] = [None, 7, 1.0, 2**70, True, "", "x\ud800", "2026-02-30", "a@", [], ["x", 1], {}]
# The default world with a few items of each list: every kind of item, every reference, built in ~1 ms.
SMALL = {key: value[:3] if key in ("devices", "apiKeys") else value for key, value in DEFAULT_WORLD.items()}


def broken_worlds() -> Iterator[Any]:
    """A small world with one item changed: each field of the first item of each kind set to each
    odd value, removed, or joined by a field the format does not know."""
    for kind in worldschema.KEYS:
        if not SMALL[kind]:
            continue
        first = SMALL[kind][0]
        for name in worldschema.FIELDS[kind]:
            for value in ODD:
                yield kind, {**first, name: value}
            yield kind, {key: value for key, value in first.items() if key != name}
        yield kind, {**first, "unknown": 1}
        yield kind, "not an item"


def with_item(kind: str, item: Any) -> dict[str, Any]:
    return {**SMALL, kind: [item, *SMALL[kind][1:]]}


def test_every_kind_of_item_has_a_compiled_schema() -> None:
    assert all(worldschema.compiled()[kind] is not None for kind in worldschema.KEYS)


@pytest.mark.slow  # ~1,300 worlds, half of them checked by jsonschema alone: several seconds
def test_the_compiled_schemas_change_no_problem_and_no_state(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = list(broken_worlds())
    fast = [worlds.problems(with_item(kind, item)) for kind, item in cases]
    built = worlds.export(worlds.build(copy.deepcopy(DEFAULT_WORLD)))
    monkeypatch.setattr(worldschema, "compiled", lambda: dict.fromkeys(worldschema.KEYS))
    slow = [worlds.problems(with_item(kind, item)) for kind, item in cases]
    assert fast == slow
    assert sum(1 for found in fast if found) > len(cases) // 2  # most of them are broken worlds
    assert worlds.export(worlds.build(copy.deepcopy(DEFAULT_WORLD))) == built


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_and_building_leave_the_collector_as_they_found_it(tmp_path: Path, enabled: bool) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(DEFAULT_WORLD), encoding="utf-8")
    broken = with_item("users", {"id": 1})
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        worlds.build(worlds.read(str(path)))
        assert gc.isenabled() is enabled
        with pytest.raises(worlds.InvalidWorld):
            worlds.build(broken)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_a_device_record_is_what_the_dataclass_builds() -> None:
    """`device_record` sets the slots itself (no `__init__`): every field, tags as a tuple, unset as None."""
    items = [*DEFAULT_WORLD["devices"], {"deviceId": "d", "groupId": "g", "tags": []}]
    for item in items:
        expected = replace(
            Device(**worldschema.record_values("devices", item)),
            tags=tuple(item["tags"]) if "tags" in item else None,
        )
        assert worldbuilder.device_record(item) == expected
