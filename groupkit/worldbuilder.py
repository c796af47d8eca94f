"""The world format's items and rules (fixtures/README.md), and the one pass that checks a world against
them while building its `State`; `groupkit.world` is the format's public face (read, build, export).

Each item is checked against its schema (the contract's `PublicUser`, `Device` and `ExternalApiKey` for
users, devices and keys; the format's own for the rest) and against the world's rules (references resolve,
ids, emails and tokens are unique, emails are e-mail addresses, no text holds a lone surrogate, roles are
built-in, parents form no cycle). Every problem is collected, named by its item and field
(`devices[3].groupId: ...`). The pass is linear in the size of the world, however deep its groups nest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from jsonschema import FormatChecker

from . import contract, fastschema
from .addresses import is_email
from .model import ApiKey, Attachment, Device, Group, User
from .pagination import Cursors
from .roles import BUILT_IN
from .state import State

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
def _validators() -> dict[str, OAS30Validator]:
    document = contract.default()
    return {kind: contract.validator(document, schema) for kind, schema in SCHEMAS.items()}


@cache
def _compiled() -> dict[str, fastschema.Compiled | None]:
    """Each kind's schema compiled once (jsonschema_rs): an item it finds valid is valid; any other is
    checked by `_validators()`, which names each problem. Its formats are checked by jsonschema's own
    checker, which `OAS30Validator`'s extends (with formats of numbers and bytes, which are not compiled:
    `strict_formats`), so openapi-schema-validator is imported only for a world with a problem."""
    document = contract.default()
    return {
        kind: fastschema.compile(
            contract.rooted(document, schema), FormatChecker(), "oas30", strict_formats=True
        )
        for kind, schema in SCHEMAS.items()
    }


class Builder:
    """One pass over a world: each item is checked, then added to `state` if it is sound."""

    def __init__(self, positions: Positions | None, cursors: Cursors | None) -> None:
        self.state = State(cursors)
        self.positions = positions
        self.problems: list[str] = []
        # Ids of users and groups whose items were refused: a reference to one is not reported again.
        self.broken: dict[str, set[str]] = {"users": set(), "groups": set()}

    def run(self, world: Any) -> None:
        if not isinstance(world, dict):
            self.problems.append("a world is a JSON object")
            return
        if world.get("format", FORMAT) != FORMAT:
            self.problems.append(f"format must be {FORMAT!r}")
        self.problems.extend(
            f"{key} must be a list" for key in KEYS if not isinstance(world.get(key, []), list)
        )
        unknown = set(world) - set(KEYS) - {"format"}
        if unknown:
            self.problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
        if self.positions is not None and not self.problems:  # the lists are lists
            self._check_positions(world, self.positions)
        if self.problems:
            return
        for _, where, item in self._items(world, "users"):
            self._user(where, item)
        placed = [
            (where, group)
            for index, where, item in self._items(world, "groups")
            if (group := self._group(index, where, item))
        ]
        self._check_parents(placed)
        for index, where, item in self._items(world, "memberships"):
            self._membership(index, where, item)
        for index, where, item in self._items(world, "devices"):
            self._device(index, where, item)
        for _, where, item in self._items(world, "apiKeys"):
            self._api_key(where, item)
        for kind, add in (
            ("connectors", self.state.add_connector),
            ("notifications", self.state.add_notification),
        ):
            for _, where, item in self._items(world, kind):
                if self._known_group(f"{where}.groupId", item["groupId"]):
                    add(Attachment(**_values(kind, item)))
        self._clients(world)
        if self.positions is not None and not self.problems:
            self.state.continue_seqs_from(self.positions.next)

    def _clients(self, world: dict[str, Any]) -> None:
        """Clients: ids unique, each acting as a user of the world; the state keeps them for its export."""
        seen: set[str] = set()
        for _, where, item in self._items(world, "clients"):
            if item["clientId"] in seen:
                self.problems.append(f"{where}.clientId: {item['clientId']!r} is already a client's id")
            seen.add(item["clientId"])
            if self.state.user(item["userId"]) is None and item["userId"] not in self.broken["users"]:
                self.problems.append(f"{where}.userId: no user has the id {item['userId']!r}")
            self.state.clients.append({name: item[name] for name in FIELDS["clients"]})

    def _check_positions(self, world: dict[str, Any], positions: Positions) -> None:
        """Positions name one number per item, each used once and below `next`."""
        numbers: list[int] = []
        for kind in ("groups", "memberships", "devices"):
            given, items = getattr(positions, kind), world.get(kind, [])
            if len(given) != len(items):
                self.problems.append(f"positions.{kind}: {len(given)} numbers for {len(items)} {kind}")
            numbers += given
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in numbers):
            self.problems.append("positions: every number is a positive integer")
        elif len(set(numbers)) != len(numbers):
            self.problems.append("positions: a number is used twice")
        elif numbers and max(numbers) >= positions.next:
            self.problems.append(f"positions.next: {positions.next} is not above every number")

    def _seq(self, kind: str, index: int) -> int | None:
        """The number the item `kind[index]` keeps, if the world comes with positions."""
        return getattr(self.positions, kind)[index] if self.positions is not None else None

    def _items(self, world: dict[str, Any], kind: str) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """The items of one kind that match their schema, each with its index and where it is (`users[3]`);
        the others are reported."""
        validator, compiled, fields = _validators()[kind], _compiled()[kind], _FIELD_NAMES[kind]
        for index, item in enumerate(world.get(kind, [])):
            if (
                compiled is not None
                and type(item) is dict
                and fields.issuperset(item)
                and compiled.is_valid(item)
                and not _has_lone_surrogate(item)
            ):  # the common case, checked in one pass of compiled code; the rest names its problems
                yield index, f"{kind}[{index}]", item
                continue
            where = f"{kind}[{index}]"
            if not isinstance(item, dict):
                self.problems.append(f"{where} must be an object")
                continue
            found = [
                f"{where}{_path(error.absolute_path)}: {error.message}"
                for error in validator.iter_errors(item)
            ]
            found += [f"{where}.{name}: not a field of {kind}" for name in item if name not in FIELDS[kind]]
            found += [
                f"{where}.{name}: holds a lone surrogate, which no UTF-8 text can carry"
                for name, value in item.items()
                if any(_LONE_SURROGATE.search(text) for text in _texts(value))
            ]
            if found:
                self.problems.extend(found)
                if kind in self.broken and isinstance(item.get("id"), str):
                    self.broken[kind].add(item["id"])
                continue
            yield index, where, item

    def _known_group(self, where: str, group_id: str) -> bool:
        """Whether `group_id` names a group; reported if it names none (and no broken item)."""
        if self.state.group(group_id) is not None:
            return True
        if group_id not in self.broken["groups"]:
            self.problems.append(f"{where}: names unknown group {group_id}")
        return False

    def _role(self, where: str, role_id: str) -> bool:
        if role_id in BUILT_IN:
            return True
        self.problems.append(f"{where}: unknown role {role_id!r} (built-in roles: {', '.join(BUILT_IN)})")
        return False

    def _user(self, where: str, item: dict[str, Any]) -> None:
        state, token = self.state, item.get("token")
        if state.user(item["id"]) is not None:
            self.problems.append(f"{where}.id: user {item['id']} is listed twice")
        elif state.user_by_email(item["email"]) is not None:
            self.problems.append(f"{where}.email: email {item['email']} is used twice")
        elif token is not None and state.user_by_token(token) is not None:
            self.problems.append(f"{where}.token: the token of user {item['id']} is used twice")
        elif not is_email(item["email"]):
            self.problems.append(f"{where}.email: {item['email']!r} is not an e-mail address")
        else:
            state.add_user(User(**_values("users", item)))
            return
        self.broken["users"].add(item["id"])

    def _group(self, index: int, where: str, item: dict[str, Any]) -> Group | None:
        if self.state.group(item["id"]) is not None:
            self.problems.append(f"{where}.id: group {item['id']} is listed twice")
            return None
        default_role = item.get("defaultRole", "viewer")
        if not self._role(f"{where}.defaultRole", default_role):
            self.broken["groups"].add(item["id"])
            return None
        values = {
            **_values("groups", item),
            "tags": tuple(item.get("tags", ())),
            "default_role": default_role,
        }
        seq = self._seq("groups", index)
        group = Group(**values, seq=self.state.next_seq() if seq is None else seq)
        self.state.put_group(group)
        return group

    def _check_parents(self, placed: list[tuple[str, Group]]) -> None:
        """Parents are resolved once every group is read (a child may come first); no cycle of parents.

        Each group's line is walked up until it reaches a group already cleared, so every group is
        passed once however deep the groups nest."""
        for where, group in placed:
            if group.parent is not None:
                self._known_group(f"{where}.parent", group.parent)
        cleared: set[str] = set()
        for where, group in placed:
            path: dict[str, None] = {}  # the groups of this walk, in order
            node: Group | None = group
            while node is not None and node.id not in cleared and node.id not in path:
                path[node.id] = None
                node = self.state.group(node.parent) if node.parent is not None else None
            if node is not None and node.id in path:  # the walk came back to a group it had passed
                walked = list(path)
                cycle = walked[walked.index(node.id) :]
                self.problems.append(f"{where}.parent: groups {sorted(cycle)} form a cycle of parents")
            cleared.update(path)

    def _membership(self, index: int, where: str, item: dict[str, Any]) -> None:
        group_id, user_id = item["groupId"], item["userId"]
        if user_id in self.broken["users"] or not self._known_group(f"{where}.groupId", group_id):
            return
        if self.state.user(user_id) is None:
            self.problems.append(f"{where}.userId: names unknown user {user_id}")
        elif self.state.membership(user_id, group_id) is not None:
            self.problems.append(f"{where}: user {user_id} is listed twice in group {group_id}")
        elif self._role(f"{where}.roleId", item["roleId"]):
            self._in_order(
                where,
                lambda: self.state.add_membership(
                    group_id, user_id, item["roleId"], self._seq("memberships", index)
                ),
            )

    def _device(self, index: int, where: str, item: dict[str, Any]) -> None:
        if not self._known_group(f"{where}.groupId", item["groupId"]):
            return
        if self.state.has_device(item["deviceId"]):
            self.problems.append(f"{where}.deviceId: device {item['deviceId']} is listed twice")
            return
        values = _values("devices", item)
        values["tags"] = tuple(item["tags"]) if "tags" in item else None
        try:  # `_in_order`, inline: a world may hold a million devices
            self.state.add_device(Device(**values), self._seq("devices", index))
        except ValueError:
            self.problems.append(f"{where}: its position is not after the previous item of its list")

    def _in_order(self, where: str, add: Callable[[], object]) -> None:
        """Add an item; with positions, one numbered below an earlier item of its list is reported."""
        try:
            add()
        except ValueError:
            self.problems.append(f"{where}: its position is not after the previous item of its list")

    def _api_key(self, where: str, item: dict[str, Any]) -> None:
        group_id, key_type = item["groupId"], item["type"]
        if not self._known_group(f"{where}.groupId", group_id):
            return
        if self.state.api_key(group_id, key_type) is not None:
            self.problems.append(f"{where}.type: group {group_id} has two API keys of type {key_type}")
            return
        self.state.put_api_key(ApiKey(**{**_values("apiKeys", item), "token": item.get("token", "")}))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, only an unpaired one can be there
_FIELD_NAMES = {kind: frozenset(fields) for kind, fields in FIELDS.items()}


def _has_lone_surrogate(item: dict[str, Any]) -> bool:
    """Whether a field of `item` holds a lone surrogate (an ASCII string cannot: the regex runs on others)."""
    for value in item.values():
        if isinstance(value, str):
            if not value.isascii() and _LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, list) and any(_LONE_SURROGATE.search(text) for text in _texts(value)):
            return True
    return False


def _texts(value: Any) -> list[str]:
    """The strings of a field's value: itself, or those of a list (tags)."""
    values = value if isinstance(value, list) else [value]
    return [text for text in values if isinstance(text, str)]


def _path(parts: Iterable[str | int]) -> str:
    return "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in parts)


_PAIRS = {kind: tuple(fields.items()) for kind, fields in FIELDS.items()}


def _values(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item's values by record attribute; an unset field is None."""
    get = item.get
    return {attribute: get(name) for name, attribute in _PAIRS[kind]}
