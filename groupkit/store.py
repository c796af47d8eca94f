"""The mock's in-memory state and its domain rules: groups, memberships, roles, devices and API keys.

Plain Python, no HTTP: methods are the API's verbs, take the caller's user id first, and raise the
domain errors of `groupkit.errors`. One re-entrant lock guards the state, because connexion may run
handlers in a thread pool and the control API imports and resets state concurrently.

Access rule (docs/contract-decisions.md): a user's effective role in a group is the highest-ranked of
their direct memberships in the group and its ancestors ("permission trickles down"). A group the caller
has no effective role in does not exist for them (NotFound), reads included.
"""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from . import roles
from .errors import BadRequest, Conflict, Forbidden, NotFound
from .model import JSON, ApiKey, Group, Membership, User
from .pagination import Page, page_of, paginate
from .roles import BUILT_IN, Role

WORLD_FORMAT = "groupkit-world/1"
WORLD_KEYS = ("users", "groups", "memberships", "devices", "apiKeys", "connectors", "notifications")


def device_copy(device: JSON) -> JSON:
    """A copy that shares nothing mutable with the stored device (its only list is `tags`)."""
    copied = dict(device)
    if "tags" in copied:
        copied["tags"] = list(copied["tags"])
    return copied


def utc_today() -> str:
    return datetime.now(UTC).date().isoformat()


