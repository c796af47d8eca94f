"""Unit tests of the store's domain rules, on the default world (see fixtures/default.json), over both
backends (the `store` and `make_store` fixtures: a plain `Store`, and a Redis replica, tests/backends.py).

Who is who in the default world (direct memberships; permissions trickle down to sub-groups):

    ACME Logistics                  Alice subscriber, Bruno administrator, Dan viewer
    ├── ACME Lyon Warehouse         Chloé installer
    └── ACME Rotterdam Port         Hiro viewer (pending user, no token)
        └── Rotterdam Reefer Fleet
    Nordic Cold Chain               Eva subscriber
    └── Nordic Oslo Depot           Giulia administrator
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pytest

from groupkit import wire
from groupkit import world as worlds
from groupkit.errors import BadRequest, Conflict, Forbidden, GroupkitError, NotFound
from groupkit.model import ApiKey, Device, GroupChanges, GroupView, Member, Removal
from groupkit.pagination import Page
from groupkit.roles import Role
from groupkit.store import Store
from tests.backends import StoreFactory
from tests.conftest import DEFAULT_WORLD, group_id, user_id

ACME = "ACME Logistics"
LYON = "ACME Lyon Warehouse"
ROTTERDAM = "ACME Rotterdam Port"
REEFER = "Rotterdam Reefer Fleet"
NORDIC = "Nordic Cold Chain"
OSLO = "Nordic Oslo Depot"
GROUPS = (ACME, LYON, ROTTERDAM, REEFER, NORDIC, OSLO)
ACME_TREE = (ACME, LYON, ROTTERDAM, REEFER)
PEOPLE = ("alice", "bruno", "chlo", "dan", "eva", "giulia", "hiro")
UNKNOWN_GROUP = "00000000-0000-4000-8000-000000000000"
TODAY = "2026-11-25"

# Effective role of each fixture user in each fixture group (None: the group does not exist for them).
EFFECTIVE: dict[str, dict[str, str | None]] = {
    "alice": {ACME: "subscriber", LYON: "subscriber", ROTTERDAM: "subscriber", REEFER: "subscriber"},
    "bruno": {
        ACME: "administrator",
        LYON: "administrator",
        ROTTERDAM: "administrator",
        REEFER: "administrator",
    },
    "chlo": {LYON: "installer"},
    "dan": {ACME: "viewer", LYON: "viewer", ROTTERDAM: "viewer", REEFER: "viewer"},
    "eva": {NORDIC: "subscriber", OSLO: "subscriber"},
    "giulia": {OSLO: "administrator"},
    "hiro": {ROTTERDAM: "viewer", REEFER: "viewer"},
}


def uid(name: str) -> str:
    return user_id(DEFAULT_WORLD, name)


def gid(name: str) -> str:
    return UNKNOWN_GROUP if name == "unknown" else group_id(DEFAULT_WORLD, name)


def walk(fetch: Callable[[int, str | None], Page[Any]], limit: int) -> list[Any]:
    """Every item of a list, following nextToken; checks the page-size and last-page rules on the way."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(10_000):
        page = fetch(limit, token)
        assert len(page.items) <= limit
        assert page.items or token is None, "a nextToken led to an empty page"
        items.extend(page.items)
        if page.next_token is None:
            return items
        assert page.items, "a page that announces more items must not be empty"
        token = page.next_token
    raise AssertionError("nextToken never ran out")


def member_ids(store: Store, group: str) -> list[str]:
    return list(member_roles(store, group))


def member_roles(store: Store, group: str) -> dict[str, str]:
    """The direct members of a fixture group and their roles, in list order (walked as its admin)."""
    caller = uid(admin_of(group))
    users = walk(lambda n, t: store.list_group_users(caller, gid(group), n, t), 100)
    return {m.user.id: m.role.id for m in users}


def world_group(store: Store, group_id_: str) -> dict[str, Any]:
    return next(g for g in store.export()["groups"] if g["id"] == group_id_)


