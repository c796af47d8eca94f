"""The run's personas: named tokens of users with different roles, gathered from `--persona NAME=TOKEN`, a
`--personas FILE` (TOML, or JSON when the name ends in `.json`) and `GROUPKIT_PERSONA_<NAME>` variables.

A personas file maps a name to a token or to the environment variable holding it, so that it can be
committed without a secret:

    dan = { env = "STAGING_DAN_TOKEN" }     # read from the environment (preferred)
    chloe = "demo-token-chloe"              # a literal token (the mock's demo tokens are public)

Later sources win for the same name: the file, then the environment, then `--persona`. Tokens are never
printed: a report names a persona by its name, and `mask()` shows a token's first characters only.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

ENV_PREFIX = "GROUPKIT_PERSONA_"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")


class PersonaError(Exception):
    """A persona cannot be read: a malformed `--persona`, an unreadable file, an unset variable."""


def parse_spec(spec: str) -> tuple[str, str]:
    """`NAME=TOKEN` -> (name, token); the name is lower-cased."""
    name, sep, token = spec.partition("=")
    name, token = name.strip(), token.strip()
    if not sep or not token:
        raise PersonaError(f"--persona {name or spec.split('=')[0]!s}=...: expected NAME=TOKEN with a token")
    return _checked_name(name), token


def _checked_name(name: str) -> str:
    if not NAME.match(name):
        raise PersonaError(
            f"persona name {name!r}: a letter, then letters, digits, '_', '.' or '-' (at most 40 characters)"
        )
    return name.lower()


def from_file(path: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The personas of a TOML or JSON file: `name = "token"` or `name = { env = "VARIABLE" }`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PersonaError(f"--personas {path}: {error.strerror or error}") from None
    try:
        data = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if str(path).endswith(".json") else "TOML"
        raise PersonaError(f"--personas {path}: not valid {kind}: {error}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"--personas {path}: expected a table of name = token")
    found: dict[str, str] = {}
    for name, value in data.items():
        key = _checked_name(str(name))
        if isinstance(value, str) and value.strip():
            found[key] = value.strip()
        elif isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str):
            token = environ.get(value["env"], "").strip()
            if not token:
                raise PersonaError(
                    f"--personas {path}: persona {key}: the variable {value['env']} is not set"
                )
            found[key] = token
        else:
            raise PersonaError(
                f'--personas {path}: persona {key}: expected a token string or {{ env = "VARIABLE" }}'
            )
    return found


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`GROUPKIT_PERSONA_DAN=token` -> {"dan": token}; empty variables are ignored."""
    return {
        _checked_name(key[len(ENV_PREFIX) :]): value.strip()
        for key, value in sorted(environ.items())
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX) and value.strip()
    }


def gather(
    specs: Iterable[str], path: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every persona, name -> token, from the file, the environment and the `--persona` specs (in that
    order; a later source wins for the same name). Two personas with the same token are refused."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    if path is not None:
        found.update(from_file(path, env))
    found.update(from_environment(env))
    for spec in specs:
        name, token = parse_spec(spec)
        found[name] = token
    owners: dict[str, str] = {}
    for name, token in found.items():
        if token in owners:
            raise PersonaError(f"personas {owners[token]} and {name} have the same token")
        owners[token] = name
    return found


def mask(token: str) -> str:
    """What a report may show of a token: its first 4 characters at most, then `…`."""
    return (token[:4] if len(token) > 8 else "") + "…"
