"""The world format (fixtures/README.md), in one place: reading a world (a built-in name or a file), checking
it while building a `State` from it in one pass, and exporting a `State` back.

Each item is checked against its schema (the contract's `PublicUser`, `Device` and `ExternalApiKey` for
users, devices and keys; the format's own for the rest) and against the world's rules (references resolve,
ids, emails and tokens are unique, roles are built-in, parents form no cycle). Every problem is collected,
named by its item and field (`devices[3].groupId: ...`); if there is any, nothing built is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

from . import contract
from .model import ApiKey, Attachment, Device, Group, User
from .roles import BUILT_IN
from .state import State

FORMAT = "groupkit-world/1"
KEYS = ("users", "groups", "memberships", "devices", "apiKeys", "connectors", "notifications")
BUILT_IN_WORLDS = ("default", "empty")


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
}


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
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name_or_path}: a world is a JSON object")
    return data


def build(world: Any, source: str | None = None) -> State:
    """The state `world` describes; InvalidWorld (naming `source`, if given) lists everything wrong with it."""
    builder = _Builder()
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


@cache
def _validators() -> dict[str, OAS30Validator]:
    document = contract.default()
    return {kind: contract.validator(document, schema) for kind, schema in SCHEMAS.items()}


class _Builder:
    """One pass over a world: each item is checked, then added to `state` if it is sound."""

    def __init__(self) -> None:
        self.state = State()
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
        if self.problems:
            return
        for where, item in self._items(world, "users"):
            self._user(where, item)
        placed = [
            (where, group)
            for where, item in self._items(world, "groups")
            if (group := self._group(where, item))
        ]
        self._check_parents(placed)
        for where, item in self._items(world, "memberships"):
            self._membership(where, item)
        for where, item in self._items(world, "devices"):
            self._device(where, item)
        for where, item in self._items(world, "apiKeys"):
            self._api_key(where, item)
        for kind, add in (
            ("connectors", self.state.add_connector),
            ("notifications", self.state.add_notification),
        ):
            for where, item in self._items(world, kind):
                if self._known_group(f"{where}.groupId", item["groupId"]):
                    add(Attachment(**_values(kind, item)))

    def _items(self, world: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The items of one kind that match their schema, each with where it is (`users[3]`); the others
        are reported."""
        validator = _validators()[kind]
        for index, item in enumerate(world.get(kind, [])):
            where = f"{kind}[{index}]"
            if not isinstance(item, dict):
                self.problems.append(f"{where} must be an object")
                continue
            found = [
                f"{where}{_path(error.absolute_path)}: {error.message}"
                for error in validator.iter_errors(item)
            ]
            found += [f"{where}.{name}: not a field of {kind}" for name in item if name not in FIELDS[kind]]
            if found:
                self.problems.extend(found)
                if kind in self.broken and isinstance(item.get("id"), str):
                    self.broken[kind].add(item["id"])
                continue
            yield where, item

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
        else:
            state.add_user(User(**_values("users", item)))
            return
        self.broken["users"].add(item["id"])

    def _group(self, where: str, item: dict[str, Any]) -> Group | None:
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
        group = Group(**values, seq=self.state.next_seq())
        self.state.put_group(group)
        return group

    def _check_parents(self, placed: list[tuple[str, Group]]) -> None:
        """Parents are resolved once every group is read (a child may come first); no cycle of parents."""
        for where, group in placed:
            if group.parent is not None:
                self._known_group(f"{where}.parent", group.parent)
        cycles: set[frozenset[str]] = set()
        for where, group in placed:
            path: list[str] = []
            node: Group | None = group
            while node is not None and node.id not in path:
                path.append(node.id)
                node = self.state.group(node.parent) if node.parent is not None else None
            cycle = frozenset(path[path.index(node.id) :]) if node is not None else None
            if cycle is not None and cycle not in cycles:  # the walk came back to a group it had passed
                cycles.add(cycle)
                self.problems.append(f"{where}.parent: groups {sorted(cycle)} form a cycle of parents")

    def _membership(self, where: str, item: dict[str, Any]) -> None:
        group_id, user_id = item["groupId"], item["userId"]
        if user_id in self.broken["users"] or not self._known_group(f"{where}.groupId", group_id):
            return
        if self.state.user(user_id) is None:
            self.problems.append(f"{where}.userId: names unknown user {user_id}")
        elif self.state.membership(user_id, group_id) is not None:
            self.problems.append(f"{where}: user {user_id} is listed twice in group {group_id}")
        elif self._role(f"{where}.roleId", item["roleId"]):
            self.state.add_membership(group_id, user_id, item["roleId"])

    def _device(self, where: str, item: dict[str, Any]) -> None:
        if not self._known_group(f"{where}.groupId", item["groupId"]):
            return
        if self.state.has_device(item["deviceId"]):
            self.problems.append(f"{where}.deviceId: device {item['deviceId']} is listed twice")
            return
        tags = tuple(item["tags"]) if "tags" in item else None
        self.state.add_device(Device(**{**_values("devices", item), "tags": tags}))

    def _api_key(self, where: str, item: dict[str, Any]) -> None:
        group_id, key_type = item["groupId"], item["type"]
        if not self._known_group(f"{where}.groupId", group_id):
            return
        if self.state.api_key(group_id, key_type) is not None:
            self.problems.append(f"{where}.type: group {group_id} has two API keys of type {key_type}")
            return
        self.state.put_api_key(ApiKey(**{**_values("apiKeys", item), "token": item.get("token", "")}))


def _path(parts: Iterable[str | int]) -> str:
    return "".join(f".{part}" if isinstance(part, str) else f"[{part}]" for part in parts)


def _values(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item's values by record attribute; an unset field is None."""
    return {attribute: item.get(name) for name, attribute in FIELDS[kind].items()}


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
    }


def _item(kind: str, record: Any, *, keep_unset: bool = False) -> dict[str, Any]:
    """A record as an item of `kind`; unset optional fields are left out unless `keep_unset`."""
    item = {name: getattr(record, attribute) for name, attribute in FIELDS[kind].items()}
    if "tags" in item and item["tags"] is not None:
        item["tags"] = list(item["tags"])
    return item if keep_unset else {name: value for name, value in item.items() if value is not None}