def api_keys(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    return {(k["groupId"], k["type"].lower()): k for k in store.export()["apiKeys"]}


def admin_of(group: str) -> str:
    """A fixture user who administers `group` (directly or through a parent)."""
    return "eva" if group in (NORDIC, OSLO) else "alice"


# ----------------------------------------------------------------- effective roles


@pytest.mark.parametrize(
    ("person", "group"),
    [pytest.param(p, g, id=f"{p}-{g}") for p in PEOPLE for g in GROUPS],
)
def test_effective_role_of_fixture_users(store: Store, person: str, group: str) -> None:
    expected = EFFECTIVE[person].get(group)
    role = store.effective_role(uid(person), gid(group))
    assert (role.id if role else None) == expected
    if expected is None:
        with pytest.raises(NotFound):
            store.get_group(uid(person), gid(group))
    else:
        shown = store.get_group(uid(person), gid(group))
        assert shown.role.id == expected
        assert shown.viewer_id == uid(person)
        assert shown.group.id == gid(group)


@pytest.mark.parametrize(
    ("person", "group", "role", "expected"),
    [
        # A lower direct role below an inherited higher one: the highest wins.
        pytest.param(
            "bruno", LYON, "viewer", {ACME: "administrator", LYON: "administrator"}, id="lower-below"
        ),
        # A higher direct role in a sub-group: it wins there and below, not above or beside.
        pytest.param(
            "dan",
            ROTTERDAM,
            "installer",
            {ACME: "viewer", LYON: "viewer", ROTTERDAM: "installer", REEFER: "installer"},
            id="higher-below",
        ),
        pytest.param(
            "chlo",
            ACME,
            "administrator",
            {ACME: "administrator", LYON: "administrator", ROTTERDAM: "administrator"},
            id="higher-above",
        ),
        pytest.param(
            "hiro", ACME, "viewer", {ACME: "viewer", LYON: "viewer", ROTTERDAM: "viewer"}, id="equal-above"
        ),
        pytest.param("hiro", REEFER, "installer", {ROTTERDAM: "viewer", REEFER: "installer"}, id="leaf"),
    ],
)
def test_effective_role_is_the_highest_along_the_ancestors(
    store: Store, person: str, group: str, role: str, expected: dict[str, str]
) -> None:
    store.invite(uid("alice"), gid(group), DEFAULT_WORLD["users"][PEOPLE.index(person)]["email"], role)
    for name, role_id in expected.items():
        assert store.get_group(uid(person), gid(name)).role.id == role_id, name


def test_list_user_groups_is_every_group_with_an_effective_role(store: Store) -> None:
    for person in PEOPLE:
        listed = walk(lambda n, t, p=person: store.list_user_groups(uid(p), n, t), 100)
        expected = [gid(g) for g in GROUPS if EFFECTIVE[person].get(g)]
        assert [g.group.id for g in listed] == expected, person
        assert {g.group.id: g.role.id for g in listed} == {
            gid(g): r for g, r in EFFECTIVE[person].items() if r
        }


# ----------------------------------------------------------------- invisibility and permissions


def _setup(store: Store, group: str) -> dict[str, str]:
    """Make every operation below meaningful in `group`: a viewer peer to act on and a LORIOT key."""
    if group == "unknown":
        return {"peer": uid("dan"), "key": "SIGFOX"}
    admin = uid(admin_of(group))
    peer = store.invite(admin, gid(group), "peer@example.test", "viewer").user_id
    store.create_api_key(admin, gid(group), "LORIOT", "LNS", "abc")
    return {"peer": peer, "key": "LORIOT"}


Op = Callable[[Store, str, str, dict[str, str]], Any]

READS: dict[str, Op] = {
    "get_group": lambda s, c, g, x: s.get_group(c, g),
    "list_group_devices": lambda s, c, g, x: s.list_group_devices(c, g, 20, None),
    "list_group_users": lambda s, c, g, x: s.list_group_users(c, g, 20, None),
}
WRITES: dict[str, Op] = {
    "update_group": lambda s, c, g, x: s.update_group(c, g, GroupChanges(name="Renamed")),
    "create_sub_group": lambda s, c, g, x: s.create_group(c, name="Child", parent_id=g),
    "create_api_key": lambda s, c, g, x: s.create_api_key(c, g, "ACTILITY", "n", "t"),
    "update_api_key": lambda s, c, g, x: s.update_api_key(c, g, x["key"], name="n"),
    "delete_api_key": lambda s, c, g, x: s.delete_api_key(c, g, x["key"]),
    "invite": lambda s, c, g, x: s.invite(c, g, "someone.new@example.test", "viewer"),
    "invite_known": lambda s, c, g, x: s.invite(c, g, "eva.lindqvist@nordic-coldchain.example", "viewer"),
    "update_member": lambda s, c, g, x: s.update_member(c, g, x["peer"], "installer"),
    "remove_member": lambda s, c, g, x: s.remove_member(c, g, x["peer"]),
}
LEAVE: dict[str, Op] = {"leave": lambda s, c, g, x: s.remove_member(c, g, None)}
ALL_OPS = {**READS, **WRITES, **LEAVE}


@pytest.mark.parametrize("op", [pytest.param(op, id=name) for name, op in ALL_OPS.items()])
@pytest.mark.parametrize(
    ("person", "group"),
    [
        *(pytest.param("eva", g, id=f"eva-{g}") for g in ACME_TREE),
        pytest.param("giulia", NORDIC, id="giulia-parent-of-her-group"),
        pytest.param("hiro", ACME, id="hiro-parent-of-his-group"),
        pytest.param("hiro", LYON, id="hiro-sibling-of-his-group"),
        pytest.param("chlo", ROTTERDAM, id="chloe-sibling-of-her-group"),
        pytest.param("alice", OSLO, id="alice-other-tenant"),
        pytest.param("alice", "unknown", id="alice-unknown-group"),
    ],
)
def test_a_group_without_an_effective_role_is_not_found(
    store: Store, person: str, group: str, op: Op
) -> None:
    context = _setup(store, group)
    before = store.export()
    with pytest.raises(NotFound):
        op(store, uid(person), gid(group), context)
    assert store.export() == before


VIEWERS_AND_INSTALLERS = [
    *(pytest.param("dan", g, id=f"dan-viewer-{g}") for g in ACME_TREE),
    pytest.param("hiro", ROTTERDAM, id="hiro-viewer-direct"),
    pytest.param("hiro", REEFER, id="hiro-viewer-inherited"),
    pytest.param("chlo", LYON, id="chloe-installer"),
]


@pytest.mark.parametrize("op", [pytest.param(op, id=name) for name, op in WRITES.items()])
@pytest.mark.parametrize(("person", "group"), VIEWERS_AND_INSTALLERS)
def test_viewers_and_installers_cannot_change_anything(store: Store, person: str, group: str, op: Op) -> None:
    context = _setup(store, group)
    before = store.export()
    with pytest.raises(Forbidden):
        op(store, uid(person), gid(group), context)
    assert store.export() == before


@pytest.mark.parametrize("op", [pytest.param(op, id=name) for name, op in READS.items()])
@pytest.mark.parametrize(("person", "group"), VIEWERS_AND_INSTALLERS)
def test_viewers_and_installers_can_read(store: Store, person: str, group: str, op: Op) -> None:
    context = _setup(store, group)
    before = store.export()
    result = op(store, uid(person), gid(group), context)
    # They see exactly what the group's administrator sees (bar `userId` and `role` of a group).
    expected = op(store, uid(admin_of(group)), gid(group), context)
    if isinstance(result, Page):
        assert result.items
        assert result == expected
    else:
        assert result.role.id == EFFECTIVE[person][group]
        assert result.viewer_id == uid(person)
        assert replace(result, viewer_id=expected.viewer_id, role=expected.role) == expected
    assert store.export() == before


@pytest.mark.parametrize("op", [pytest.param(op, id=name) for name, op in WRITES.items()])
@pytest.mark.parametrize(
    ("person", "group"),
    [
        pytest.param("alice", LYON, id="subscriber-inherited"),
        pytest.param("bruno", ACME, id="administrator-direct"),
        pytest.param("bruno", REEFER, id="administrator-inherited"),
        pytest.param("giulia", OSLO, id="administrator-other-tenant"),
    ],
)
def test_administrators_can_do_each_write(store: Store, person: str, group: str, op: Op) -> None:
    context = _setup(store, group)
    before = store.export()
    op(store, uid(person), gid(group), context)
    assert store.export() != before


# ----------------------------------------------------------------- creating groups


def test_creator_of_a_top_level_group_is_its_administrator_and_owner(store: Store) -> None:
    created = store.create_group(uid("dan"), name="Dan's lab", description="d", tags=["x"])
    group = created.group
    assert group.owner_id == uid("dan")
    assert created.role.id == "administrator"
    assert group.created_by == group.updated_by == uid("dan")
    assert group.created_at == group.updated_at == TODAY
    assert group.parent is None
    assert created.device_count == 0
    users = store.list_group_users(uid("dan"), group.id, 20, None)
    assert [(m.user.id, m.role.id) for m in users.items] == [(uid("dan"), "administrator")]
    assert store.get_group(uid("dan"), group.id) == created
    assert world_group(store, group.id)["tags"] == ["x"]
    for other in ("alice", "bruno", "eva"):
        with pytest.raises(NotFound):
            store.get_group(uid(other), group.id)


@pytest.mark.parametrize(
    ("person", "parent", "effective"),
    [
        pytest.param("alice", ACME, "subscriber", id="subscriber-direct"),
        pytest.param("alice", REEFER, "subscriber", id="subscriber-inherited"),
        pytest.param("bruno", LYON, "administrator", id="administrator-inherited"),
        pytest.param("giulia", OSLO, "administrator", id="administrator-direct"),
    ],
)
def test_create_sub_group(store: Store, person: str, parent: str, effective: str) -> None:
    parent_members = member_roles(store, parent)
    created = store.create_group(uid(person), name="Child", parent_id=gid(parent))
    assert created.group.parent == gid(parent)
    assert created.group.owner_id == uid(person)
    assert created.role.id == effective
    assert member_roles(store, parent) == parent_members  # the parent's members are untouched
    users = store.list_group_users(uid(person), created.group.id, 20, None).items
    assert [(m.user.id, m.role.id) for m in users] == [(uid(person), "administrator")]
    # Everyone who sees the parent sees the child, with the same effective role.
    for other in PEOPLE:
        role = EFFECTIVE[other].get(parent)
        if other == person:
            continue
        if role is None:
            with pytest.raises(NotFound):
                store.get_group(uid(other), created.group.id)
        else:
            assert store.get_group(uid(other), created.group.id).role.id == role


@pytest.mark.parametrize(
    ("person", "parent", "error"),
    [
        pytest.param("dan", ACME, Forbidden, id="viewer"),
        pytest.param("chlo", LYON, Forbidden, id="installer"),
        pytest.param("giulia", NORDIC, NotFound, id="hidden-parent"),
        pytest.param("alice", "unknown", NotFound, id="unknown-parent"),
    ],
)
def test_create_sub_group_needs_group_create_on_the_parent(
    store: Store, person: str, parent: str, error: type[GroupkitError]
) -> None:
    before = store.export()
    with pytest.raises(error):
        store.create_group(uid(person), name="Child", parent_id=gid(parent))
    assert store.export() == before


# ----------------------------------------------------------------- updating groups


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        pytest.param({"name": "New name"}, "name", "New name", id="name"),
        pytest.param({"description": "New description"}, "description", "New description", id="description"),
        pytest.param({"tags": ("a", "b")}, "tags", ["a", "b"], id="tags"),
        pytest.param({"default_role": "installer"}, "defaultRole", "installer", id="roleId"),
        pytest.param({"owner_id": "@bruno"}, "ownerId", "@bruno", id="ownerId-direct-member"),
        pytest.param({"owner_id": "@dan"}, "ownerId", "@dan", id="ownerId-member"),
    ],
)
def test_update_group_changes_only_the_fields_sent(
    store: Store, changes: dict[str, Any], field: str, value: Any
) -> None:
    def resolve(v: Any) -> Any:
        return uid(v[1:]) if isinstance(v, str) and v.startswith("@") else v

    changes = {k: resolve(v) for k, v in changes.items()}
    value = resolve(value)
    group = gid(ACME)
    before = world_group(store, group)
    assert before[field] != value
    shown = store.update_group(uid("bruno"), group, GroupChanges(**changes))
    after = world_group(store, group)
    assert after[field] == value
    assert after["updatedBy"] == uid("bruno")
    assert after["updatedAt"] == TODAY
    unchanged = {k: v for k, v in before.items() if k not in (field, "updatedBy", "updatedAt")}
    assert {k: after[k] for k in unchanged} == unchanged
    assert shown == store.get_group(uid("bruno"), group)
    # Nothing else in the world changed.
    others = [g for g in store.export()["groups"] if g["id"] != group]
    assert others == [g for g in DEFAULT_WORLD["groups"] if g["id"] != group]