class Store:
    """The whole world of one mock. Build it with `Store.from_world(data)`; `export()` gives it back."""

    def __init__(self, *, rng: random.Random | None = None, today: Callable[[], str] = utc_today) -> None:
        self.lock = threading.RLock()
        self._rng = rng or random.Random()
        self._today = today
        self._seq = itertools.count(1)
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self._by_token: dict[str, User] = {}
        self._by_email: dict[str, User] = {}
        self._memberships_of: dict[str, dict[str, Membership]] = {}  # user id -> group id -> membership
        self._device_ids: set[str] = set()

    # ----------------------------------------------------------------- construction and export

    @classmethod
    def from_world(cls, world: JSON, **options: Any) -> Store:
        """A store holding `world` (the fixtures format); ValueError names the first broken item."""
        store = cls(**options)
        try:
            store._load(world)
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"an item lacks a required field or has the wrong type: {error!r}") from error
        return store

    def replace(self, world: JSON, rng: random.Random | None = None) -> None:
        """Swap the whole state for `world` (and the id generator for `rng`, if given); if `world` is broken,
        ValueError and nothing changes."""
        fresh = Store.from_world(world, rng=rng or self._rng, today=self._today)
        with self.lock:
            for name, value in vars(fresh).items():
                if name not in ("lock", "_today"):
                    setattr(self, name, value)

    def _load(self, world: JSON) -> None:
        for item in world.get("users", []):
            self._add_user(
                User(
                    id=item["id"],
                    email=item["email"],
                    first_name=item.get("firstName"),
                    last_name=item.get("lastName"),
                    created_at=item["createdAt"],
                    updated_at=item["updatedAt"],
                    seq=next(self._seq),
                    seen_at=item.get("seenAt"),
                    token=item.get("token"),
                )
            )
        for item in world.get("groups", []):
            if item["id"] in self.groups:
                raise ValueError(f"group {item['id']} is listed twice")
            self.groups[item["id"]] = Group(
                id=item["id"],
                name=item.get("name"),
                description=item.get("description"),
                parent=item.get("parent"),
                owner_id=item.get("ownerId"),
                token=item["token"],
                tags=list(item.get("tags", [])),
                default_role=self._role(item.get("defaultRole", "viewer")).id,
                created_by=item.get("createdBy"),
                updated_by=item.get("updatedBy"),
                created_at=item["createdAt"],
                updated_at=item["updatedAt"],
                seq=next(self._seq),
            )
        for group in self.groups.values():
            if group.parent is not None:
                self._group_exists(group.parent, f"group {group.id}'s parent")
                self.groups[group.parent].children.add(group.id)
        for group in self.groups.values():
            self._ancestors_checked(group)
        for item in world.get("memberships", []):
            self._group_exists(item["groupId"], "a membership's groupId")
            if item["userId"] not in self.users:
                raise ValueError(f"membership names unknown user {item['userId']}")
            if item["userId"] in self.groups[item["groupId"]].member_seq:
                raise ValueError(f"user {item['userId']} is listed twice in group {item['groupId']}")
            self._add_membership(item["groupId"], item["userId"], self._role(item["roleId"]).id)
        for item in world.get("devices", []):
            self._group_exists(item["groupId"], f"device {item['deviceId']}'s groupId")
            if item["deviceId"] in self._device_ids:
                raise ValueError(f"device {item['deviceId']} is listed twice")
            self._device_ids.add(item["deviceId"])
            self.groups[item["groupId"]].devices.add(next(self._seq), device_copy(item))
        for item in world.get("apiKeys", []):
            group = self._group_exists(item["groupId"], "an API key's groupId")
            if item["type"].lower() in group.api_keys:
                raise ValueError(f"group {group.id} has two API keys of type {item['type']}")
            group.api_keys[item["type"].lower()] = ApiKey(
                group_id=group.id,
                type=item["type"],
                name=item["name"],
                token=item.get("token", ""),
                created_by=item.get("createdBy"),
                updated_by=item.get("updatedBy"),
                created_at=item.get("createdAt"),
                updated_at=item.get("updatedAt"),
            )
        for key in ("connectors", "notifications"):
            for item in world.get(key, []):
                getattr(self._group_exists(item["groupId"], f"a {key[:-1]}'s groupId"), key).append(
                    dict(item)
                )

    def _group_exists(self, group_id: str, what: str) -> Group:
        if group_id not in self.groups:
            raise ValueError(f"{what} names unknown group {group_id}")
        return self.groups[group_id]

    def _ancestors_checked(self, group: Group) -> None:
        seen = {group.id}
        while group.parent is not None:
            if group.parent in seen:
                raise ValueError(f"groups {sorted(seen)} form a cycle of parents")
            seen.add(group.parent)
            group = self.groups[group.parent]

    @staticmethod
    def _role(role_id: str) -> Role:
        if role_id not in BUILT_IN:
            raise ValueError(f"unknown role {role_id!r} (built-in roles: {', '.join(BUILT_IN)})")
        return BUILT_IN[role_id]

    def export(self) -> JSON:
        """The whole state in the fixtures format, lists in creation order (what `from_world` reads)."""
        with self.lock:
            groups = sorted(self.groups.values(), key=lambda g: g.seq)
            memberships = sorted((m for g in groups for m in g.members), key=lambda m: m.seq)
            return {
                "format": WORLD_FORMAT,
                "users": [u.to_world() for u in sorted(self.users.values(), key=lambda u: u.seq)],
                "groups": [g.to_world() for g in groups],
                "memberships": [
                    {"groupId": m.group_id, "userId": m.user_id, "roleId": m.role_id} for m in memberships
                ],
                "devices": [device_copy(d) for g in groups for d in g.devices],
                "apiKeys": [k.to_json() for g in groups for k in g.api_keys.values()],
                "connectors": [dict(c) for g in groups for c in g.connectors],
                "notifications": [dict(n) for g in groups for n in g.notifications],
            }

    # ----------------------------------------------------------------- identity and access

    def user_for_token(self, token: str) -> User | None:
        return self._by_token.get(token)

    def demo_users(self) -> list[User]:
        return [u for u in sorted(self.users.values(), key=lambda u: u.seq) if u.token]

    def effective_role(self, user_id: str, group: Group) -> Role | None:
        memberships = self._memberships_of.get(user_id)
        if not memberships:
            return None
        best: Role | None = None
        node: Group | None = group
        while node is not None:
            membership = memberships.get(node.id)
            if membership is not None:
                role = BUILT_IN[membership.role_id]
                if best is None or role.rank > best.rank:
                    best = role
            node = self.groups[node.parent] if node.parent is not None else None
        return best

    def _visible(self, user_id: str, group_id: str, permission: str = roles.READ) -> tuple[Group, Role]:
        group = self.groups.get(group_id)
        role = self.effective_role(user_id, group) if group is not None else None
        if group is None or role is None:
            raise NotFound("Group not found")
        if not role.allows(permission):
            raise Forbidden(f"Your role in this group ({role.name}) does not allow {permission}")
        return group, role

    def _known_role(self, role_id: str) -> Role:
        role = BUILT_IN.get(role_id)
        if role is None:
            raise NotFound(f"Role {role_id!r} not found")
        return role

    def _has_administrator(self, group: Group) -> bool:
        node: Group | None = group
        while node is not None:
            if any(BUILT_IN[m.role_id].allows(roles.UPDATE_MEMBER) for m in node.members):
                return True
            node = self.groups[node.parent] if node.parent is not None else None
        return False

    # ----------------------------------------------------------------- groups

    def list_user_groups(self, user_id: str, limit: int, token: str | None) -> Page[JSON]:
        with self.lock:
            visible: dict[str, Group] = {}
            for group_id in self._memberships_of.get(user_id, {}):
                for group in self._subtree(self.groups[group_id]):
                    visible[group.id] = group
            page = page_of(((g.seq, g) for g in visible.values()), f"user-groups:{user_id}", limit, token)
            return Page([self._group_json(user_id, g) for g in page.items], page.next_token)

    def _subtree(self, group: Group) -> Iterator[Group]:
        yield group
        for child_id in group.children:
            yield from self._subtree(self.groups[child_id])

    def _group_json(self, user_id: str, group: Group) -> JSON:
        role = self.effective_role(user_id, group)
        assert role is not None
        return group.to_json(user_id, role)

    def get_group(self, user_id: str, group_id: str) -> JSON:
        with self.lock:
            group, role = self._visible(user_id, group_id)
            return group.to_json(user_id, role)

    def create_group(self, user_id: str, fields: JSON, parent_id: str | None = None) -> JSON:
        with self.lock:
            if parent_id is not None:
                self._visible(user_id, parent_id, roles.CREATE_SUBGROUP)
            today = self._today()
            group = Group(
                id=self._new_id(),
                name=fields.get("name"),
                description=fields.get("description"),
                parent=parent_id,
                owner_id=user_id,
                token="gtk_" + self._hex(32),
                tags=list(fields.get("tags") or []),
                default_role=roles.VIEWER.id,
                created_by=user_id,
                updated_by=user_id,
                created_at=today,
                updated_at=today,
                seq=next(self._seq),
            )
            self.groups[group.id] = group
            if parent_id is not None:
                self.groups[parent_id].children.add(group.id)
            self._add_membership(group.id, user_id, roles.ADMINISTRATOR.id)
            return self._group_json(user_id, group)

    def update_group(self, user_id: str, changes: JSON) -> JSON:
        with self.lock:
            group, _ = self._visible(user_id, changes["groupId"], roles.UPDATE)
            owner_id = changes.get("ownerId")
            if owner_id is not None and self.effective_role(owner_id, group) is None:
                raise NotFound(f"User {owner_id!r} is not a member of this group")
            role_id = changes.get("roleId")
            if role_id is not None:
                self._known_role(role_id)
            parent_id = changes.get("parent")
            if parent_id is not None and parent_id != group.parent:
                self._visible(user_id, parent_id, roles.CREATE_SUBGROUP)
                if any(g.id == parent_id for g in self._subtree(group)):
                    raise Conflict("A group cannot be moved under itself or one of its sub-groups")
                if group.parent is not None:
                    self.groups[group.parent].children.discard(group.id)
                self.groups[parent_id].children.add(group.id)
                group.parent = parent_id
            if owner_id is not None:
                group.owner_id = owner_id
            if role_id is not None:
                group.default_role = role_id
            for key in ("name", "description"):
                if key in changes:
                    setattr(group, key, changes[key])
            if "tags" in changes:
                group.tags = list(changes["tags"])
            group.updated_at, group.updated_by = self._today(), user_id
            return self._group_json(user_id, group)

    # ----------------------------------------------------------------- external API keys

    def create_api_key(self, user_id: str, body: JSON) -> JSON:
        with self.lock:
            group, _ = self._visible(user_id, body["groupId"], roles.WRITE_KEYS)
            kind = body["type"]
            if kind.lower() in group.api_keys:
                raise Conflict(f"This group already has an API key of type {kind}")
            today = self._today()
            key = ApiKey(group.id, kind, body["name"], body["token"], user_id, user_id, today, today)
            group.api_keys[kind.lower()] = key
            return key.to_json()

    def update_api_key(self, user_id: str, body: JSON) -> JSON:
        with self.lock:
            key = self._api_key(user_id, body["groupId"], body["type"])
            if "token" in body:
                key.token = body["token"]
            if "name" in body:
                key.name = body["name"]
            key.updated_at, key.updated_by = self._today(), user_id
            return key.to_json()

    def delete_api_key(self, user_id: str, group_id: str, kind: str) -> None:
        with self.lock:
            self._api_key(user_id, group_id, kind)
            del self.groups[group_id].api_keys[kind.lower()]

    def _api_key(self, user_id: str, group_id: str, kind: str) -> ApiKey:
        group, _ = self._visible(user_id, group_id, roles.WRITE_KEYS)
        key = group.api_keys.get(kind.lower())
        if key is None:
            raise NotFound(f"This group has no API key of type {kind}")
        return key

    # ----------------------------------------------------------------- members

    def invite(self, user_id: str, group_id: str, email: str, role_id: str) -> JSON:
        with self.lock:
            group, caller_role = self._visible(user_id, group_id, roles.INVITE)
            role = self._grantable(caller_role, role_id)
            invitee = self._by_email.get(email.lower())
            if invitee is None:
                today = self._today()
                invitee = User(self._new_id(), email, None, None, today, today, next(self._seq))
                self._add_user(invitee)
            elif invitee.id in group.member_seq:
                raise Conflict(f"{email} is already a member of this group")
            self._add_membership(group.id, invitee.id, role.id)
            return group.to_relation(invitee.id, role)

    def update_member(self, user_id: str, group_id: str, member_id: str, role_id: str) -> JSON:
        with self.lock:
            group, caller_role = self._visible(user_id, group_id, roles.UPDATE_MEMBER)
            membership = self._direct_membership(group, member_id)
            role = self._grantable(caller_role, role_id)
            current = BUILT_IN[membership.role_id]
            if current is roles.SUBSCRIBER:
                raise Forbidden("The Subscriber's role cannot be changed")
            if current.rank > caller_role.rank:
                raise Forbidden(f"You cannot change the role of a member above you ({current.name})")
            membership.role_id = role.id
            if not self._has_administrator(group):
                membership.role_id = current.id
                raise Conflict("The group would be left without an Administrator")
            return group.to_relation(member_id, role)

    def remove_member(self, user_id: str, group_id: str, member_id: str | None) -> str:
        with self.lock:
            leaving = member_id is None or member_id == user_id
            group, caller_role = self._visible(
                user_id, group_id, roles.READ if leaving else roles.REMOVE_MEMBER
            )
            target_id = user_id if member_id is None else member_id
            membership = self._direct_membership(group, target_id)
            role = BUILT_IN[membership.role_id]
            if role is roles.SUBSCRIBER:
                raise Forbidden("The Subscriber cannot be removed from the group")
            if not leaving and role.rank > caller_role.rank:
                raise Forbidden(f"You cannot remove a member above you ({role.name})")
            self._remove_membership(group, membership)
            if not self._has_administrator(group):
                self._restore_membership(group, membership)
                raise Conflict("The group would be left without an Administrator")
            return "You left the group" if leaving else "User removed from the group"

    def _grantable(self, caller_role: Role, role_id: str) -> Role:
        role = self._known_role(role_id)
        if role is roles.SUBSCRIBER:
            raise Forbidden("The Subscriber role cannot be granted")
        if role.rank > caller_role.rank:
            raise Forbidden(f"You cannot grant a role above your own ({caller_role.name})")
        return role

    def _direct_membership(self, group: Group, user_id: str) -> Membership:
        membership = self._memberships_of.get(user_id, {}).get(group.id)
        if membership is None:
            raise NotFound(f"User {user_id!r} is not a direct member of this group")
        return membership

    def _add_user(self, user: User) -> None:
        if user.id in self.users:
            raise ValueError(f"user {user.id} is listed twice")
        if user.email.lower() in self._by_email:
            raise ValueError(f"email {user.email} is used twice")
        if user.token is not None and user.token in self._by_token:
            raise ValueError(f"token of user {user.id} is used twice")
        self.users[user.id] = user
        self._by_email[user.email.lower()] = user
        if user.token is not None:
            self._by_token[user.token] = user

    def _add_membership(self, group_id: str, user_id: str, role_id: str) -> None:
        membership = Membership(group_id, user_id, role_id, next(self._seq))
        group = self.groups[group_id]
        group.members.add(membership.seq, membership)
        group.member_seq[user_id] = membership.seq
        self._memberships_of.setdefault(user_id, {})[group_id] = membership

    def _remove_membership(self, group: Group, membership: Membership) -> None:
        group.members.remove(membership.seq)
        del group.member_seq[membership.user_id]
        del self._memberships_of[membership.user_id][group.id]

    def _restore_membership(self, group: Group, membership: Membership) -> None:
        group.members.insert(membership.seq, membership)
        group.member_seq[membership.user_id] = membership.seq
        self._memberships_of[membership.user_id][group.id] = membership

    # ----------------------------------------------------------------- lists

    def list_group_devices(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[JSON]:
        with self.lock:
            group, _ = self._visible(user_id, group_id)
            page = group.devices.page(f"devices:{group.id}", limit, token)
            return Page([device_copy(d) for d in page.items], page.next_token)

    def list_group_users(self, user_id: str, group_id: str, limit: int, token: str | None) -> Page[JSON]:
        with self.lock:
            group, _ = self._visible(user_id, group_id)
            page = group.members.page(f"users:{group.id}", limit, token)
            items = [self.users[m.user_id].to_public(BUILT_IN[m.role_id]) for m in page.items]
            return Page(items, page.next_token)

    def list_roles(self, limit: int, token: str | None) -> Page[JSON]:
        all_roles = list(BUILT_IN.values())
        return paginate(
            list(range(1, len(all_roles) + 1)),
            lambda seq: all_roles[seq - 1].to_json(),
            "roles",
            limit,
            token,
        )

    # ----------------------------------------------------------------- ids

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _hex(self, length: int) -> str:
        return format(self._rng.getrandbits(length * 4), f"0{length}x")


__all__ = ["Store", "BadRequest", "WORLD_FORMAT", "WORLD_KEYS"]
