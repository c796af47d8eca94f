"""Writing a world as it is generated: the format's order, one item a line, atomic on disk."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from groupkit import world as worlds
from groupkit.worldgen import dump, write


def test_lists_are_written_in_the_format_order_one_item_a_line() -> None:
    out = io.StringIO()
    user = {"id": "u1", "email": "a@b.example", "createdAt": "2024-01-01", "updatedAt": "2024-01-01"}
    counts = dump({"users": [user, {**user, "id": "u2", "email": "c@b.example"}]}, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == '{"format": "groupkit-world/1",'
    assert lines[2] == json.dumps(user, separators=(",", ":")) + ","
    assert counts == {key: 2 if key == "users" else 0 for key in worlds.KEYS}
    assert list(json.loads(out.getvalue())) == ["format", *worlds.KEYS]
    assert worlds.problems(json.loads(out.getvalue())) == []


def test_a_list_that_is_no_list_of_a_world_is_refused() -> None:
    with pytest.raises(ValueError, match="not lists of a world: gadgets"):
        dump({"gadgets": []}, io.StringIO())


def test_a_failed_write_leaves_neither_a_file_nor_a_partial_one(tmp_path: Path) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield {"id": "g"}
        raise RuntimeError("generator failed")

    path = tmp_path / "sub" / "world.json"
    with pytest.raises(RuntimeError):
        write(path, {"groups": broken()})
    assert list((tmp_path / "sub").iterdir()) == []


def test_a_written_file_replaces_the_old_one_whole(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text("old")
    write(path, {})
    assert worlds.read(str(path)) == {"format": worlds.FORMAT, **{key: [] for key in worlds.KEYS}}
    assert [p.name for p in tmp_path.iterdir()] == ["world.json"]