def test_update_group_ownerid_inherited_member_is_accepted(store: Store) -> None:
    store.update_group(uid("alice"), gid(LYON), GroupChanges(owner_id=uid("dan")))
    assert world_group(store, gid(LYON))["ownerId"] == uid("dan")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"owner_id": "@eva"}, NotFound, id="owner-not-a-member"),
        pytest.param({"owner_id": "no-such-user"}, NotFound, id="owner-unknown"),
        pytest.param({"owner_id": "@chlo"}, NotFound, id="owner-member-of-a-sub-group-only"),
        pytest.param({"default_role": "owner"}, NotFound, id="unknown-role"),
        pytest.param({"parent_id": "$unknown"}, NotFound, id="unknown-parent"),
        pytest.param({"parent_id": "$" + NORDIC}, NotFound, id="hidden-parent"),
        pytest.param({"parent_id": "$" + ACME}, Conflict, id="under-itself"),
        pytest.param({"parent_id": "$" + REEFER}, Conflict, id="under-a-grandchild"),
        pytest.param({"parent_id": "$" + ROTTERDAM}, Conflict, id="under-a-child"),
        # Atomic: a valid change sent with an invalid one is not applied either.
        pytest.param(
            {"name": "X", "owner_id": "@bruno", "parent_id": "$" + REEFER}, Conflict, id="atomic-cycle"
        ),
        pytest.param({"name": "X", "tags": ("t",), "default_role": "boss"}, NotFound, id="atomic-role"),
        pytest.param({"name": "X", "owner_id": "@eva"}, NotFound, id="atomic-owner"),
    ],
)
def test_update_group_refusals_change_nothing(
    store: Store, changes: dict[str, Any], error: type[GroupkitError]
) -> None:
    def resolve(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("@"):
            return uid(v[1:])
        if isinstance(v, str) and v.startswith("$"):
            return gid(v[1:])
        return v

    before = store.export()
    with pytest.raises(error):
        store.update_group(
            uid("alice"), gid(ACME), GroupChanges(**{k: resolve(v) for k, v in changes.items()})
        )
    assert store.export() == before


def test_update_group_moves_a_group_and_its_permissions(store: Store) -> None:
    moved = store.update_group(uid("alice"), gid(REEFER), GroupChanges(parent_id=gid(LYON)))
    assert moved.group.parent == gid(LYON)
    assert world_group(store, gid(REEFER))["parent"] == gid(LYON)
    # Hiro saw it through Rotterdam; Chloé now sees it through Lyon.
    with pytest.raises(NotFound):
        store.get_group(uid("hiro"), gid(REEFER))
    assert store.get_group(uid("chlo"), gid(REEFER)).role.id == "installer"
    hiro_groups = walk(lambda n, t: store.list_user_groups(uid("hiro"), n, t), 10)
    assert [g.group.id for g in hiro_groups] == [gid(ROTTERDAM)]
    chloe_groups = walk(lambda n, t: store.list_user_groups(uid("chlo"), n, t), 10)
    assert sorted(g.group.id for g in chloe_groups) == sorted([gid(LYON), gid(REEFER)])
    # Moving back under a (former) descendant of the new parent is still a cycle check on the new tree.
    with pytest.raises(Conflict):
        store.update_group(uid("alice"), gid(LYON), GroupChanges(parent_id=gid(REEFER)))
    # The former parent is a legal parent again.
    store.update_group(uid("alice"), gid(REEFER), GroupChanges(parent_id=gid(ROTTERDAM)))
    assert store.get_group(uid("hiro"), gid(REEFER)).role.id == "viewer"


def test_update_group_moving_needs_group_create_on_the_new_parent(store: Store) -> None:
    # Giulia administers Oslo but is not a member of Nordic (nor of ACME).
    store.invite(uid("alice"), gid(LYON), "giulia.rossi@nordic-coldchain.example", "viewer")
    before = store.export()
    with pytest.raises(Forbidden):
        store.update_group(uid("giulia"), gid(OSLO), GroupChanges(parent_id=gid(LYON)))
    assert store.export() == before
    # Sending the current parent is not a move.
    store.update_group(uid("giulia"), gid(OSLO), GroupChanges(parent_id=gid(NORDIC), name="Oslo"))
    assert world_group(store, gid(OSLO))["parent"] == gid(NORDIC)


# ----------------------------------------------------------------- API keys


@pytest.mark.parametrize("kind", ["SIGFOX", "sigfox", "Sigfox", "sIgFoX"])
def test_one_api_key_per_type_case_insensitive(store: Store, kind: str) -> None:
    before = store.export()
    with pytest.raises(Conflict):
        store.create_api_key(uid("bruno"), gid(ACME), kind, "n", "t")
    assert store.export() == before


def test_create_api_key_returns_the_stored_key(store: Store) -> None:
    created = store.create_api_key(uid("bruno"), gid(ACME), "Tti", "TTI", "secret")
    assert created == ApiKey(
        group_id=gid(ACME),
        name="TTI",
        type="Tti",
        token="secret",
        created_by=uid("bruno"),
        updated_by=uid("bruno"),
        created_at=TODAY,
        updated_at=TODAY,
    )
    assert api_keys(store)[(gid(ACME), "tti")] == {
        "groupId": gid(ACME),
        "type": "Tti",
        "name": "TTI",
        "token": "secret",
        "createdBy": uid("bruno"),
        "updatedBy": uid("bruno"),
        "createdAt": TODAY,
        "updatedAt": TODAY,
    }
    with pytest.raises(Conflict):
        store.create_api_key(uid("bruno"), gid(ACME), "TTI", "TTI", "secret")
    # The same type in another group is another key.
    store.create_api_key(uid("bruno"), gid(LYON), "Tti", "TTI", "secret")
    assert (gid(LYON), "tti") in api_keys(store)


@pytest.mark.parametrize(
    ("body", "name", "token"),
    [
        pytest.param({"name": "Renamed"}, "Renamed", "1e1b477653709b7525a4def6", id="name-only"),
        pytest.param({"token": "new"}, "Sigfox backend (ACME contract)", "new", id="token-only"),
        pytest.param({"name": "R", "token": "n"}, "R", "n", id="both"),
        pytest.param({}, "Sigfox backend (ACME contract)", "1e1b477653709b7525a4def6", id="neither"),
    ],
)
@pytest.mark.parametrize("kind", ["SIGFOX", "sigfox"])
def test_update_api_key_changes_only_what_is_sent(
    store: Store, body: dict[str, str], name: str, token: str, kind: str
) -> None:
    updated = store.update_api_key(uid("bruno"), gid(ACME), kind, **body)
    assert (updated.name, updated.token, updated.type) == (name, token, "SIGFOX")
    assert updated.updated_by == uid("bruno")
    assert api_keys(store)[(gid(ACME), "sigfox")] == wire.api_key(updated)
    assert len(store.export()["apiKeys"]) == len(DEFAULT_WORLD["apiKeys"])


@pytest.mark.parametrize(
    ("group", "kind"),
    [
        pytest.param(ACME, "TTI", id="type-missing"),
        pytest.param(LYON, "SIGFOX", id="parent-key-is-not-inherited"),
    ],
)
def test_missing_api_key_is_not_found(store: Store, group: str, kind: str) -> None:
    before = store.export()
    with pytest.raises(NotFound):
        store.update_api_key(uid("alice"), gid(group), kind, name="x")
    with pytest.raises(NotFound):
        store.delete_api_key(uid("alice"), gid(group), kind)
    assert store.export() == before


def test_deleted_api_key_stays_deleted(store: Store) -> None:
    store.delete_api_key(uid("bruno"), gid(ACME), "sigfox")
    assert (gid(ACME), "sigfox") not in api_keys(store)
    after_delete = store.export()
    for kind in ("SIGFOX", "sigfox"):
        with pytest.raises(NotFound):
            store.delete_api_key(uid("bruno"), gid(ACME), kind)
        with pytest.raises(NotFound):
            store.update_api_key(uid("bruno"), gid(ACME), kind, token="x")
    assert store.export() == after_delete
    # Nordic's SIGFOX key is another key and is untouched.
    assert (gid(NORDIC), "sigfox") in api_keys(store)
    # A new key of the type can be created; it is new, not the old one back.
    created = store.create_api_key(uid("bruno"), gid(ACME), "sigfox", "again", "t2")
    assert api_keys(store)[(gid(ACME), "sigfox")] == wire.api_key(created)
    assert created.token == "t2"


# ----------------------------------------------------------------- invitations


def test_invite_unknown_email_creates_a_pending_user(store: Store) -> None:
    relation = store.invite(uid("bruno"), gid(LYON), "new.hire@acme-logistics.example", "installer")
    new_id = relation.user_id
    assert new_id not in {u["id"] for u in DEFAULT_WORLD["users"]}
    assert relation.group.id == gid(LYON)
    assert relation.role.id == "installer"
    assert relation.group.token == world_group(store, gid(LYON))["token"]
    exported = next(u for u in store.export()["users"] if u["id"] == new_id)
    assert exported["email"] == "new.hire@acme-logistics.example"
    assert "token" not in exported
    assert new_id not in {u.id for u in store.demo_users()}
    listed = store.list_group_users(uid("bruno"), gid(LYON), 20, None).items
    assert listed[-1].user.id == new_id
    assert listed[-1].user.email == "new.hire@acme-logistics.example"
    assert listed[-1].role.id == "installer"
    # The pending user now has an effective role like any member.
    assert store.get_group(new_id, gid(LYON)).role.id == "installer"
    # Inviting the same address elsewhere reuses the pending user.
    again = store.invite(uid("alice"), gid(ROTTERDAM), "NEW.HIRE@acme-logistics.example", "viewer")
    assert again.user_id == new_id
    assert len(store.export()["users"]) == len(DEFAULT_WORLD["users"]) + 1


def test_invite_known_email_any_case_reuses_the_user(store: Store) -> None:
    relation = store.invite(uid("eva"), gid(NORDIC), "ALICE.Martin@acme-logistics.example", "viewer")
    assert relation.user_id == uid("alice")
    assert len(store.export()["users"]) == len(DEFAULT_WORLD["users"])
    assert store.get_group(uid("alice"), gid(OSLO)).role.id == "viewer"


def test_invite_an_inherited_member_directly(store: Store) -> None:
    store.invite(uid("bruno"), gid(LYON), "dan.okafor@acme-logistics.example", "installer")
    assert member_roles(store, LYON)[uid("dan")] == "installer"
    assert store.get_group(uid("dan"), gid(LYON)).role.id == "installer"


@pytest.mark.parametrize(
    ("person", "group", "email", "role", "error"),
    [
        pytest.param("bruno", ACME, "dan.okafor@acme-logistics.example", "viewer", Conflict, id="member"),
        pytest.param(
            "bruno", ACME, "DAN.OKAFOR@acme-logistics.example", "viewer", Conflict, id="member-case"
        ),
        pytest.param("bruno", ACME, "bruno.keller@acme-logistics.example", "viewer", Conflict, id="self"),
        pytest.param("alice", ACME, "x@example.test", "subscriber", Forbidden, id="subscriber-role-by-sub"),
        pytest.param("bruno", ACME, "x@example.test", "subscriber", Forbidden, id="subscriber-role-by-admin"),
        pytest.param("giulia", OSLO, "x@example.test", "subscriber", Forbidden, id="above-own-rank"),
        pytest.param("bruno", ACME, "x@example.test", "owner", NotFound, id="unknown-role-new-email"),
        pytest.param(
            "bruno", ACME, "eva.lindqvist@nordic-coldchain.example", "boss", NotFound, id="unknown-role"
        ),
    ],
)
def test_invite_refusals_change_nothing(
    store: Store, person: str, group: str, email: str, role: str, error: type[GroupkitError]
) -> None:
    before = store.export()
    with pytest.raises(error):
        store.invite(uid(person), gid(group), email, role)
    assert store.export() == before  # in particular, no pending user was created


@pytest.mark.parametrize("role", ["administrator", "installer", "viewer"])
def test_administrator_invites_equal_or_lower_roles(store: Store, role: str) -> None:
    relation = store.invite(uid("giulia"), gid(OSLO), "x@example.test", role)
    assert relation.role.id == role
    assert member_roles(store, OSLO)[relation.user_id] == role


# ----------------------------------------------------------------- changing roles


@pytest.mark.parametrize(
    ("person", "group", "member", "role"),
    [
        pytest.param("bruno", ACME, "dan", "installer", id="admin-promotes-viewer"),
        pytest.param("bruno", ACME, "dan", "administrator", id="admin-grants-own-rank"),
        pytest.param("alice", ACME, "bruno", "viewer", id="subscriber-demotes-admin"),
        pytest.param("bruno", ACME, "bruno", "viewer", id="admin-demotes-self-subscriber-remains"),
        pytest.param("giulia", OSLO, "giulia", "viewer", id="admin-demotes-self-parent-subscriber"),
        pytest.param("bruno", LYON, "chlo", "viewer", id="inherited-admin"),
    ],
)
def test_update_member(store: Store, person: str, group: str, member: str, role: str) -> None:
    order = member_ids(store, group)
    relation = store.update_member(uid(person), gid(group), uid(member), role)
    assert relation.user_id == uid(member)
    assert relation.role.id == role
    assert member_roles(store, group)[uid(member)] == role
    assert member_ids(store, group) == order  # a role change does not move the member in the list


@pytest.mark.parametrize(
    ("person", "group", "member", "role", "error"),
    [
        pytest.param("bruno", ACME, "alice", "administrator", Forbidden, id="subscriber-by-admin"),
        pytest.param("alice", ACME, "alice", "administrator", Forbidden, id="subscriber-by-self"),
        pytest.param("alice", ACME, "dan", "subscriber", Forbidden, id="grant-subscriber"),
        pytest.param("giulia", OSLO, "giulia", "subscriber", Forbidden, id="grant-above-own-rank"),
        pytest.param("alice", ACME, "dan", "owner", NotFound, id="unknown-role"),
        pytest.param("alice", LYON, "dan", "installer", NotFound, id="inherited-only-member"),
        pytest.param("alice", ACME, "eva", "viewer", NotFound, id="not-a-member"),
        pytest.param("dan", ACME, "dan", "viewer", Forbidden, id="viewer-no-permission"),
    ],
)
def test_update_member_refusals_change_nothing(
    store: Store, person: str, group: str, member: str, role: str, error: type[GroupkitError]
) -> None:
    before = store.export()
    with pytest.raises(error):
        store.update_member(uid(person), gid(group), uid(member), role)
    assert store.export() == before


@pytest.mark.parametrize("role", ["installer", "viewer"])
def test_demoting_the_last_administrator_is_a_conflict(store: Store, role: str) -> None:
    group = store.create_group(uid("eva"), name="Eva's own").group.id
    store.invite(uid("eva"), group, "giulia.rossi@nordic-coldchain.example", "installer")
    before = store.export()
    with pytest.raises(Conflict):
        store.update_member(uid("eva"), group, uid("eva"), role)
    assert store.export() == before
    assert store.get_group(uid("eva"), group).role.id == "administrator"
    # With a second administrator the demotion is allowed.
    store.update_member(uid("eva"), group, uid("giulia"), "administrator")
    store.update_member(uid("eva"), group, uid("eva"), role)
    assert store.get_group(uid("eva"), group).role.id == role
    # ... and now Giulia is the last one.
    with pytest.raises(Conflict):
        store.update_member(uid("giulia"), group, uid("giulia"), "viewer")


def test_last_administrator_of_a_sub_group_with_an_administered_parent_can_step_down(store: Store) -> None:
    child = store.create_group(uid("bruno"), name="Child", parent_id=gid(LYON)).group.id
    store.update_member(uid("bruno"), child, uid("bruno"), "viewer")
    # Bruno is still an administrator there through ACME.
    assert store.get_group(uid("bruno"), child).role.id == "administrator"
    users = store.list_group_users(uid("bruno"), child, 20, None).items
    assert [(m.user.id, m.role.id) for m in users] == [(uid("bruno"), "viewer")]


# ----------------------------------------------------------------- removing members and leaving


@pytest.mark.parametrize(
    ("person", "member"),
    [
        pytest.param("bruno", "alice", id="by-admin"),
        pytest.param("alice", "alice", id="leave-with-own-id"),
        pytest.param("alice", None, id="leave-without-id"),
    ],
)
def test_the_subscriber_cannot_be_removed_nor_leave(store: Store, person: str, member: str | None) -> None:
    before = store.export()
    with pytest.raises(Forbidden):
        store.remove_member(uid(person), gid(ACME), uid(member) if member else None)
    assert store.export() == before


@pytest.mark.parametrize(
    "with_id", [pytest.param(False, id="without-user-id"), pytest.param(True, id="with-own-id")]
)
def test_leaving_a_group(store: Store, with_id: bool) -> None:
    message = store.remove_member(uid("dan"), gid(ACME), uid("dan") if with_id else None)
    assert message is Removal.LEFT
    assert uid("dan") not in member_ids(store, ACME)
    for group in ACME_TREE:
        with pytest.raises(NotFound):
            store.get_group(uid("dan"), gid(group))
    assert walk(lambda n, t: store.list_user_groups(uid("dan"), n, t), 5) == []
    # A new invitation brings them back, at the end of the list.
    store.invite(uid("bruno"), gid(ACME), "dan.okafor@acme-logistics.example", "viewer")
    assert member_ids(store, ACME)[-1] == uid("dan")


@pytest.mark.parametrize(
    ("person", "member"),
    [
        pytest.param("bruno", "dan", id="admin-removes-viewer"),
        pytest.param("alice", "bruno", id="subscriber-removes-admin"),
        pytest.param("bruno", "bruno", id="admin-leaves-subscriber-remains"),
    ],
)
def test_remove_member(store: Store, person: str, member: str) -> None:
    message = store.remove_member(uid(person), gid(ACME), uid(member))
    assert message is (Removal.LEFT if person == member else Removal.REMOVED)
    assert uid(member) not in member_ids(store, ACME)
    with pytest.raises(NotFound):
        store.get_group(uid(member), gid(ACME))


@pytest.mark.parametrize(
    ("person", "group", "member", "error"),
    [
        pytest.param("bruno", LYON, "dan", NotFound, id="inherited-only-member"),
        pytest.param("dan", LYON, "dan", NotFound, id="leave-inherited-only"),
        pytest.param("dan", LYON, None, NotFound, id="leave-inherited-only-without-id"),
        pytest.param("bruno", ACME, "eva", NotFound, id="not-a-member"),
        pytest.param("bruno", ACME, "no-such-user", NotFound, id="unknown-user"),
        pytest.param("dan", ACME, "bruno", Forbidden, id="viewer-removes-other"),
        pytest.param("chlo", LYON, "dan", Forbidden, id="installer-removes-other"),
    ],
)
def test_remove_member_refusals_change_nothing(
    store: Store, person: str, group: str, member: str | None, error: type[GroupkitError]
) -> None:
    before = store.export()
    target = None if member is None else (uid(member) if member in PEOPLE else member)
    with pytest.raises(error):
        store.remove_member(uid(person), gid(group), target)
    assert store.export() == before


def test_last_administrator_cannot_leave_and_keeps_their_place(store: Store) -> None:
    group = store.create_group(uid("eva"), name="Team").group.id
    store.invite(uid("eva"), group, "a@example.test", "viewer")
    second = store.invite(uid("eva"), group, "b@example.test", "administrator").user_id
    store.remove_member(uid("eva"), group, None)  # Eva leaves; b@ is the last administrator
    store.invite(second, group, "c@example.test", "viewer")
    order = member_ids_for(store, second, group)
    assert order.index(second) == 1  # in the middle of the list
    before = store.export()
    for member in (None, second):
        with pytest.raises(Conflict):
            store.remove_member(second, group, member)
        assert member_ids_for(store, second, group) == order
        assert store.export() == before
    # Paging with a cursor just before and at the restored member still works.
    for limit in (1, 2, 3):
        assert [
            m.user.id for m in walk(lambda n, t: store.list_group_users(second, group, n, t), limit)
        ] == order


def member_ids_for(store: Store, caller: str, group: str) -> list[str]:
    return [m.user.id for m in walk(lambda n, t: store.list_group_users(caller, group, n, t), 100)]


def test_last_administrator_removed_by_a_peer_then_alone(store: Store) -> None:
    group = store.create_group(uid("eva"), name="Team").group.id
    store.invite(uid("eva"), group, "giulia.rossi@nordic-coldchain.example", "administrator")
    store.remove_member(uid("giulia"), group, uid("eva"))
    before = store.export()
    with pytest.raises(Conflict):
        store.remove_member(uid("giulia"), group, None)
    assert store.export() == before
    assert store.get_group(uid("giulia"), group).role.id == "administrator"


# ----------------------------------------------------------------- counts


@pytest.mark.parametrize("group", GROUPS)
def test_counts_match_the_lists(store: Store, group: str) -> None:
    caller = uid(admin_of(group))
    shown = store.get_group(caller, gid(group))
    devices = walk(lambda n, t: store.list_group_devices(caller, gid(group), n, t), 7)
    fixture_devices = [d for d in DEFAULT_WORLD["devices"] if d["groupId"] == gid(group)]
    assert shown.device_count == len(devices) == len(fixture_devices) > 0
    assert [wire.device(d) for d in devices] == fixture_devices  # the group's own devices, in creation order
    for key, count in (("connectors", "connector_count"), ("notifications", "notification_count")):
        assert getattr(shown, count) == sum(1 for x in DEFAULT_WORLD[key] if x["groupId"] == gid(group))
    # The same counts for every viewer of the group and in list_user_groups.
    listed = {g.group.id: g for g in walk(lambda n, t: store.list_user_groups(caller, n, t), 3)}
    for count in ("device_count", "connector_count", "notification_count"):
        assert getattr(listed[gid(group)], count) == getattr(shown, count)


def test_counts_in_the_fixture_world_are_not_all_equal() -> None:
    # Guards the test above against a world where every group has the same counts.
    assert len(Counter(d["groupId"] for d in DEFAULT_WORLD["devices"]).values()) == len(GROUPS)
    assert len(set(Counter(d["groupId"] for d in DEFAULT_WORLD["devices"]).values())) > 1


# ----------------------------------------------------------------- pagination through the store


def _lists(store: Store) -> list[tuple[str, Callable[[int, str | None], Page[Any]], list[Any]]]:
    lists: list[tuple[str, Callable[[int, str | None], Page[Any]], list[Any]]] = []
    for person in PEOPLE:
        expected = [gid(g) for g in GROUPS if EFFECTIVE[person].get(g)]
        lists.append(
            (f"groups-{person}", lambda n, t, p=person: store.list_user_groups(uid(p), n, t), expected)
        )
    for group in GROUPS:
        caller, group_id_ = uid(admin_of(group)), gid(group)
        devices = [d["deviceId"] for d in DEFAULT_WORLD["devices"] if d["groupId"] == group_id_]
        lists.append(
            (
                f"devices-{group}",
                lambda n, t, c=caller, g=group_id_: store.list_group_devices(c, g, n, t),
                devices,
            )
        )
        members = [m["userId"] for m in DEFAULT_WORLD["memberships"] if m["groupId"] == group_id_]
        lists.append(
            (
                f"users-{group}",
                lambda n, t, c=caller, g=group_id_: store.list_group_users(c, g, n, t),
                members,
            )
        )
    lists.append(("roles", store.list_roles, ["subscriber", "administrator", "installer", "viewer"]))
    return lists


def _key(item: Any) -> str:
    """The id a list's item is known by: a group's, a device's, a member's or a role's."""
    if isinstance(item, GroupView):
        return item.group.id
    if isinstance(item, Device):
        return item.device_id
    if isinstance(item, Member):
        return item.user.id
    assert isinstance(item, Role)
    return item.id


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 20, 100])
def test_walking_every_list_yields_every_item_once(store: Store, limit: int) -> None:
    for name, fetch, expected in _lists(store):
        items = walk(fetch, limit)
        assert [_key(i) for i in items] == expected, name
        first = fetch(limit, None)
        assert (first.next_token is None) == (len(expected) <= limit), name


