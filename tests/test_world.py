"""Unit tests of groupkit.world: the world format read, checked and built in one pass, and exported."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from groupkit import world as worlds
from groupkit.store import Store

from .conftest import DEFAULT_WORLD


def broken(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    world = copy.deepcopy(DEFAULT_WORLD)
    change(world)
    return world


def problems_of(change: Callable[[dict[str, Any]], Any]) -> list[str]:
    with pytest.raises(worlds.InvalidWorld) as refused:
        worlds.build(broken(change))
    assert worlds.problems(broken(change)) == refused.value.problems
    return refused.value.problems


def test_the_default_world_builds_and_exports_as_itself() -> None:
    assert worlds.export(worlds.build(copy.deepcopy(DEFAULT_WORLD))) == DEFAULT_WORLD
    # Field order too: an export writes each item's fields in the order of the format (and of the file).
    exported = worlds.export(worlds.build(copy.deepcopy(DEFAULT_WORLD)))
    assert json.dumps(exported, ensure_ascii=False) == json.dumps(DEFAULT_WORLD, ensure_ascii=False)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda w: w["devices"][0].update(colour="red"), "devices[0].colour", id="device"),
        pytest.param(lambda w: w["users"][0].update(name="Alice M."), "users[0].name", id="user"),
        pytest.param(lambda w: w["groups"][0].update(size=3), "groups[0].size", id="group"),
        pytest.param(
            lambda w: w["memberships"][0].update(since="2024"), "memberships[0].since", id="membership"
        ),
        pytest.param(lambda w: w["apiKeys"][0].update(secret="x"), "apiKeys[0].secret", id="api-key"),
        pytest.param(lambda w: w["connectors"][0].update(url="x"), "connectors[0].url", id="connector"),
    ],
)
def test_a_field_the_format_does_not_know_is_refused(
    change: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    found = problems_of(change)
    assert len(found) == 1 and found[0].startswith(expected + ": not a field"), found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda w: w["groups"][1].pop("token"),
            "groups[1]: 'token' is a required property",
            id="group-token",
        ),
        pytest.param(
            lambda w: w["groups"][1].update(tags="a"),
            "groups[1].tags: 'a' is not of type 'array'",
            id="group-tags",
        ),
        pytest.param(
            lambda w: w["groups"][1].update(createdAt="1/2/24"),
            "groups[1].createdAt: '1/2/24' is not a 'date'",
            id="group-date",
        ),
        pytest.param(
            lambda w: w["users"][0].pop("createdAt"),
            "users[0]: 'createdAt' is a required property",
            id="user-created",
        ),
        pytest.param(
            lambda w: w["users"][0].update(token=7),
            "users[0].token: 7 is not of type 'string'",
            id="user-token",
        ),
        pytest.param(
            lambda w: w["memberships"][2].pop("roleId"),
            "memberships[2]: 'roleId' is a required property",
            id="membership-role",
        ),
        pytest.param(
            lambda w: w["notifications"][0].pop("name"),
            "notifications[0]: 'name' is a required property",
            id="notification-name",
        ),
        pytest.param(
            lambda w: w["apiKeys"][0].update(token=1),
            "apiKeys[0].token: 1 is not of type 'string'",
            id="key-token",
        ),
        pytest.param(
            lambda w: w["groups"][0].update(defaultRole="owner"),
            "groups[0].defaultRole: unknown role 'owner'",
            id="default-role",
        ),
        pytest.param(
            lambda w: w["memberships"][0].update(roleId="owner"),
            "memberships[0].roleId: unknown role 'owner'",
            id="role",
        ),
        pytest.param(
            lambda w: w["groups"][1].update(parent="ghost"),
            "groups[1].parent: names unknown group ghost",
            id="parent",
        ),
        pytest.param(
            lambda w: w["memberships"][0].update(userId="ghost"),
            "memberships[0].userId: names unknown user ghost",
            id="member",
        ),
        pytest.param(
            lambda w: w["apiKeys"][1].update(groupId="ghost"),
            "apiKeys[1].groupId: names unknown group ghost",
            id="key-group",
        ),
        pytest.param(
            lambda w: w["devices"].append(dict(w["devices"][0])),
            "devices[48].deviceId: device",
            id="device-twice",
        ),
    ],
)
def test_each_problem_names_its_item_and_field(
    change: Callable[[dict[str, Any]], Any], expected: str
) -> None:
    found = problems_of(change)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_problem_is_reported_at_once() -> None:
    def three(w: dict[str, Any]) -> None:
        w["devices"][5].update(seenAt="yesterday")
        w["memberships"][1].update(groupId="ghost")
        w["users"][3].update(email=w["users"][0]["email"])

    found = problems_of(three)
    assert [p.split(":")[0] for p in found] == [
        "users[3].email",
        "memberships[1].groupId",
        "devices[5].seenAt",
    ]


def test_a_broken_item_is_reported_once_not_through_its_references() -> None:
    """A group that breaks its schema is not built; what names it is not reported again."""
    acme = DEFAULT_WORLD["groups"][0]["id"]
    found = problems_of(lambda w: w["groups"][0].pop("token"))
    assert found == ["groups[0]: 'token' is a required property"]
    assert sum(1 for d in DEFAULT_WORLD["devices"] if d["groupId"] == acme) > 0  # devices name it


def test_a_cycle_of_parents_is_reported_once() -> None:
    def cycle(w: dict[str, Any]) -> None:
        w["groups"][0].update(parent=w["groups"][3]["id"])  # ACME under the Reefer fleet, its grandchild

    found = problems_of(cycle)
    assert len(found) == 1 and "form a cycle of parents" in found[0], found
    ids = sorted(DEFAULT_WORLD["groups"][i]["id"] for i in (0, 2, 3))
    assert str(ids) in found[0]


def test_a_broken_world_builds_nothing_and_names_its_source(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(broken(lambda w: w["devices"][0].pop("network"))))
    with pytest.raises(
        worlds.InvalidWorld, match=rf"{path} is not a valid world:\n  devices\[0\]: 'network'"
    ):
        worlds.load(str(path))
    store = Store.from_world(copy.deepcopy(DEFAULT_WORLD))
    before = store.export()
    with pytest.raises(worlds.InvalidWorld):
        store.replace(broken(lambda w: w["devices"][0].pop("network")))
    assert store.export() == before


@pytest.mark.parametrize(
    ("world", "expected"),
    [
        pytest.param([], ["a world is a JSON object"], id="not-an-object"),
        pytest.param({"users": {}}, ["users must be a list"], id="not-a-list"),
        pytest.param({"users": [3]}, ["users[0] must be an object"], id="item-not-an-object"),
        pytest.param(
            {"format": "x", "teams": []},
            ["format must be 'groupkit-world/1'", "unknown keys: teams"],
            id="shape",
        ),
    ],
)
def test_the_shape_of_a_world(world: Any, expected: list[str]) -> None:
    assert worlds.problems(world) == expected


def test_optional_fields_are_left_out_of_an_export_and_a_group_writes_all_of_its() -> None:
    user = {"id": "u", "email": "u@example.test", "createdAt": "2026-01-01", "updatedAt": "2026-01-01"}
    group = {"id": "g", "token": "t", "createdAt": "2026-01-01", "updatedAt": "2026-01-02"}
    device = dict(deviceId="d", groupId="g", name="n", type="t", network="SIGFOX", originalId="o")
    device.update(createdAt="2026-01-01", updatedAt="2026-01-01", createdBy="u", updatedBy="u")
    key = {"groupId": "g", "name": "k", "type": "TTI"}
    world = {"users": [user], "groups": [group], "devices": [device], "apiKeys": [key]}
    exported = worlds.export(worlds.build(world))
    assert exported["users"] == [user]
    assert exported["devices"] == [device]
    assert exported["apiKeys"] == [{**key, "token": ""}]
    assert exported["groups"] == [
        {
            **dict.fromkeys(worlds.FIELDS["groups"]),
            **group,
            "tags": [],
            "defaultRole": "viewer",
        }
    ]
    assert worlds.export(worlds.build(copy.deepcopy(exported))) == exported
