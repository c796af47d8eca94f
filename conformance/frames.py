"""Frames: what surrounds the target of a write (the groups around it, the group's members, the API keys the
run knows of), read before and after the write and compared, so that a check can tell what a write changed
besides its target. Used by `neighbours.py` (collateral damage of successful writes) and `role_matrix.py`
(a refused write changed nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .calls import Caller
from .lists import MAX_LIMIT, walk
from .sandbox import read_key

# The contract's writes, each framed (neighbours.py) and each predicted per role (role_matrix.py)
WRITES = (
    "POST /group",
    "PUT /group",
    "POST /group/apiKey",
    "PUT /group/apiKey",
    "DELETE /group/apiKey",
    "PUT /group/invite",
    "PUT /group/user",
    "DELETE /group/user",
)
GROUP_WRITES = ("POST /group", "PUT /group")  # the writes whose frame holds the groups around the target
GROUP_PAGES = 3  # pages of GET /user/groups (100 groups each) a frame reads


@dataclass
class Frame:
    """What surrounds a write's target, read with one caller: groups by id (as GET /user/groups lists them),
    the group's direct members (user id -> role id; None when unlisted) and known keys (type -> read)."""

    group_id: str
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, Any] | None = None
    keys: dict[str, tuple[int, Any, Any]] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """What a write aims at: its group, and the member, key type or groups it may change."""

    group_id: str
    member: str | None = None
    key: str | None = None
    groups_too: bool = True  # False when the write changes the caller's own view (their own role)


def snapshot(
    caller: Caller,
    group_id: str,
    keys: Iterable[str] = (),
    only: Iterable[str] | None = None,
    *,
    groups: bool = True,
) -> Frame:
    """The frame around `group_id`: its parent, siblings and children (or exactly the groups `only` names;
    none without `groups`), its members and the listed `keys`."""
    frame = Frame(group_id)
    if groups:
        _neighbours(caller, frame, only)
    users = walk(caller, "GET /group/users", group_id, limit=MAX_LIMIT, max_pages=GROUP_PAGES)
    if users.status == 200 and users.problem is None and not users.truncated:
        frame.members = {m["id"]: _role(m) for m in users.items if isinstance(m, dict) and "id" in m}
    frame.steps += users.steps(1)
    for kind in keys:
        read = read_key(caller, group_id, kind)
        body = read.body if isinstance(read.body, dict) else {}
        frame.keys[kind] = (read.status, body.get("name"), body.get("token"))
        frame.steps.append(read.curl)
    return frame


def _neighbours(caller: Caller, frame: Frame, only: Iterable[str] | None) -> None:
    group_id = frame.group_id
    listed = walk(caller, "GET /user/groups", None, limit=MAX_LIMIT, max_pages=GROUP_PAGES)
    items = [g for g in listed.items if isinstance(g, dict) and isinstance(g.get("id"), str)]
    if only is not None:
        wanted = set(only)
        frame.groups = {g["id"]: g for g in items if g["id"] in wanted}
    else:
        target = next((g for g in items if g["id"] == group_id), None)
        if target is not None:
            parent = target.get("parent")
            frame.groups = {
                g["id"]: g
                for g in items
                if g["id"] == parent or g.get("parent") == parent or g.get("parent") == group_id
            }
    frame.steps += listed.steps(1)


def _role(member: dict[str, Any]) -> Any:
    role = member.get("role")
    return role.get("id") if isinstance(role, dict) else role


def changes(before: Frame, after: Frame, target: Target | None) -> list[str]:
    """What changed from `before` to `after` outside `target` (None: anything that changed)."""
    found = []
    if target is None or target.groups_too:
        for group_id, fields in before.groups.items():
            if target is not None and group_id == target.group_id:
                continue
            now = after.groups.get(group_id)
            name = fields.get("name")
            if now is None:
                found.append(f"group {group_id} ({name!r}) is no longer listed in GET /user/groups")
                continue
            for key in sorted(set(fields) | set(now)):
                if fields.get(key) != now.get(key):
                    found.append(
                        f"group {group_id} ({name!r}): {key} was {fields.get(key, '<absent>')!r}, "
                        f"now {now.get(key, '<absent>')!r}"
                    )
        if target is None:
            found += [f"group {gid} appeared" for gid in after.groups.keys() - before.groups.keys()]
    if before.members is not None and after.members is not None:
        for user_id, role in before.members.items():
            if target is not None and user_id == target.member:
                continue
            if user_id not in after.members:
                found.append(
                    f"member {user_id} (role {role!r}) of group {before.group_id} is no longer listed"
                )
            elif after.members[user_id] != role:
                found.append(
                    f"member {user_id} of group {before.group_id}: role was {role!r}, now {after.members[user_id]!r}"
                )
        if target is None:
            found += [
                f"member {uid} of group {before.group_id} appeared"
                for uid in after.members.keys() - before.members.keys()
            ]
    for kind, (status, name, token) in before.keys.items():
        if target is None and status != 200 and after.keys.get(kind, (status,))[0] == 200:
            found.append(f"API key ({before.group_id}, {kind}) answered {status} before, now 200")
        if status != 200 or (
            target is not None and target.key is not None and kind.lower() == target.key.lower()
        ):
            continue
        now_status, now_name, now_token = after.keys.get(kind, (0, None, None))
        if now_status != 200:
            found.append(f"API key ({before.group_id}, {kind}) answered 200 before, now {now_status}")
        elif (now_name, now_token) != (name, token):
            found.append(f"API key ({before.group_id}, {kind}) changed: name {name!r} -> {now_name!r}")
    return found