def test_a_list_of_exactly_limit_items_has_no_next_token(store: Store) -> None:
    page = store.list_roles(4, None)
    assert len(page.items) == 4
    assert page.next_token is None
    page = store.list_roles(2, None)
    assert page.next_token is not None
    last = store.list_roles(2, page.next_token)
    assert len(last.items) == 2
    assert last.next_token is None


def _token(fetch: Callable[[int, str | None], Page[Any]]) -> str:
    token = fetch(1, None).next_token
    assert token is not None
    return token


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param("devices-" + ACME, "devices-" + LYON, id="devices-of-another-group"),
        pytest.param("devices-" + ACME, "users-" + ACME, id="devices-token-on-users"),
        pytest.param("users-" + ACME, "devices-" + ACME, id="users-token-on-devices"),
        pytest.param("users-" + ACME, "groups-alice", id="users-token-on-groups"),
        pytest.param("groups-alice", "devices-" + ACME, id="groups-token-on-devices"),
        pytest.param("roles", "groups-alice", id="roles-token-on-groups"),
        pytest.param("groups-alice", "roles", id="groups-token-on-roles"),
        pytest.param("devices-" + NORDIC, "devices-" + OSLO, id="devices-of-another-tenant"),
    ],
)
def test_a_token_from_another_list_is_refused(store: Store, source: str, target: str) -> None:
    lists = {name: fetch for name, fetch, _ in _lists(store)}
    token = _token(lists[source])
    before = store.export()
    with pytest.raises(BadRequest) as raised:
        lists[target](5, token)
    assert raised.value.code == "INVALID_NEXT_TOKEN"
    assert store.export() == before


