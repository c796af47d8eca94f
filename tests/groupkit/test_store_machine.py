"""A Hypothesis state machine over the Store, checked against an independent model of the domain rules.

The model keeps the group tree, the direct memberships (in joining order), the users by email and the
API keys. Before each operation it predicts the outcome from the rules (docs: x-decision notes): the
access check on the group is decisive (no effective role: NotFound; role without the permission:
Forbidden); after it, the operation must fail with one of the errors that apply, or succeed when none
does (a move, for one, must keep the group's Subscribers: Forbidden otherwise). A failed operation must
leave `store.export()` unchanged. After every step the store's lists, counts and visibility are compared
with the model.

The machine runs over each backend (tests/backends.py): a plain `Store`; the replica of a world shared in
Redis; and two replicas of one Redis world, every write made on the first and every read on the second after
it caught up (`sync()`), the two replicas' snapshots compared after every step.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from groupkit import roles
from groupkit.errors import Conflict, Forbidden, GroupkitError, NotFound
from groupkit.model import GroupChanges, Removal
from groupkit.store import Store
from tests.backends import RedisWorlds, SplitReplicas, StoreFactory, memory_store
from tests.conftest import DEFAULT_WORLD

RANK = {role.id: role.rank for role in roles.BUILT_IN.values()}
ROLE_IDS = [*RANK, "owner", "Administrator"]  # two unknown role ids
ACTORS = [u["id"] for u in DEFAULT_WORLD["users"] if u.get("token")]
GHOST_GROUP = "00000000-0000-4000-8000-000000000000"
GHOST_USER = "00000000-0000-4000-8000-00000000beef"
FIXTURE_EMAILS = [u["email"] for u in DEFAULT_WORLD["users"]]
EMAILS = [
    *FIXTURE_EMAILS,
    *(e.upper() for e in FIXTURE_EMAILS[:3]),
    *(f"new{i}@example.test" for i in range(5)),
    "NEW0@example.test",
]
FAILED = object()
# The changes an update draws, by the contract's names (as the model below keeps them), and the
# `GroupChanges` field each one is.
DOMAIN = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "ownerId": "owner_id",
    "roleId": "default_role",
    "parent": "parent_id",
}


def per_group(key: str) -> Counter[str]:
    return Counter(item["groupId"] for item in DEFAULT_WORLD[key])


DEVICES = {
    g["id"]: [d["deviceId"] for d in DEFAULT_WORLD["devices"] if d["groupId"] == g["id"]]
    for g in DEFAULT_WORLD["groups"]
}
CONNECTORS = per_group("connectors")
NOTIFICATIONS = per_group("notifications")

names = st.text(alphabet="abcXYZ -é", min_size=1, max_size=8)


class StoreMachine(RuleBasedStateMachine):
    groups = Bundle("groups")
    users = Bundle("users")
    key_types = Bundle("key_types")

    def __init__(self, make_store: StoreFactory = memory_store) -> None:
        super().__init__()
        world = copy.deepcopy(DEFAULT_WORLD)
        self.store = make_store(world, rng=random.Random(0), today=lambda: "2026-11-25")
        # The model.
        self.order: list[str] = [g["id"] for g in world["groups"]]
        self.parent: dict[str, str | None] = {g["id"]: g["parent"] for g in world["groups"]}
        self.meta: dict[str, dict[str, Any]] = {
            g["id"]: {k: g[k] for k in ("name", "description", "tags", "ownerId", "defaultRole")}
            for g in world["groups"]
        }
        self.members: dict[str, dict[str, str]] = {g: {} for g in self.order}
        for m in world["memberships"]:
            self.members[m["groupId"]][m["userId"]] = m["roleId"]
        self.emails: dict[str, str] = {u["email"].lower(): u["id"] for u in world["users"]}
        self.keys: dict[tuple[str, str], dict[str, str]] = {
            (k["groupId"], k["type"].lower()): {"type": k["type"], "name": k["name"], "token": k["token"]}
            for k in world["apiKeys"]
        }
        self.deleted: set[tuple[str, str]] = set()
        self.outcomes: Counter[str] = Counter()

    # ------------------------------------------------------------- the model's rules

    def chain(self, group: str) -> list[str]:
        nodes: list[str] = []
        node: str | None = group
        while node is not None:
            nodes.append(node)
            node = self.parent[node]
        return nodes

    def effective(self, user: str, group: str) -> str | None:
        if group not in self.parent:
            return None
        held = [self.members[g][user] for g in self.chain(group) if user in self.members[g]]
        return max(held, key=RANK.__getitem__) if held else None

    def access(self, user: str, group: str, permission: str) -> type[GroupkitError] | None:
        role = self.effective(user, group)
        if role is None:
            return NotFound
        return None if roles.BUILT_IN[role].allows(permission) else Forbidden

    def subtree(self, group: str) -> set[str]:
        return {g for g in self.order if group in self.chain(g)}

    def subscribers(self, groups: list[str]) -> set[str]:
        """The users who hold the Subscriber role directly in one of `groups`."""
        return {user for g in groups for user, role in self.members[g].items() if role == "subscriber"}

    def has_administrator(self, members: dict[str, dict[str, str]], group: str) -> bool:
        return any(
            roles.BUILT_IN[role].allows(roles.UPDATE_MEMBER)
            for g in self.chain(group)
            for role in members[g].values()
        )

    def attempt(self, label: str, call: Any, decisive: type[GroupkitError] | None, errors: set[Any]) -> Any:
        """Run `call`; it must raise `decisive` if set, else one of `errors`, else succeed."""
        allowed = {decisive} if decisive else errors
        before = self.store.export()
        try:
            result = call()
        except GroupkitError as error:
            assert allowed, f"{label}: expected success, got {error!r}"
            assert type(error) in allowed, f"{label}: expected one of {allowed}, got {error!r}"
            assert self.store.export() == before, f"{label}: a refused operation changed the state"
            self.outcomes[f"{label}:{type(error).__name__}"] += 1
            return FAILED
        assert not allowed, f"{label}: expected one of {allowed}, but it succeeded"
        self.outcomes[f"{label}:ok"] += 1
        return result

    def pick_actor(self, data: st.DataObject, group: str | None, permission: str = roles.READ) -> str:
        """A fixture user, most often one whose role in `group` allows `permission` or who has a role
        there (so that rules get past the access check), else anyone."""
        choices = st.sampled_from(ACTORS)
        if group is not None:
            insiders = [a for a in ACTORS if self.effective(a, group) is not None]
            capable = [a for a in insiders if self.access(a, group, permission) is None]
            if insiders:
                choices = st.sampled_from(insiders) | choices
            if capable:
                choices = st.sampled_from(capable) | choices
        return data.draw(choices, label="actor")

    def pick_key_type(self, data: st.DataObject, group: str, kind: str) -> str:
        """Often the type of one of the group's keys, in some letter case; else `kind`."""
        existing = sorted(t for g, t in self.keys if g == group)
        if not existing or not data.draw(st.booleans(), label="existing type"):
            return kind
        chosen = data.draw(st.sampled_from(existing), label="type")
        return data.draw(st.sampled_from([chosen, chosen.upper(), chosen.title()]), label="case")

    def pick_member(self, data: st.DataObject, group: str, actor: str, others: st.SearchStrategy[Any]) -> Any:
        """Most often a direct member of `group` or the actor, else anything from `others`."""
        direct = list(self.members.get(group, {}))
        near = st.sampled_from([*direct, actor])
        return data.draw(near | st.just(actor) | others, label="member")

    # ------------------------------------------------------------- bundles

    @initialize(target=groups)
    def seed_groups(self) -> Any:
        return multiple(*self.order, GHOST_GROUP)

    @initialize(target=users)
    def seed_users(self) -> Any:
        return multiple(*self.emails.values(), GHOST_USER)

    @initialize(target=key_types)
    def seed_key_types(self) -> Any:
        return multiple("SIGFOX", "sigfox", "TTI", "Loriot")

    @rule(target=key_types, kind=st.text(alphabet="abXY", min_size=1, max_size=3))
    def new_key_type(self, kind: str) -> str:
        return kind

    # ------------------------------------------------------------- groups

    @rule(
        target=groups, data=st.data(), name=names, tags=st.lists(names, max_size=2), parent=st.none() | groups
    )
    def create_group(self, data: st.DataObject, name: str, tags: list[str], parent: str | None) -> Any:
        return self.make_group(self.pick_actor(data, parent, roles.CREATE_SUBGROUP), name, tags, parent)

    @initialize(target=groups, actor=st.sampled_from(ACTORS))
    def own_group(self, actor: str) -> Any:
        """Every run starts with one top-level group whose creator is its only administrator."""
        return self.make_group(actor, "Own", [], None)

    def make_group(self, actor: str, name: str, tags: list[str], parent: str | None) -> Any:
        decisive = None if parent is None else self.access(actor, parent, roles.CREATE_SUBGROUP)
        created = self.attempt(
            "create_group",
            lambda: self.store.create_group(actor, name=name, tags=tags, parent_id=parent),
            decisive,
            set(),
        )
        if created is FAILED:
            return multiple()
        group = created.group.id
        assert group not in self.parent
        assert created.group.owner_id == actor
        assert created.group.parent == parent
        self.order.append(group)
        self.parent[group] = parent
        self.meta[group] = {
            "name": name,
            "description": None,
            "tags": tags,
            "ownerId": actor,
            "defaultRole": "viewer",
        }
        self.members[group] = {actor: "administrator"}
        assert created.role.id == self.effective(actor, group)
        return group

    @rule(
        data=st.data(),
        group=groups,
        changes=st.fixed_dictionaries(
            {},
            optional={
                "name": names,
                "description": names,
                "tags": st.lists(names, max_size=2),
                "ownerId": users,
                "roleId": st.sampled_from(ROLE_IDS),
                "parent": groups,
            },
        ),
    )
    def update_group(self, data: st.DataObject, group: str, changes: dict[str, Any]) -> None:
        self.change_group(self.pick_actor(data, group, roles.UPDATE), group, changes)

    @rule(data=st.data(), group=groups, elsewhere=groups)
    def move_group(self, data: st.DataObject, group: str, elsewhere: str) -> None:
        """A move alone, often within the group's own line: under itself, a descendant or an ancestor."""
        actor = self.pick_actor(data, group, roles.UPDATE)
        line = sorted(self.subtree(group) | set(self.chain(group))) if group in self.parent else []
        parent = data.draw(st.sampled_from([*line, elsewhere]), label="parent")
        self.change_group(actor, group, {"parent": parent})

    @rule(data=st.data(), group=groups)
    def move_group_elsewhere(self, data: st.DataObject, group: str) -> None:
        """A move by someone who may change the group, under a group outside its line where they may
        create sub-groups: across subscriptions, or out of one (the move rule's cases)."""
        actor = self.pick_actor(data, group, roles.UPDATE)
        line = set(self.subtree(group)) | set(self.chain(group)) if group in self.parent else set()
        targets = [
            g for g in self.order if g not in line and self.access(actor, g, roles.CREATE_SUBGROUP) is None
        ]
        if targets:
            self.change_group(actor, group, {"parent": data.draw(st.sampled_from(targets), label="parent")})

    def change_group(self, actor: str, group: str, changes: dict[str, Any]) -> None:
        decisive = self.access(actor, group, roles.UPDATE)
        errors: set[Any] = set()
        if decisive is None:
            if "ownerId" in changes and self.effective(changes["ownerId"], group) is None:
                errors.add(NotFound)
            if "roleId" in changes and changes["roleId"] not in RANK:
                errors.add(NotFound)
            new_parent = changes.get("parent")
            if new_parent is not None and new_parent != self.parent[group]:
                refused = self.access(actor, new_parent, roles.CREATE_SUBGROUP)
                if refused:
                    errors.add(refused)
                elif new_parent in self.subtree(group):
                    errors.add(Conflict)
                elif not self.subscribers(self.chain(group)[1:]) <= (
                    self.subscribers(self.chain(new_parent)) | self.subscribers([group])
                ):
                    errors.add(Forbidden)  # the move rule: a move keeps the group's Subscribers
        shown = self.attempt(
            "update_group",
            lambda: self.store.update_group(
                actor, group, GroupChanges(**{DOMAIN[k]: v for k, v in changes.items()})
            ),
            decisive,
            errors,
        )
        if shown is FAILED:
            return
        if "parent" in changes:
            self.parent[group] = changes["parent"]
        for key, field in (("name", "name"), ("description", "description"), ("tags", "tags")):
            if key in changes:
                self.meta[group][field] = changes[key]
        if "ownerId" in changes:
            self.meta[group]["ownerId"] = changes["ownerId"]
        if "roleId" in changes:
            self.meta[group]["defaultRole"] = changes["roleId"]
        assert shown.role.id == self.effective(actor, group)

    # ------------------------------------------------------------- members

    @rule(
        target=users,
        data=st.data(),
        group=groups,
        email=st.sampled_from(EMAILS),
        role=st.sampled_from(ROLE_IDS),
    )
    def invite(self, data: st.DataObject, group: str, email: str, role: str) -> Any:
        actor = self.pick_actor(data, group, roles.INVITE)
        decisive = self.access(actor, group, roles.INVITE)
        errors: set[Any] = set()
        known = self.emails.get(email.lower())
        if decisive is None:
            mine = self.effective(actor, group)
            assert mine is not None
            if role not in RANK:
                errors.add(NotFound)
            elif role == "subscriber" or RANK[role] > RANK[mine]:
                errors.add(Forbidden)
            if known is not None and known in self.members[group]:
                errors.add(Conflict)
        relation = self.attempt(
            "invite", lambda: self.store.invite(actor, group, email, role), decisive, errors
        )
        if relation is FAILED:
            return multiple()
        invitee = relation.user_id
        assert relation.group.id == group
        assert relation.role.id == role
        self.members[group][invitee] = role
        if known is None:
            assert invitee not in self.emails.values()
            self.emails[email.lower()] = invitee
            exported = next(u for u in self.store.export()["users"] if u["id"] == invitee)
            assert exported["email"] == email
            assert "token" not in exported  # a pending user
            return invitee
        assert invitee == known
        return multiple()

    @rule(data=st.data(), group=groups, role=st.sampled_from(ROLE_IDS))
    def update_member(self, data: st.DataObject, group: str, role: str) -> None:
        actor = self.pick_actor(data, group, roles.UPDATE_MEMBER)
        self.change_member(actor, group, self.pick_member(data, group, actor, self.users), role)

    @rule(data=st.data(), group=groups, role=st.sampled_from(["installer", "viewer"]))
    def step_down(self, data: st.DataObject, group: str, role: str) -> None:
        """A direct administrator demotes themselves (a conflict when they are the last one)."""
        admins = [a for a in ACTORS if self.members.get(group, {}).get(a) == "administrator"]
        choices = st.sampled_from(ACTORS)
        actor = data.draw(st.sampled_from(admins) | choices if admins else choices, label="actor")
        self.change_member(actor, group, actor, role)

    def change_member(self, actor: str, group: str, member: str, role: str) -> None:
        decisive = self.access(actor, group, roles.UPDATE_MEMBER)
        errors: set[Any] = set()
        if decisive is None:
            mine = self.effective(actor, group)
            assert mine is not None
            current = self.members[group].get(member)
            if current is None:
                errors.add(NotFound)
            if role not in RANK:
                errors.add(NotFound)
            elif role == "subscriber" or RANK[role] > RANK[mine]:
                errors.add(Forbidden)
            if current is not None and (current == "subscriber" or RANK[current] > RANK[mine]):
                errors.add(Forbidden)
            if not errors:
                after = {g: dict(m) for g, m in self.members.items()}
                after[group][member] = role
                if not self.has_administrator(after, group):
                    errors.add(Conflict)
        relation = self.attempt(
            "update_member", lambda: self.store.update_member(actor, group, member, role), decisive, errors
        )
        if relation is FAILED:
            return
        assert relation.user_id == member
        assert relation.role.id == role
        self.members[group][member] = role

    @rule(data=st.data(), group=groups)
    def remove_member(self, data: st.DataObject, group: str) -> None:
        actor = self.pick_actor(data, group, roles.REMOVE_MEMBER)
        self.remove(actor, group, self.pick_member(data, group, actor, st.none() | self.users))

    @rule(data=st.data(), group=groups, with_id=st.booleans())
    def leave_group(self, data: st.DataObject, group: str, with_id: bool) -> None:
        """Leaving, most often by a direct member (of any role), with or without their own user id."""
        direct = [a for a in ACTORS if a in self.members.get(group, {})]
        choices = st.sampled_from(ACTORS)
        actor = data.draw(st.sampled_from(direct) | choices if direct else choices, label="actor")
        self.remove(actor, group, actor if with_id else None)

    def remove(self, actor: str, group: str, member: str | None) -> None:
        leaving = member is None or member == actor
        decisive = self.access(actor, group, roles.READ if leaving else roles.REMOVE_MEMBER)
        errors: set[Any] = set()
        target = actor if member is None else member
        if decisive is None:
            mine = self.effective(actor, group)
            assert mine is not None
            current = self.members[group].get(target)
            if current is None:
                errors.add(NotFound)
            elif current == "subscriber":
                errors.add(Forbidden)
            elif not leaving and RANK[current] > RANK[mine]:
                errors.add(Forbidden)
            if not errors:
                after = {g: dict(m) for g, m in self.members.items()}
                del after[group][target]
                if not self.has_administrator(after, group):
                    errors.add(Conflict)
        message = self.attempt(
            "leave" if leaving else "remove_member",
            lambda: self.store.remove_member(actor, group, member),
            decisive,
            errors,
        )
        if message is FAILED:
            return
        assert message is (Removal.LEFT if leaving else Removal.REMOVED)
        del self.members[group][target]

    # ------------------------------------------------------------- API keys

    @rule(data=st.data(), group=groups, kind=key_types, name=names, token=names)
    def create_api_key(self, data: st.DataObject, group: str, kind: str, name: str, token: str) -> None:
        actor = self.pick_actor(data, group, roles.WRITE_KEYS)
        kind = self.pick_key_type(data, group, kind)
        decisive = self.access(actor, group, roles.WRITE_KEYS)
        errors = {Conflict} if (group, kind.lower()) in self.keys else set()
        created = self.attempt(
            "create_api_key",
            lambda: self.store.create_api_key(actor, group, kind, name, token),
            decisive,
            errors,
        )
        if created is FAILED:
            return
        assert (created.group_id, created.type, created.name, created.token) == (group, kind, name, token)
        self.keys[(group, kind.lower())] = {"type": kind, "name": name, "token": token}
        self.deleted.discard((group, kind.lower()))

    @rule(
        data=st.data(),
        group=groups,
        kind=key_types,
        fields=st.fixed_dictionaries({}, optional={"name": names, "token": names}),
    )
    def update_api_key(self, data: st.DataObject, group: str, kind: str, fields: dict[str, str]) -> None:
        actor = self.pick_actor(data, group, roles.WRITE_KEYS)
        kind = self.pick_key_type(data, group, kind)
        decisive = self.access(actor, group, roles.WRITE_KEYS)
        errors = set() if (group, kind.lower()) in self.keys else {NotFound}
        updated = self.attempt(
            "update_api_key",
            lambda: self.store.update_api_key(actor, group, kind, **fields),
            decisive,
            errors,
        )
        if updated is FAILED:
            return
        key = self.keys[(group, kind.lower())]
        key.update(fields)
        assert {k: getattr(updated, k) for k in key} == key

    @rule(data=st.data(), group=groups, kind=key_types)
    def delete_api_key(self, data: st.DataObject, group: str, kind: str) -> None:
        actor = self.pick_actor(data, group, roles.WRITE_KEYS)
        kind = self.pick_key_type(data, group, kind)
        decisive = self.access(actor, group, roles.WRITE_KEYS)
        errors = set() if (group, kind.lower()) in self.keys else {NotFound}
        done = self.attempt(
            "delete_api_key", lambda: self.store.delete_api_key(actor, group, kind), decisive, errors
        )
        if done is FAILED:
            return
        del self.keys[(group, kind.lower())]
        self.deleted.add((group, kind.lower()))

    # ------------------------------------------------------------- invariants

    def walk(self, fetch: Any, limit: int) -> list[Any]:
        items: list[Any] = []
        token = None
        for _ in range(1000):
            page = fetch(limit, token)
            assert len(page.items) <= limit
            assert page.items or token is None, "a nextToken led to an empty page"
            items.extend(page.items)
            if page.next_token is None:
                return items
            assert len(page.items) == limit
            token = page.next_token
        raise AssertionError("nextToken never ran out")

    def someone_in(self, group: str) -> str:
        return next(u for u in self.emails.values() if self.effective(u, group) is not None)

    @invariant()
    def state_matches_the_model(self) -> None:
        world = self.store.export()
        assert [g["id"] for g in world["groups"]] == self.order
        for g in world["groups"]:
            assert g["parent"] == self.parent[g["id"]]
            assert {k: g[k] for k in self.meta[g["id"]]} == self.meta[g["id"]], g["id"]
        assert {u["email"].lower(): u["id"] for u in world["users"]} == self.emails
        assert {u["id"] for u in world["users"] if u.get("token")} == set(ACTORS)
        exported_members: dict[str, dict[str, str]] = {g: {} for g in self.order}
        for m in world["memberships"]:
            exported_members[m["groupId"]][m["userId"]] = m["roleId"]
        assert exported_members == self.members

    @invariant()
    def group_users_are_the_direct_members(self) -> None:
        for group in self.order:
            viewer = self.someone_in(group)
            listed = self.walk(lambda n, t, v=viewer, g=group: self.store.list_group_users(v, g, n, t), 3)
            assert [(m.user.id, m.role.id) for m in listed] == list(self.members[group].items())
            assert len(listed) == len(self.members[group])

    @invariant()
    def counts_match_the_lists(self) -> None:
        for group in self.order:
            viewer = self.someone_in(group)
            shown = self.store.get_group(viewer, group)
            devices = self.walk(lambda n, t, v=viewer, g=group: self.store.list_group_devices(v, g, n, t), 5)
            assert [d.device_id for d in devices] == DEVICES.get(group, [])
            assert shown.device_count == len(devices)
            assert shown.connector_count == CONNECTORS[group]
            assert shown.notification_count == NOTIFICATIONS[group]

    @invariant()
    def every_group_has_a_reachable_administrator(self) -> None:
        world = self.store.export()
        parent = {g["id"]: g["parent"] for g in world["groups"]}
        admins = {
            m["groupId"] for m in world["memberships"] if m["roleId"] in ("subscriber", "administrator")
        }
        for group in parent:
            node: str | None = group
            seen = set()
            while node is not None and node not in admins:
                assert node not in seen, f"cycle of parents through {node}"
                seen.add(node)
                node = parent[node]
            assert node is not None, f"group {group} has no administrator in it or above"

    @invariant()
    def api_keys_match_the_model(self) -> None:
        exported = {
            (k["groupId"], k["type"].lower()): {"type": k["type"], "name": k["name"], "token": k["token"]}
            for k in self.store.export()["apiKeys"]
        }
        assert exported == self.keys
        assert not self.deleted & set(exported), "a deleted key came back"

    @invariant()
    def user_groups_walk_with_a_small_limit_is_complete(self) -> None:
        for actor in ACTORS:
            listed = self.walk(lambda n, t, a=actor: self.store.list_user_groups(a, n, t), 3)
            ids = [g.group.id for g in listed]
            assert len(ids) == len(set(ids)), "a group was listed twice"
            assert ids == [g for g in self.order if self.effective(actor, g) is not None]
            assert all(g.role.id == self.effective(actor, g.group.id) for g in listed)

    @invariant()
    def get_group_needs_an_effective_role(self) -> None:
        for actor in ACTORS:
            for group in [*self.order, GHOST_GROUP]:
                role = self.effective(actor, group)
                try:
                    shown = self.store.get_group(actor, group)
                except NotFound:
                    assert role is None, f"{actor} has {role} in {group} but gets NotFound"
                else:
                    assert role is not None, f"{actor} sees {group} without an effective role"
                    assert shown.role.id == role

    @precondition(lambda self: len(self.order) > len(DEFAULT_WORLD["groups"]) or self.outcomes)
    @invariant()
    def export_round_trips(self) -> None:
        world = self.store.export()
        assert Store.from_world(copy.deepcopy(world)).export() == world


