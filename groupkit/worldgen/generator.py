"""Generated worlds: `Spec` (how many groups, devices and members, how deep, which seed) to the lists of a world
in the format of fixtures/README.md, devices as an iterator so that a million of them are never all in memory.

Shape: a few tenants (top-level groups, each owned by a subscriber), one chain of sub-groups `depth` deep under
the first, the other sub-groups attached to earlier groups (half of the time in proportion to the children
they already have, so a few groups get long lists of sub-groups), no deeper than `depth`. Devices gather in
a few groups (a long list to page through) and thin out over the rest; about half of the members join the
first tenant (a long member list), the others one to three groups anywhere. Each section draws from its own
random generator seeded from `seed`, so the same spec gives the same world, whatever order it is read in.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..addresses import EMAIL_MAX
from ..fixtures.build_default import CONNECTORS, DEVICE_KINDS, LAST_DAY, NOTIFICATIONS
from . import names

FIRST_DAY = date(2023, 1, 1)  # groups are created from then on, in list order
LAST_CREATED = date(2026, 9, 30)  # ... up to then; updates run to LAST_DAY
SEEN_FROM = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
ROLES = ("viewer", "installer", "administrator", "subscriber")
ROLE_WEIGHTS = (50, 25, 20, 5)  # most members only look
KEY_TYPES = ("SIGFOX", "TTI", "LORIOT", "ACTILITY")
UNITS = ("Cold room", "Reefer", "Freezer")
TAGS = ("cold-chain", "pharma", "frozen", "chilled", "port", "fleet", "warehouse", "retail")


class SpecError(ValueError):
    """Raised for a spec that describes no world (a negative count, devices without groups, ...)."""


@dataclass(frozen=True)
class Spec:
    """What to generate. `edge_ratio` is the share of names after the first few that are edge cases (the
    first sub-groups, devices and users take each edge case once unless it is 0)."""

    groups: int = 50
    devices: int = 500
    members: int = 20
    seed: int = 0
    depth: int = 6
    edge_ratio: float = 0.1

    def check(self) -> None:
        """SpecError if this spec describes no world."""
        for name in ("groups", "devices", "members"):
            if getattr(self, name) < 0:
                raise SpecError(f"--{name} must be 0 or more, not {getattr(self, name)}")
        if self.depth < 1:
            raise SpecError(f"--depth must be 1 or more, not {self.depth}")
        if not 0 <= self.edge_ratio <= 1:
            raise SpecError(f"--edge-ratio must be between 0 and 1, not {self.edge_ratio}")
        if self.devices and not self.groups:
            raise SpecError("devices need groups to be in: give --groups 1 or more")
        if self.groups and not self.members:
            raise SpecError("groups need an owner: give --members 1 or more")

    @property
    def tenants(self) -> int:
        """How many top-level groups: about a third of the square root of `groups`, at least one (all of
        them with `depth` 1)."""
        if self.depth == 1:
            return self.groups
        return min(self.groups, max(1, round(math.sqrt(self.groups) / 3)))


def _rng(spec: Spec, section: str) -> random.Random:
    return random.Random(f"groupkit-world:{spec.seed}:{section}")  # a str seed is hashed with SHA-512


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _stamps(rng: random.Random, created: int) -> dict[str, str]:
    """`createdAt` (a day's ordinal) and a later `updatedAt`, no later than LAST_DAY."""
    updated = created + rng.randint(0, max(0, LAST_DAY.toordinal() - created))
    return {"createdAt": _day(created), "updatedAt": _day(updated)}


def _longest_email(index: int, seed: int) -> str:
    """An address of EMAIL_MAX characters, the longest the contract takes: a 64-character local part (SMTP's
    limit), then labels of at most 63 characters."""
    local = f"long.mailbox.{index}".ljust(64, "x")
    labels, room = [], EMAIL_MAX - len(local) - len(f"@gen{seed}.example")
    while room > 1:
        size = min(63, room - 1)  # each label costs its dot
        labels.append("c" * size)
        room -= size + 1
    return f"{local}@gen{seed}." + "".join(f"{label}." for label in labels) + "example" + "x" * room


class Tree:
    """The groups' shape, kept compact (one entry per group in each list): parent, tenant and creation day
    by group index, and each group's id."""

    def __init__(self, spec: Spec) -> None:
        rng = _rng(spec, "tree")
        count, tenants = spec.groups, spec.tenants
        self.ids = [_uuid(rng) for _ in range(count)]
        self.parent: list[int] = []  # -1 for a tenant
        self.tenant: list[int] = []
        level: list[int] = []
        eligible: list[int] = []  # groups that may take a child (above `depth`), each once
        weighted: list[int] = []  # the same, once more for each child they have
        for index in range(count):
            if index < tenants:
                parent = -1
            elif index < tenants + spec.depth - 1:  # the deep chain, under the first tenant
                parent = 0 if index == tenants else index - 1
            else:
                parent = rng.choice(weighted if rng.random() < 0.5 else eligible)
            self.parent.append(parent)
            self.tenant.append(index if parent < 0 else self.tenant[parent])
            level.append(1 if parent < 0 else level[parent] + 1)
            if parent >= 0 and level[parent] < spec.depth:
                weighted.append(parent)
            if level[index] < spec.depth:
                eligible.append(index)
                weighted.append(index)
        self.depth = max(level, default=0)
        span = LAST_CREATED.toordinal() - FIRST_DAY.toordinal()
        self.created = [FIRST_DAY.toordinal() + index * span // max(1, count) for index in range(count)]


def owner_of_tenant(spec: Spec, tenant: int) -> int:
    """The user (by index) who owns tenant `tenant` as its subscriber: the first users in turn."""
    return tenant % spec.members


def users(spec: Spec) -> list[dict[str, Any]]:
    """`members` users: the tenants' owners first, then the rest; about one in ten of the rest is a pending
    invitee (no name, no token); every other user signs in with `gen-token-<index>`."""
    rng = _rng(spec, "users")
    owners = min(spec.members, spec.tenants)
    first_day, last_day = date(2022, 1, 1).toordinal(), date(2026, 10, 31).toordinal()
    result = []
    for index in range(spec.members):
        pending = index >= owners and rng.random() < 0.1
        first, last = names.person(rng, index, spec.edge_ratio)
        local = f"{first}.{last}".lower() if (first + last).isascii() else "user"
        email = f"{local.replace(' ', '-')}.{index}@gen{spec.seed}.example"
        if spec.edge_ratio and index == len(names.EDGE_PEOPLE):
            email = _longest_email(index, spec.seed)
        created = (
            rng.randint(first_day, date(2022, 12, 31).toordinal())
            if index < owners
            else rng.randint(first_day, last_day)
        )
        user: dict[str, Any] = {"id": _uuid(rng), "email": email}
        if not pending:
            user["firstName"], user["lastName"] = first, last
        user.update(_stamps(rng, created))
        if not pending:
            user["seenAt"] = _day(
                rng.randint(max(created, date(2026, 11, 1).toordinal()), LAST_DAY.toordinal())
            )
            user["token"] = f"gen-token-{index}"
        result.append(user)
    return result


def groups(spec: Spec, tree: Tree, user_ids: list[str]) -> Iterator[dict[str, Any]]:
    rng = _rng(spec, "groups")
    sub_groups = 0
    for index, group_id in enumerate(tree.ids):
        parent = tree.parent[index]
        if parent < 0:
            name = names.company(index)
        else:
            name = names.edge(rng, sub_groups, spec.edge_ratio) or names.site(rng, sub_groups)
            sub_groups += 1
        owner = user_ids[owner_of_tenant(spec, tree.tenant[index])]
        description = None if rng.random() < 0.2 else f"{name}: generated group {index} (seed {spec.seed})"
        yield {
            "id": group_id,
            "name": name,
            "description": description,
            "parent": tree.ids[parent] if parent >= 0 else None,
            "ownerId": owner,
            "token": f"gtk_{rng.getrandbits(128):032x}",
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "defaultRole": "viewer",
            "createdBy": owner,
            "updatedBy": owner,
            **_stamps(rng, tree.created[index]),
        }


def memberships(spec: Spec, tree: Tree, user_ids: list[str]) -> list[dict[str, Any]]:
    """Each tenant's owner as its subscriber; then each other user in one to three groups: the first tenant
    about half of the time, else a group drawn towards the earlier (shallower) ones."""
    rng = _rng(spec, "memberships")
    result = [
        {"groupId": tree.ids[t], "userId": user_ids[owner_of_tenant(spec, t)], "roleId": "subscriber"}
        for t in range(spec.tenants)
    ]
    for user in range(min(spec.members, spec.tenants), spec.members if spec.groups else 0):
        joined: set[int] = set()
        for _ in range(rng.choices((1, 2, 3), (70, 20, 10))[0]):
            group = 0 if rng.random() < 0.5 else int(spec.groups * rng.random() ** 2)
            if group not in joined:
                joined.add(group)
                role = rng.choices(ROLES, ROLE_WEIGHTS)[0]
                result.append({"groupId": tree.ids[group], "userId": user_ids[user], "roleId": role})
    return result


def devices(spec: Spec, tree: Tree, user_ids: list[str]) -> Iterator[dict[str, Any]]:
    """`devices` devices, most of them in a few groups: a device's group is drawn from a shuffled list of
    the groups, towards its start (the cube of a uniform draw)."""
    rng = _rng(spec, "devices")
    order = list(range(spec.groups))
    rng.shuffle(order)
    kinds = list(DEVICE_KINDS)
    for number in range(spec.devices):
        group = order[int(spec.groups * rng.random() ** 3)]
        author = user_ids[owner_of_tenant(spec, tree.tenant[group])]
        kind = rng.choice(kinds)
        name_template, information, configuration = DEVICE_KINDS[kind]
        network = "SIGFOX" if rng.random() < 0.5 else "LORAWAN"
        scrambled = (number * 2654435761) & 0xFFFFFFFF  # a bijection on 32 bits: the ids stay unique
        original = f"{scrambled:08X}" if network == "SIGFOX" else f"70B3D57E{scrambled:08X}"
        start = tree.created[group]
        created = start + rng.randint(0, max(0, LAST_CREATED.toordinal() - start))
        device: dict[str, Any] = {
            "deviceId": _uuid(rng),
            "groupId": tree.ids[group],
            "name": names.edge(rng, number, spec.edge_ratio)
            or name_template.format(n=number, unit=rng.choice(UNITS)),
            "type": kind,
            "network": network,
            "originalId": original,
        }
        if rng.random() < 0.95:  # the rest were never heard from
            device["battery"] = f"{rng.uniform(2.9, 3.6):.1f}"
            device["seenAt"] = SEEN_FROM + rng.randrange(20 * 86400)
        device.update(_stamps(rng, created))
        device.update(
            createdBy=author,
            updatedBy=author,
            information=information.format(n=number),
            configuration=json.dumps(configuration),
            tags=[kind.split("-")[0], network.lower()],
        )
        yield device


def api_keys(spec: Spec, tree: Tree, user_ids: list[str]) -> list[dict[str, Any]]:
    """One group in twenty holds one or two keys of different types."""
    rng = _rng(spec, "apiKeys")
    result = []
    for group in sorted(rng.sample(range(spec.groups), spec.groups // 20)):
        author = user_ids[owner_of_tenant(spec, tree.tenant[group])]
        for key_type in rng.sample(KEY_TYPES, rng.randint(1, 2)):
            result.append(
                {
                    "groupId": tree.ids[group],
                    "name": f"{key_type.title()} backend ({rng.choice(names.CITIES)})",
                    "type": key_type,
                    "token": f"{rng.getrandbits(96):024x}",
                    "createdBy": author,
                    "updatedBy": author,
                    **_stamps(rng, tree.created[group]),
                }
            )
    return result


def attachments(spec: Spec, tree: Tree, kind: str, per_group: float) -> list[dict[str, Any]]:
    """Connectors or notifications (only counted by the API): `per_group` of them per group, spread at random."""
    rng = _rng(spec, kind)
    labels = [label for _, label in (CONNECTORS if kind == "connectors" else NOTIFICATIONS)]
    count = int(spec.groups * per_group)
    return [
        {"id": _uuid(rng), "groupId": tree.ids[rng.randrange(spec.groups)], "name": rng.choice(labels)}
        for _ in range(count)
    ]


def generate(spec: Spec) -> dict[str, Any]:
    """The lists of the world `spec` describes (SpecError if none), in the format's order; `groups` and
    `devices` are iterators, to be read once."""
    spec.check()
    tree = Tree(spec)
    people = users(spec)
    user_ids = [user["id"] for user in people]
    return {
        "users": people,
        "groups": groups(spec, tree, user_ids),
        "memberships": memberships(spec, tree, user_ids),
        "devices": devices(spec, tree, user_ids),
        "apiKeys": api_keys(spec, tree, user_ids),
        "connectors": attachments(spec, tree, "connectors", 0.1),
        "notifications": attachments(spec, tree, "notifications", 0.2),
    }


__all__ = ["Spec", "SpecError", "Tree", "generate"]