@pytest.mark.parametrize(
    "garbage",
    ["garbage", "!!!!", "0", "AAAA", "eyJhIjoxfQ", "ZGVhZGJlZWY6MQ", "ZGVhZGJlZWY6LTE", "é", " ", "a" * 500],
)
@pytest.mark.parametrize("target", ["groups-alice", "devices-" + ACME, "users-" + ACME, "roles"])
def test_a_garbage_token_is_refused(store: Store, garbage: str, target: str) -> None:
    fetch = {name: fetch for name, fetch, _ in _lists(store)}[target]
    with pytest.raises(BadRequest) as raised:
        fetch(5, garbage)
    assert raised.value.code == "INVALID_NEXT_TOKEN"


@pytest.mark.parametrize("target", ["groups-alice", "devices-" + ACME, "users-" + ACME, "roles"])
def test_a_tampered_token_is_refused(store: Store, target: str) -> None:
    fetch = {name: fetch for name, fetch, _ in _lists(store)}[target]
    token = _token(fetch)
    for tampered in (token + "A", token[:-1], token + "=", token.upper(), token[::-1]):
        if tampered == token:
            continue
        with pytest.raises(BadRequest) as raised:
            fetch(5, tampered)
        assert raised.value.code == "INVALID_NEXT_TOKEN", tampered