class SplitStoreMachine(StoreMachine):
    """The machine over two replicas of one Redis world (`SplitReplicas`): writes on one, reads on the other."""

    @invariant()
    def the_replicas_agree(self) -> None:
        split: Any = self.store
        assert isinstance(split, SplitReplicas)
        assert split.writer.index == split.reader.index, "the reader did not catch up with the log"
        assert split.writer.store.snapshot() == split.reader.store.snapshot()


def budget(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# Every variant takes seconds of hypothesis steps: CI runs them, the fast loop does not. A Redis example costs
# about what a memory one does (reads run on the replica; a write adds a round trip), so the Redis variants'
# smaller budgets are for the whole suite's time, not because they are slow.
@pytest.mark.slow
def test_the_store_follows_the_model_in_memory() -> None:
    run_state_machine_as_test(StoreMachine, settings=budget(60))


@pytest.mark.slow
def test_the_store_follows_the_model_on_redis(redis_worlds: RedisWorlds) -> None:
    run_state_machine_as_test(lambda: StoreMachine(redis_worlds.store), settings=budget(20))


@pytest.mark.slow
def test_two_replicas_follow_the_model_on_redis(redis_worlds: RedisWorlds) -> None:
    """Writes on one replica, reads on a second one after `sync()`: the reader answers what the model
    predicts, and both replicas hold the same snapshot after every step."""
    run_state_machine_as_test(lambda: SplitStoreMachine(redis_worlds.split), settings=budget(20))
