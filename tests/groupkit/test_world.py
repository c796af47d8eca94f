"""groupkit.world: the world format read, checked and built in one pass (every item against the contract,
in linear time), and exported; a world refused over the control API and by `--fixtures`."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from groupkit import contract
from groupkit import world as worlds
from groupkit.app import create_app
from groupkit.cli import main
from groupkit.store import Store
from tests.conftest import DEFAULT_WORLD, auth, free_port
from tests.groupkit.test_app import assert_error


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


# ----------------------------------------------------------------- every item checked against the contract


def _wrong(schema: dict[str, Any]) -> Any:
    """A value of the wrong JSON type for a field's schema."""
    return "7" if schema.get("type") in ("integer", "array") else 7


def _field_schemas(kind: str) -> dict[str, dict[str, Any]]:
    """Each field of a kind with its schema (the contract's component's, or the format's own)."""
    document = contract.default()
    schema = worlds.SCHEMAS[kind]
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        component = document["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]
        properties = {**component["properties"], **properties}
    return {name: properties[name] for name in worlds.FIELDS[kind]}


WRONG_TYPES = [
    pytest.param(kind, name, schema, id=f"{kind}.{name}")
    for kind in worlds.KEYS
    for name, schema in _field_schemas(kind).items()
]


@pytest.mark.parametrize(("kind", "name", "schema"), WRONG_TYPES)
def test_every_field_of_every_item_is_checked(kind: str, name: str, schema: dict[str, Any]) -> None:
    """A value the contract's schema refuses (a group whose name is a number, ...) is never loaded, so the
    API never answers it (it would fail response validation: a 500)."""
    found = problems_of(lambda w: w[kind][0].update({name: _wrong(schema)}))
    assert any(p.startswith(f"{kind}[0].{name}") for p in found), found


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("groups", "name"),
        ("groups", "tags"),
        ("users", "firstName"),
        ("devices", "name"),
        ("apiKeys", "token"),
    ],
)
def test_a_lone_surrogate_is_refused(kind: str, name: str) -> None:
    value: Any = ["ok", "x\ud800"] if name == "tags" else "x\udfff"
    found = problems_of(lambda w: w[kind][0].update({name: value}))
    assert found == [f"{kind}[0].{name}: holds a lone surrogate, which no UTF-8 text can carry"]


@pytest.mark.parametrize("email", ["a@", "@b", "no-at", "a b@c.d"])
def test_a_user_whose_email_is_no_email_is_refused(email: str) -> None:
    found = problems_of(lambda w: w["users"][6].update(email=email))
    assert found == [f"users[6].email: {email!r} is not an e-mail address"]


NUMBER_NAMED = broken(lambda w: w["groups"][0].update(name=42))


def test_a_world_with_a_group_named_by_a_number_is_refused_over_the_control_api(client: httpx.Client) -> None:
    before = client.get("/__mock__/state").json()
    response = client.put("/__mock__/state", json=NUMBER_NAMED)
    assert_error(response, 400, "BAD_REQUEST")
    assert "groups[0].name: 42 is not of type 'string'" in response.json()["details"]
    assert client.get("/__mock__/state").json() == before
    acme = DEFAULT_WORLD["groups"][0]["id"]
    assert client.get("/group", params={"groupId": acme}, headers=auth("alice")).status_code == 200
    assert client.get("/user/groups", headers=auth("alice")).status_code == 200


@pytest.mark.parametrize(
    ("world", "problem"),
    [
        pytest.param(NUMBER_NAMED, "groups[0].name: 42 is not of type 'string'", id="number-name"),
        pytest.param(
            broken(lambda w: w["groups"][0].update(name="x\ud800")),
            "groups[0].name: holds a lone surrogate",
            id="lone-surrogate",  # accepted before, and then GET /__mock__/state answered 500
        ),
    ],
)
def test_a_broken_world_is_refused_by_fixtures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], world: dict[str, Any], problem: str
) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    with pytest.raises(worlds.InvalidWorld):
        create_app(str(path))
    assert main(["mock", "--fixtures", str(path), "--port", str(free_port())]) == 2
    assert problem in capsys.readouterr().err


# ----------------------------------------------------------------- deep worlds, positions


def _chain(depth: int) -> dict[str, Any]:
    world = copy.deepcopy(DEFAULT_WORLD)
    parent = world["groups"][0]["id"]
    for level in range(depth):
        group = {"id": f"chain-{level}", "parent": parent, "token": f"t{level}"}
        world["groups"].append({**group, "createdAt": "2026-01-01", "updatedAt": "2026-01-01"})
        parent = group["id"]
    return world


def test_a_deep_chain_is_checked_in_linear_time() -> None:
    """The parent check passes each group once (it walked every group's whole line, and built a list of
    it: cubic, ~2 s at 800 levels); a cycle closing at the bottom of a long chain is still found."""
    for depth in (2500, 5000):
        started = time.perf_counter()
        state = worlds.build(_chain(depth))
        assert len(state.groups()) == depth + 6
        assert time.perf_counter() - started < 3
    cyclic = _chain(3000)
    cyclic["groups"][6]["parent"] = "chain-2999"
    found = worlds.problems(cyclic)
    assert len(found) == 1 and "form a cycle of parents" in found[0]


def test_positions_give_items_their_numbers_and_are_checked() -> None:
    store = Store.from_world(copy.deepcopy(DEFAULT_WORLD))
    store.create_group(store.demo_users()[0].id, name="late")
    state_positions = worlds.positions(store._state)
    rebuilt = worlds.build(store.export(), positions=state_positions)
    assert worlds.positions(rebuilt) == state_positions
    assert [g.seq for g in rebuilt.groups()] == list(state_positions.groups)
    assert rebuilt.seq_counter == state_positions.next
    exported = store.export()
    groups, memberships, devices, after = (
        state_positions.groups,
        state_positions.memberships,
        state_positions.devices,
        state_positions.next,
    )
    for wrong, problem in (
        (
            worlds.Positions(groups[1:], memberships, devices, after),
            "positions.groups: 6 numbers for 7 groups",
        ),
        (
            worlds.Positions(groups, memberships, (groups[0], *devices[1:]), after),
            "positions: a number is used twice",
        ),
        (
            worlds.Positions(groups, memberships, devices, after - 1),
            f"positions.next: {after - 1} is not above",
        ),
        (
            worlds.Positions(groups, memberships, (*devices[:-1], 0), after),
            "positions: every number is a positive",
        ),
        (
            worlds.Positions(groups, memberships, (devices[1], devices[0], *devices[2:]), after),
            "devices[1]: its position is not after the previous item of its list",
        ),
    ):
        with pytest.raises(worlds.InvalidWorld) as refused:
            worlds.build(copy.deepcopy(exported), positions=wrong)
        assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith(problem), (
            refused.value.problems
        )