def test_an_empty_token_is_the_first_page(store: Store) -> None:
    assert store.list_user_groups(uid("alice"), 2, "") == store.list_user_groups(uid("alice"), 2, None)


def test_groups_created_during_a_walk_are_not_repeated(store: Store) -> None:
    alice = uid("alice")
    seen: list[str] = []
    page = store.list_user_groups(alice, 2, None)
    seen += [g.group.id for g in page.items]
    created = [
        store.create_group(alice, name=f"G{i}", parent_id=gid(ACME) if i % 2 else None).group.id
        for i in range(3)
    ]
    while page.next_token is not None:
        page = store.list_user_groups(alice, 2, page.next_token)
        assert len(page.items) <= 2
        seen += [g.group.id for g in page.items]
    assert len(seen) == len(set(seen))
    assert seen == [gid(g) for g in ACME_TREE] + created


def test_members_invited_or_removed_during_a_walk(store: Store) -> None:
    bruno = uid("bruno")
    page = store.list_group_users(bruno, gid(ACME), 1, None)
    seen = [m.user.id for m in page.items]
    assert seen == [uid("alice")]
    new = [store.invite(bruno, gid(ACME), f"n{i}@example.test", "viewer").user_id for i in range(3)]
    store.remove_member(bruno, gid(ACME), new[1])  # removed before the walk reaches it
    while page.next_token is not None:
        page = store.list_group_users(bruno, gid(ACME), 1, page.next_token)
        seen += [m.user.id for m in page.items]
    assert seen == [uid("alice"), bruno, uid("dan"), new[0], new[2]]


