"""The world format's items (fixtures/README.md): the fields of each kind, the schema each is checked
against (compiled once for the common case), and the helpers that read an item; `groupkit.worldbuilder`
checks a world with them while it builds its `State`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from jsonschema import FormatChecker

from . import contract, fastschema

if TYPE_CHECKING:
    from openapi_schema_validator import OAS30Validator

FORMAT = "groupkit-world/1"
KEYS = ("users", "groups", "memberships", "devices", "apiKeys", "connectors", "notifications", "clients")


def _fields(names: str) -> dict[str, str]:
    """Field names (space-separated), each with the record attribute that holds it: its snake_case spelling."""
    return {name: re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in names.split()}


# Each kind of item: its fields (world name -> record attribute), in the order `export` writes them. An item
# holds no other field.
FIELDS = {
    "users": _fields("id email firstName lastName createdAt updatedAt seenAt token"),
    "groups": _fields(
        "id name description parent ownerId token tags defaultRole createdBy updatedBy createdAt updatedAt"
    ),
    "memberships": _fields("groupId userId roleId"),
    "devices": _fields(
        "deviceId groupId name type network originalId battery seenAt createdAt updatedAt createdBy updatedBy"
        " information configuration tags"
    ),
    "apiKeys": _fields("groupId name type token createdBy updatedBy createdAt updatedAt"),
    "connectors": _fields("id groupId name"),
    "notifications": _fields("id groupId name"),
    "clients": _fields("clientId clientSecret userId"),  # OAuth2 clients for POST /oauth2/token (signin.py)
}

_STRING = {"type": "string"}
_OPTIONAL = {"type": "string", "nullable": True}
_DATE = {"type": "string", "format": "date"}


def _contract(name: str, required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """The contract's schema `name`, with further required fields and properties of the world's own."""
    schema = {"type": "object", "allOf": [{"$ref": f"#/components/schemas/{name}"}], "properties": properties}
    return {**schema, "required": list(required)} if required else schema


def _own(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


def _strings(*names: str) -> dict[str, Any]:
    """An item of required strings only."""
    return _own(names, **dict.fromkeys(names, _STRING))


SCHEMAS = {
    "users": _contract("PublicUser", ("id", "email", "createdAt", "updatedAt"), token=_STRING),
    "groups": _own(
        ("id", "token", "createdAt", "updatedAt"),
        **dict.fromkeys(("id", "token", "defaultRole"), _STRING),
        **dict.fromkeys(("name", "description", "parent", "ownerId", "createdBy", "updatedBy"), _OPTIONAL),
        **dict.fromkeys(("createdAt", "updatedAt"), _DATE),
        tags={"type": "array", "items": _STRING},
    ),
    "memberships": _strings("groupId", "userId", "roleId"),
    "devices": _contract("Device"),
    "apiKeys": _contract("ExternalApiKey"),
    "connectors": _strings("id", "groupId", "name"),
    "notifications": _strings("id", "groupId", "name"),
    "clients": _strings("clientId", "clientSecret", "userId"),
}


@dataclass(frozen=True)
class Positions:
    """The sequence numbers of a world's groups, memberships and devices, each list in the world's order
    (`export`'s), and the number the next item gets (`next`, above them all)."""

    groups: tuple[int, ...]
    memberships: tuple[int, ...]
    devices: tuple[int, ...]
    next: int


@cache
def validators() -> dict[str, OAS30Validator]:
    document = contract.default()
    return {kind: contract.validator(document, schema) for kind, schema in SCHEMAS.items()}


@cache
def compiled() -> dict[str, fastschema.Compiled | None]:
    """Each kind's schema compiled once (jsonschema_rs): an item it finds valid is valid; any other is
    checked by `validators()`, which names each problem. Its formats are checked by jsonschema's own
    checker, which `OAS30Validator`'s extends (with formats of numbers and bytes, which are not compiled:
    `strict_formats`), so openapi-schema-validator is imported only for a world with a problem."""
    document = contract.default()
    return {
        kind: fastschema.compile(
            contract.rooted(document, schema), FormatChecker(), "oas30", strict_formats=True
        )
        for kind, schema in SCHEMAS.items()
    }


LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, only an unpaired one can be there
FIELD_NAMES = {kind: frozenset(fields) for kind, fields in FIELDS.items()}


def has_lone_surrogate(item: dict[str, Any]) -> bool:
    """Whether a field of `item` holds a lone surrogate (an ASCII string cannot: the regex runs on others)."""
    for value in item.values():
        if isinstance(value, str):
            if not value.isascii() and LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, list):  # tags: the same test on each string, in line (a million devices)
            for text in value:
                if isinstance(text, str) and not text.isascii() and LONE_SURROGATE.search(text):
                    return True
    return False


def texts(value: Any) -> list[str]:
    """The strings of a field's value: itself, or those of a list (tags)."""
    values = value if isinstance(value, list) else [value]
    return [text for text in values if isinstance(text, str)]


def path(parts: Iterable[str | int]) -> str:
    return "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in parts)


_PAIRS = {kind: tuple(fields.items()) for kind, fields in FIELDS.items()}


def record_values(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item's values by record attribute; an unset field is None."""
    get = item.get
    return {attribute: get(name) for name, attribute in _PAIRS[kind]}
