"""The one pass that checks a world against the format's rules while building its `State`
(`groupkit.worldschema` holds the items' fields and schemas; `groupkit.world` is the format's public face).

Each item is checked against its schema (the contract's `PublicUser`, `Device` and `ExternalApiKey` for
users, devices and keys; the format's own for the rest) and against the world's rules (references resolve,
ids, emails and tokens are unique, emails are e-mail addresses, no text holds a lone surrogate, roles are
built-in, parents form no cycle). Every problem is collected, named by its item and field
(`devices[3].groupId: ...`). The pass is linear in the size of the world, however deep its groups nest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from . import worldschema
from .addresses import is_email
from .model import ApiKey, Attachment, Device, Group, User
from .pagination import Cursors
from .roles import BUILT_IN
from .state import State
from .worldschema import (
    FIELD_NAMES,
    FIELDS,
    FORMAT,
    KEYS,
    LONE_SURROGATE,
    Positions,
    has_lone_surrogate,
    path,
    record_values,
    texts,
)


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
        self._devices(world.get("devices", []))
        for _, where, item in self._items(world, "apiKeys"):
            self._api_key(where, item)
        for kind, add in (
            ("connectors", self.state.add_connector),
            ("notifications", self.state.add_notification),
        ):
            for _, where, item in self._items(world, kind):
                if self._known_group(f"{where}.groupId", item["groupId"]):
                    add(Attachment(**record_values(kind, item)))
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
        clear = _fast_check(kind)
        for index, item in enumerate(world.get(kind, [])):
            if clear(item) or self._checked(kind, index, item):
                yield index, f"{kind}[{index}]", item

    def _checked(self, kind: str, index: int, item: Any) -> bool:
        """Whether an item the fast check did not clear matches its schema; its problems are reported."""
        where = f"{kind}[{index}]"
        if not isinstance(item, dict):
            self.problems.append(f"{where} must be an object")
            return False
        found = [
            f"{where}{path(error.absolute_path)}: {error.message}"
            for error in worldschema.validators()[kind].iter_errors(item)
        ]
        found += [f"{where}.{name}: not a field of {kind}" for name in item if name not in FIELDS[kind]]
        found += [
            f"{where}.{name}: holds a lone surrogate, which no UTF-8 text can carry"
            for name, value in item.items()
            if any(LONE_SURROGATE.search(text) for text in texts(value))
        ]
        if found:
            self.problems.extend(found)
            if kind in self.broken and isinstance(item.get("id"), str):
                self.broken[kind].add(item["id"])
            return False
        return True

    def _devices(self, items: list[Any]) -> None:
        """The devices, the bulk of a big world (a million): `_items` and `_device` in one loop, each
        lookup bound once, for an item that passes the fast check and names a known group and a new id;
        any other item takes `_checked` and `_device`, which report it."""
        clear, state = _fast_check("devices"), self.state
        group, has_device, add = state.group, state.has_device, state.add_device
        numbers = self.positions.devices if self.positions is not None else None
        for index, item in enumerate(items):
            sound = clear(item)
            if sound and group(item["groupId"]) is not None and not has_device(item["deviceId"]):
                try:
                    add(device_record(item), None if numbers is None else numbers[index])
                except ValueError:
                    self.problems.append(
                        f"devices[{index}]: its position is not after the previous item of its list"
                    )
            elif sound or self._checked("devices", index, item):
                self._device(index, f"devices[{index}]", item)

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
            state.add_user(User(**record_values("users", item)))
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
            **record_values("groups", item),
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
        values = record_values("devices", item)
        values["tags"] = tuple(item["tags"]) if "tags" in item else None
        self._in_order(where, lambda: self.state.add_device(Device(**values), self._seq("devices", index)))

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
        self.state.put_api_key(ApiKey(**{**record_values("apiKeys", item), "token": item.get("token", "")}))


# Each field of a device but its tags, with the setter of the record's slot that holds it.
_DEVICE_SETTERS = tuple(
    (name, vars(Device)[attribute].__set__)
    for name, attribute in FIELDS["devices"].items()
    if attribute != "tags"
)
_set_tags = vars(Device)["tags"].__set__


def device_record(item: dict[str, Any]) -> Device:
    """The `Device` of a sound item: what `Device(**record_values("devices", item))` with its tags as a
    tuple builds, with each slot set directly (a frozen dataclass's `__init__` sets its 15 fields one
    `object.__setattr__` at a time: 6.5 µs of the ~16 a device took to build, docs/performance.md)."""
    device = object.__new__(Device)
    get = item.get
    for name, set_slot in _DEVICE_SETTERS:
        set_slot(device, get(name))
    tags = get("tags")
    _set_tags(device, tuple(tags) if tags is not None else None)
    return device


def _fast_check(kind: str) -> Callable[[Any], bool]:
    """Whether an item of `kind` is sound, checked in one pass of compiled code (the common case); False
    says only that `_checked` must name its problems, if any. Without a compiled schema, always False."""
    compiled, fields = worldschema.compiled()[kind], FIELD_NAMES[kind]
    if compiled is None:
        return lambda item: False
    is_valid = compiled.is_valid

    def clear(item: Any) -> bool:
        return (
            type(item) is dict and fields.issuperset(item) and is_valid(item) and not has_lone_surrogate(item)
        )

    return clear
