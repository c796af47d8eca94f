"""Writing a world to a file as it is generated: compact JSON, one item a line, the lists in the format's order,
so that a world of a million devices never sits in memory whole and the same lists give the same bytes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from ..world import FORMAT, KEYS


def dump(lists: Mapping[str, Iterable[dict[str, Any]]], out: IO[str]) -> dict[str, int]:
    """Write the world made of `lists` (each key of the format, in its order; a missing one is empty) to
    `out`; answers how many items of each kind were written."""
    unknown = set(lists) - set(KEYS)
    if unknown:
        raise ValueError(f"not lists of a world: {', '.join(sorted(unknown))}")
    counts = {}
    out.write(f'{{"format": "{FORMAT}"')
    for key in KEYS:
        out.write(f',\n"{key}": [')
        count = 0
        for count, item in enumerate(lists.get(key, ()), start=1):
            out.write("\n" if count == 1 else ",\n")
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        out.write("\n]" if count else "]")
        counts[key] = count
    out.write("}\n")
    return counts


def write(path: Path, lists: Mapping[str, Iterable[dict[str, Any]]]) -> dict[str, int]:
    """`dump` to `path` atomically: to a partial file beside it, renamed over `path` once complete (its
    folder is created), so a file at `path` is always a whole world."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            counts = dump(lists, out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts
