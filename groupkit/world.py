"""Loading fixture worlds (see fixtures/README.md) and checking them against the contract's schemas."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from . import contract
from .store import WORLD_FORMAT, WORLD_KEYS, Store

BUILT_IN_WORLDS = ("default", "empty")

# Which contract schema each kind of world item must satisfy (users: their public fields).
ITEM_SCHEMAS = {"users": "PublicUser", "devices": "Device", "apiKeys": "ExternalApiKey"}


def read(name_or_path: str) -> dict[str, Any]:
    """A world by built-in name (`default`, `empty`) or file path, parsed but not yet checked."""
    if name_or_path in BUILT_IN_WORLDS:
        text = resources.files("groupkit.fixtures").joinpath(f"{name_or_path}.json").read_text("utf-8")
    else:
        text = Path(name_or_path).read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name_or_path}: a world is a JSON object")
    return data


def problems(world: Any) -> list[str]:
    """What is wrong with a world: its shape, items that break the contract's schemas, dangling
    references. An empty list means `Store.from_world` will take it."""
    if not isinstance(world, dict):
        return ["a world is a JSON object"]
    found = []
    if world.get("format", WORLD_FORMAT) != WORLD_FORMAT:
        found.append(f"format must be {WORLD_FORMAT!r}")
    for key in WORLD_KEYS:
        if not isinstance(world.get(key, []), list):
            found.append(f"{key} must be a list")
    unknown = set(world) - set(WORLD_KEYS) - {"format"}
    if unknown:
        found.append(f"unknown keys: {', '.join(sorted(unknown))}")
    if found:
        return found
    document = contract.default()
    for key, schema in ITEM_SCHEMAS.items():
        validator = contract.component(document, schema)
        for index, item in enumerate(world.get(key, [])):
            if not isinstance(item, dict):
                found.append(f"{key}[{index}] must be an object")
                continue
            public = {k: v for k, v in item.items() if k != "token"}
            for error in validator.iter_errors(public):
                where = "".join(
                    f".{part}" if isinstance(part, str) else f"[{part}]" for part in error.absolute_path
                )
                found.append(f"{key}[{index}]{where}: {error.message}")
    if not found:
        try:
            Store.from_world(world)
        except ValueError as error:
            found.append(str(error))
    return found


def load(name_or_path: str) -> dict[str, Any]:
    """A checked world; ValueError lists every problem."""
    world = read(name_or_path)
    errors = problems(world)
    if errors:
        raise ValueError(f"{name_or_path} is not a valid world:\n  " + "\n  ".join(errors))
    return world