def test_removing_the_cursor_item_does_not_skip_or_repeat(store: Store) -> None:
    bruno = uid("bruno")
    extra = [store.invite(bruno, gid(ACME), f"n{i}@example.test", "viewer").user_id for i in range(3)]
    page = store.list_group_users(bruno, gid(ACME), 4, None)
    assert [m.user.id for m in page.items] == [uid("alice"), bruno, uid("dan"), extra[0]]
    store.remove_member(bruno, gid(ACME), extra[0])  # the item the cursor points at
    page = store.list_group_users(bruno, gid(ACME), 4, page.next_token)
    assert [m.user.id for m in page.items] == extra[1:]
    assert page.next_token is None


# ----------------------------------------------------------------- export, import and world checks


def _mutate(store: Store) -> None:
    alice, bruno, eva = uid("alice"), uid("bruno"), uid("eva")
    top = store.create_group(eva, name="Eva top", tags=["t1", "t2"]).group.id
    child = store.create_group(alice, name="Child", description="d", parent_id=gid(LYON)).group.id
    store.invite(bruno, gid(REEFER), "pending@example.test", "installer")
    store.invite(eva, top, "DAN.okafor@acme-logistics.example", "administrator")
    store.update_member(bruno, gid(ACME), uid("dan"), "installer")
    store.remove_member(alice, gid(ROTTERDAM), uid("hiro"))
    store.remove_member(uid("giulia"), gid(OSLO), None)
    store.delete_api_key(eva, gid(NORDIC), "tti")
    store.create_api_key(alice, child, "Loriot", "L", "tok")
    store.update_api_key(alice, gid(ACME), "sigfox", name="renamed")
    store.update_group(bruno, gid(ROTTERDAM), GroupChanges(parent_id=gid(LYON), default_role="installer"))
    store.update_group(eva, top, GroupChanges(owner_id=uid("dan"), description="x"))


@pytest.mark.parametrize(
    "mutated", [pytest.param(False, id="default"), pytest.param(True, id="after-changes")]
)
def test_export_round_trips_through_from_world(store: Store, mutated: bool) -> None:
    if mutated:
        _mutate(store)
    exported = store.export()
    assert worlds.problems(copy.deepcopy(exported)) == []
    reloaded = Store.from_world(copy.deepcopy(exported))
    assert reloaded.export() == exported
    # The reloaded store answers the same, for every user and group, lists included.
    for user in exported["users"]:
        for group in exported["groups"]:
            assert _answer(store.get_group, user["id"], group["id"]) == _answer(
                reloaded.get_group, user["id"], group["id"]
            )
        assert walk(lambda n, t, u=user["id"]: store.list_user_groups(u, n, t), 3) == walk(
            lambda n, t, u=user["id"]: reloaded.list_user_groups(u, n, t), 3
        )


def _answer(call: Callable[..., Any], *args: Any) -> Any:
    try:
        return call(*args)
    except GroupkitError as error:
        return type(error)


def test_export_of_the_default_world_is_the_default_world(store: Store) -> None:
    assert store.export() == DEFAULT_WORLD


def test_export_after_moving_under_a_later_group_reloads(store: Store) -> None:
    """fixtures/README.md: groups may come in any order; an export after a move is a loadable world."""
    late = store.create_group(uid("alice"), name="Late parent", parent_id=gid(ACME)).group.id
    store.update_group(uid("alice"), gid(ROTTERDAM), GroupChanges(parent_id=late))
    exported = store.export()
    order = [g["id"] for g in exported["groups"]]
    assert order.index(late) > order.index(gid(ROTTERDAM))  # the child is listed before its new parent
    assert worlds.problems(copy.deepcopy(exported)) == []
    reloaded = Store.from_world(copy.deepcopy(exported))
    assert reloaded.export() == exported
    for person in PEOPLE:
        for group in exported["groups"]:
            assert _answer(store.get_group, uid(person), group["id"]) == _answer(
                reloaded.get_group, uid(person), group["id"]
            )
    # Dan still sees the moved sub-tree through ACME, now via the new parent.
    assert reloaded.get_group(uid("dan"), gid(REEFER)).role.id == "viewer"


def test_a_world_listing_children_first_loads_like_the_original(make_store: StoreFactory) -> None:
    world = copy.deepcopy(DEFAULT_WORLD)
    world["groups"].reverse()
    store = make_store(world)
    assert store.get_group(uid("bruno"), gid(REEFER)).role.id == "administrator"
    assert store.get_group(uid("hiro"), gid(REEFER)).role.id == "viewer"
    assert [g["id"] for g in store.export()["groups"]] == [g["id"] for g in world["groups"]]


EXPORT_MUTATIONS = [
    pytest.param(lambda w: w["groups"][0]["tags"].append("x"), id="group-tags"),
    pytest.param(lambda w: w["groups"][0].update(name="x"), id="group-field"),
    pytest.param(lambda w: w["users"][0].update(email="x@example.test"), id="user-field"),
    pytest.param(lambda w: w["memberships"][0].update(roleId="viewer"), id="membership-field"),
    pytest.param(lambda w: w["apiKeys"][0].update(name="x"), id="api-key-field"),
    pytest.param(lambda w: w["connectors"][0].update(name="x"), id="connector-field"),
    pytest.param(lambda w: w["devices"][0].update(name="x"), id="device-field"),
    pytest.param(lambda w: w["devices"][0]["tags"].append("x"), id="device-tags"),
]


@pytest.mark.parametrize("change", EXPORT_MUTATIONS)
def test_export_is_a_snapshot(store: Store, change: Callable[[dict[str, Any]], None]) -> None:
    """Changing what export() returned must not change the store (export feeds GET /__mock__/state)."""
    change(store.export())
    assert store.export() == DEFAULT_WORLD


