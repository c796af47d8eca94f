"""What the checks of `groupkit proxy` share: one exchange as they read it, one problem as they report it,
and the contract's schemas compiled once (jsonschema_rs through `groupkit.fastschema` first, the full
OpenAPI 3.0 validator for the messages when it finds a value invalid)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from openapi_schema_validator import OAS30Validator

from groupkit import fastschema

VIOLATION: Literal["violation"] = "violation"
WARNING: Literal["warning"] = "warning"
JSON = "application/json"
FIELDS_CHECK = "response_fields_are_documented"  # the field-drift rule, named as the kit names it


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exchange: the check that saw it, how grave, and one exact sentence."""

    check: str
    severity: Literal["violation", "warning"]
    message: str
    title: str = ""  # what the problem is, without this exchange's values (it groups the same problem)


@dataclass(frozen=True)
class Exchange:
    """The parts of one request and its answer that the checks read (bodies as received, possibly cut)."""

    method: str
    path: str
    query: str
    request_type: str
    request_body: bytes | None  # None: not kept (too large to check)
    status: int
    response_type: str
    response_body: bytes | None


def media(value: str) -> str:
    """A Content-Type's media type, lower case, without parameters."""
    return value.split(";", 1)[0].strip().lower()


def short(value: Any, size: int = 120) -> str:
    """`value` in a few characters: a string (bytes decoded) quoted, anything else as JSON."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= size else text[: size - 1] + "…"


class Schemas:
    """Validators of schemas, built on first use and kept while the schema lives (by identity)."""

    def __init__(self) -> None:
        # id(schema) -> the schema (so that its id is not reused while cached) and its validators
        self._validators: dict[int, tuple[Any, OAS30Validator, fastschema.Compiled | None]] = {}

    def _validator(self, schema: dict[str, Any]) -> tuple[OAS30Validator, fastschema.Compiled | None]:
        found = self._validators.get(id(schema))
        if found is None or found[0] is not schema:
            checker = OAS30Validator.FORMAT_CHECKER
            compiled = fastschema.compile(schema, checker, "oas30")
            found = (schema, OAS30Validator(schema, format_checker=checker), compiled)
            self._validators[id(schema)] = found
        return found[1], found[2]

    def errors(self, schema: dict[str, Any], value: Any) -> list[str]:
        """At most three errors of `value` against `schema`, each `pointer: message`; none when valid."""
        full, compiled = self._validator(schema)
        if compiled is not None and compiled.is_valid(value):  # valid there is final (groupkit.fastschema)
            return []
        errors = sorted(full.iter_errors(value), key=lambda error: list(error.path))
        return [
            f"{''.join('/' + str(part) for part in error.absolute_path) or '/'}: {error.message}"
            for error in errors[:3]
        ]
