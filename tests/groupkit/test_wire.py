"""Unit tests of groupkit.wire: domain objects to the contract's bodies, checked against its schemas."""

from __future__ import annotations

import random
from typing import Any

import pytest

from groupkit import contract, wire
from groupkit.model import Device, GroupChanges, Removal
from groupkit.pagination import Page
from groupkit.roles import BUILT_IN
from groupkit.store import Store
from tests.conftest import DEFAULT_WORLD, group_id, user_id

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
ALICE = user_id(DEFAULT_WORLD, "alice")


def conforms(body: Any, schema: str) -> None:
    assert list(contract.component(contract.default(), schema).iter_errors(body)) == []


def test_page() -> None:
    assert wire.page(Page([1, 2], "tok"), lambda n: {"n": n}) == {
        "items": [{"n": 1}, {"n": 2}],
        "nextToken": "tok",
    }
    assert wire.page(Page([], None), lambda n: {"n": n}) == {"items": []}


@pytest.mark.parametrize("role", BUILT_IN.values(), ids=list(BUILT_IN))
def test_role(role: Any) -> None:
    body = wire.role(role)
    conforms(body, "Role")
    assert body == {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "removable": False,
    }


def test_a_group_as_its_viewer_sees_it(store: Store) -> None:
    body = wire.group(store.get_group(ALICE, ACME))
    conforms(body, "Group")
    world = next(g for g in DEFAULT_WORLD["groups"] if g["id"] == ACME)
    assert body["userId"] == ALICE and body["role"] == wire.role(BUILT_IN["subscriber"])
    assert body["administratorRole"] == "administrator"
    for field in ("id", "name", "description", "token", "defaultRole", "createdAt", "updatedAt", "ownerId"):
        assert body[field] == world[field], field
    assert "parent" not in body  # a top-level group: the contract's strings are not nullable
    devices = sum(1 for d in DEFAULT_WORLD["devices"] if d["groupId"] == ACME)
    assert (body["numberOfDevices"], body["numberOfConnectors"], body["numberOfNotifications"]) == (
        devices,
        2,
        1,
    )


def test_a_new_group_leaves_unset_fields_out() -> None:
    store = Store(rng=random.Random(1), today=lambda: "2026-11-25")
    store.replace(DEFAULT_WORLD)
    body = wire.group(store.create_group(ALICE))
    conforms(body, "Group")
    assert "name" not in body and "description" not in body and "parent" not in body


def test_a_relation_and_a_member(store: Store) -> None:
    relation = wire.relation(store.invite(ALICE, ACME, "new@example.test", "installer"))
    conforms(relation, "GroupUserRelation")
    assert relation["id"] == ACME and relation["role"]["id"] == "installer"
    members = store.list_group_users(ALICE, ACME, 20, None).items
    listed = [wire.member(m) for m in members]
    for body in listed:
        conforms(body, "PublicUser")
    assert listed[0] == {
        **{k: v for k, v in DEFAULT_WORLD["users"][0].items() if k != "token"},
        "name": "Alice Martin",
        "role": wire.role(BUILT_IN["subscriber"]),
    }
    assert listed[-1] == {
        "id": relation["userId"],
        "email": "new@example.test",
        "createdAt": "2026-11-25",
        "updatedAt": "2026-11-25",
        "role": wire.role(BUILT_IN["installer"]),
    }


def test_devices_and_keys_are_their_world_items(store: Store) -> None:
    """The world format's devices and keys are the contract's bodies: the wire gives them back unchanged."""
    devices = store.list_group_devices(ALICE, ACME, 100, None).items
    assert [wire.device(d) for d in devices] == [d for d in DEFAULT_WORLD["devices"] if d["groupId"] == ACME]
    for device in devices:
        conforms(wire.device(device), "Device")
    key = store.update_api_key(ALICE, ACME, "sigfox")
    world_key = next(k for k in DEFAULT_WORLD["apiKeys"] if k["groupId"] == ACME)
    assert wire.api_key(key) == {**world_key, "updatedBy": ALICE, "updatedAt": "2026-11-25"}
    conforms(wire.api_key(key), "ExternalApiKey")


def test_a_device_without_optional_fields() -> None:
    required = {"device_id": "d", "group_id": "g", "name": "n", "type": "t", "network": "SIGFOX"}
    dates = {"created_at": "2026-01-01", "updated_at": "2026-01-02", "created_by": "u", "updated_by": "u"}
    body = wire.device(Device(**required, original_id="o", **dates))
    conforms(body, "Device")
    assert set(body) == {
        *("deviceId", "groupId", "name", "type", "network", "originalId"),
        *("createdAt", "updatedAt", "createdBy", "updatedBy"),
    }


def test_removal_messages() -> None:
    assert wire.message(wire.REMOVALS[Removal.LEFT]) == {"message": "You left the group"}
    assert wire.message(wire.REMOVALS[Removal.REMOVED]) == {"message": "User removed from the group"}
    assert set(wire.REMOVALS) == set(Removal)


@pytest.mark.parametrize(
    ("body", "changes"),
    [
        pytest.param({"groupId": "g"}, GroupChanges(), id="nothing"),
        pytest.param(
            {
                "groupId": "g",
                "name": "N",
                "description": "D",
                "tags": ["a"],
                "ownerId": "o",
                "roleId": "viewer",
            },
            GroupChanges(name="N", description="D", tags=("a",), owner_id="o", default_role="viewer"),
            id="fields",
        ),
        pytest.param({"groupId": "g", "parent": "p"}, GroupChanges(parent_id="p"), id="move"),
        pytest.param({"groupId": "g", "tags": []}, GroupChanges(tags=()), id="no-tags"),
    ],
)
def test_group_changes(body: dict[str, Any], changes: GroupChanges) -> None:
    assert wire.group_changes(body) == changes
