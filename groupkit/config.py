"""Per-rule levels for `lint` and `diff` from `pyproject.toml` (`[tool.groupkit.lint]`, `[tool.groupkit.diff]`):
each key a rule id, each value a level (ERR, WARN, INFO) or "off"."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path

from .findings import Level

Levels = Mapping[str, Level | None]  # rule id -> level, None for off


class ConfigError(ValueError):
    """Raised when the configuration names an unknown rule or level, or cannot be read."""


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest `pyproject.toml` in `start` (default: the working directory) or a parent of it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def levels(section: str, known: Collection[str], pyproject: Path | None = None) -> dict[str, Level | None]:
    """The `[tool.groupkit.<section>]` table of `pyproject` (default: the nearest one), checked against the
    `known` rule ids. No file or no table means no override."""
    path = pyproject or find_pyproject()
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    table = data.get("tool", {}).get("groupkit", {}).get(section, {})
    return parse_levels(table, known, f"{path} [tool.groupkit.{section}]")


def parse_levels(table: Mapping[str, object], known: Collection[str], where: str) -> dict[str, Level | None]:
    result: dict[str, Level | None] = {}
    for rule, value in table.items():
        if rule not in known:
            raise ConfigError(f"{where}: no rule is named {rule!r}")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {rule} = {value!r}: use ERR, WARN, INFO or off")
        if value.strip().lower() == "off":
            result[rule] = None
            continue
        try:
            result[rule] = Level.parse(value)
        except ValueError as error:
            raise ConfigError(f"{where}: {rule}: {error}") from error
    return result