@pytest.mark.parametrize("change", EXPORT_MUTATIONS)
def test_from_world_keeps_no_reference_to_its_input(change: Callable[[dict[str, Any]], None]) -> None:
    """The app keeps its initial world to reset to; the store must not share objects with it. (Memory only:
    `Store.from_world` itself; a Redis replica's world comes from a snapshot, never from the input.)"""
    world = copy.deepcopy(DEFAULT_WORLD)
    store = Store.from_world(world)
    change(world)
    assert store.export() == DEFAULT_WORLD


def test_list_group_devices_items_are_copies(store: Store) -> None:
    """A caller cannot change the store through what a read answers: records are frozen, their tags a
    tuple, and the page's list and the wire bodies are the caller's own."""
    page = store.list_group_devices(uid("alice"), gid(ACME), 2, None)
    with pytest.raises(FrozenInstanceError):
        page.items[0].name = "changed by a caller"  # type: ignore[misc]
    assert isinstance(page.items[1].tags, tuple)
    wire.device(page.items[1])["tags"].append("changed")
    page.items.clear()
    assert store.export() == DEFAULT_WORLD
    assert len(store.list_group_devices(uid("alice"), gid(ACME), 2, None).items) == 2


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    world = copy.deepcopy(DEFAULT_WORLD)
    change(world)
    return world


BROKEN_WORLDS = [
    pytest.param(lambda w: w["memberships"][0].update(groupId="nope"), id="membership-dangling-group"),
    pytest.param(lambda w: w["memberships"][0].update(userId="nope"), id="membership-dangling-user"),
    pytest.param(lambda w: w["memberships"].append(dict(w["memberships"][0])), id="membership-twice"),
    pytest.param(lambda w: w["memberships"][0].update(roleId="owner"), id="unknown-role"),
    pytest.param(lambda w: w["devices"][0].update(groupId="nope"), id="device-dangling-group"),
    pytest.param(lambda w: w["devices"].append(dict(w["devices"][0])), id="device-twice"),
    pytest.param(lambda w: w["apiKeys"][0].update(groupId="nope"), id="key-dangling-group"),
    pytest.param(lambda w: w["apiKeys"].append({**w["apiKeys"][0], "type": "sigfox"}), id="key-type-twice"),
    pytest.param(lambda w: w["connectors"][0].update(groupId="nope"), id="connector-dangling-group"),
    pytest.param(lambda w: w["notifications"][0].update(groupId="nope"), id="notification-dangling-group"),
    pytest.param(lambda w: w["groups"][0].update(parent="nope"), id="parent-dangling"),
    pytest.param(lambda w: w["groups"][0].update(parent=w["groups"][3]["id"]), id="parent-cycle"),
    pytest.param(lambda w: w["groups"][0].update(parent=w["groups"][0]["id"]), id="own-parent"),
    pytest.param(lambda w: w["groups"].append(dict(w["groups"][0])), id="group-twice"),
    pytest.param(
        lambda w: w["users"].append({**w["users"][0], "email": "x@example.test"}), id="user-id-twice"
    ),
    pytest.param(
        lambda w: w["users"][1].update(email=w["users"][0]["email"].upper()), id="email-twice-any-case"
    ),
    pytest.param(lambda w: w["users"][1].update(token=w["users"][0]["token"]), id="token-twice"),
    pytest.param(lambda w: w["groups"][0].update(defaultRole="owner"), id="unknown-default-role"),
]


@pytest.mark.parametrize("change", BROKEN_WORLDS)
def test_replace_with_a_broken_world_is_refused_and_changes_nothing(
    store: Store, change: Callable[[dict[str, Any]], None]
) -> None:
    _mutate(store)
    before = store.export()
    with pytest.raises(ValueError):
        store.replace(_broken(change))
    assert store.export() == before
    # The store still works on its old state.
    assert store.get_group(uid("alice"), gid(ACME)).group.id == gid(ACME)
    store.create_group(uid("alice"), name="still alive")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda w: w["users"][0].pop("createdAt"), id="user-without-createdAt"),
        pytest.param(lambda w: w["groups"][0].pop("token"), id="group-without-token"),
        pytest.param(lambda w: w["memberships"][0].pop("roleId"), id="membership-without-roleId"),
    ],
)
def test_replace_with_a_world_missing_a_required_field_raises_value_error(
    store: Store, change: Callable[[dict[str, Any]], None]
) -> None:
    """Store.replace documents "if `world` is broken, ValueError and nothing changes"."""
    before = store.export()
    with pytest.raises(ValueError):
        store.replace(_broken(change))
    assert store.export() == before


def test_replace_with_a_valid_world_swaps_the_state(store: Store) -> None:
    _mutate(store)
    store.replace(copy.deepcopy(DEFAULT_WORLD))
    assert store.export() == DEFAULT_WORLD
    store.replace({"format": "groupkit-world/1"})
    assert store.export()["groups"] == []
    with pytest.raises(NotFound):
        store.get_group(uid("alice"), gid(ACME))


def test_from_world_rejects_broken_worlds_too() -> None:
    """Memory only: `Store.from_world` itself (the replace tests above run over both backends)."""
    for param in BROKEN_WORLDS:
        (change,) = param.values
        with pytest.raises(ValueError):
            Store.from_world(_broken(change), rng=random.Random(1))


def test_problems_of_the_default_world_is_empty() -> None:
    assert worlds.problems(copy.deepcopy(DEFAULT_WORLD)) == []


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        pytest.param(
            lambda w: w["devices"][3].pop("network"), ["devices[3]", "network"], id="device-no-network"
        ),
        pytest.param(
            lambda w: w["devices"][5].update(seenAt="yesterday"),
            ["devices[5]", "yesterday"],
            id="device-seenat-str",
        ),
        pytest.param(
            lambda w: w["devices"][0].update(createdAt="25/11/2026"),
            ["devices[0]", "25/11/2026"],
            id="device-date",
        ),
        pytest.param(
            lambda w: w["devices"][2].update(groupId="ghost"), ["ghost", "device"], id="device-dangling"
        ),
        pytest.param(
            lambda w: w["memberships"][1].update(groupId="ghost"),
            ["ghost", "membership"],
            id="membership-dangling",
        ),
        pytest.param(
            lambda w: w["users"][3].update(email=w["users"][0]["email"]),
            ["alice.martin@acme-logistics.example", "twice"],
            id="duplicate-email",
        ),
        pytest.param(
            lambda w: w["users"][3].update(email=w["users"][0]["email"].title()),
            ["alice.martin@acme-logistics.example", "twice"],
            id="duplicate-email-other-case",
        ),
        pytest.param(lambda w: w.update(teams=[]), ["teams"], id="unknown-key"),
        pytest.param(lambda w: w.update(format="groupkit-world/2"), ["format"], id="format"),
    ],
)
def test_problems_reports_a_broken_world(
    change: Callable[[dict[str, Any]], None], fragments: list[str]
) -> None:
    found = worlds.problems(_broken(change))
    assert len(found) >= 1
    text = "\n".join(found).lower()
    for fragment in fragments:
        assert fragment.lower() in text, (fragment, found)


def test_a_group_list_cursor_is_bound_to_its_user(store: Store) -> None:
    """Each user's group list is its own list: Alice's cursor is not a cursor of Eva's."""
    alices = store.list_user_groups(uid("alice"), 1, None)
    assert alices.next_token is not None
    with pytest.raises(BadRequest) as refused:
        store.list_user_groups(uid("eva"), 1, alices.next_token)
    assert refused.value.code == "INVALID_NEXT_TOKEN"
