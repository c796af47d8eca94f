"""Generated worlds: valid as the mock checks them, the asked sizes and depth, the same bytes for the same seed,
the edge cases of names present (and served unchanged), and the spreads that give long lists."""

from __future__ import annotations

import asyncio
import io
import json
import unicodedata
from collections import Counter
from typing import Any

import httpx
import pytest

from groupkit import world as worlds
from groupkit.addresses import EMAIL_MAX
from groupkit.app import create_app
from groupkit.worldgen import Spec, SpecError, dump, generate
from groupkit.worldgen.names import EDGE_NAMES, LONG_NAME

SPEC = Spec(groups=200, devices=1000, members=60, seed=11, depth=9)


def text(spec: Spec) -> str:
    out = io.StringIO()
    dump(generate(spec), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return json.loads(text(SPEC))  # type: ignore[no-any-return]


def depth_of(data: dict[str, Any]) -> int:
    parent = {g["id"]: g["parent"] for g in data["groups"]}

    def depth(group_id: str | None) -> int:
        levels = 0
        while group_id is not None:
            levels, group_id = levels + 1, parent[group_id]
        return levels

    return max(depth(g) for g in parent)


def test_a_generated_world_is_valid_and_of_the_asked_size(data: dict[str, Any]) -> None:
    assert worlds.problems(data) == []
    assert (len(data["groups"]), len(data["devices"]), len(data["users"])) == (200, 1000, 60)


def test_the_same_spec_gives_the_same_bytes_and_another_seed_another_world() -> None:
    small = Spec(groups=40, devices=200, members=15, seed=5)
    assert text(small) == text(small)
    assert text(small) != text(Spec(groups=40, devices=200, members=15, seed=6))


def test_groups_nest_exactly_as_deep_as_asked(data: dict[str, Any]) -> None:
    assert depth_of(data) == SPEC.depth
    deep = json.loads(text(Spec(groups=60, devices=0, members=3, depth=40)))
    assert depth_of(deep) == 40
    flat = json.loads(text(Spec(groups=25, devices=10, members=3, depth=1)))
    assert depth_of(flat) == 1 and all(g["parent"] is None for g in flat["groups"])
    worlds.build(deep), worlds.build(flat)


def test_every_edge_case_of_names_is_there(data: dict[str, Any]) -> None:
    names = [g["name"] for g in data["groups"]] + [d["name"] for d in data["devices"]]
    for kind, make in EDGE_NAMES.items():
        assert any(name == make(number) for number in range(len(names)) for name in names[:400]), kind
    assert any(len(name) == LONG_NAME for name in names)
    assert any(unicodedata.bidirectional(ch) == "AL" for name in names for ch in name)  # Arabic, RTL
    assert any(unicodedata.combining(ch) for name in names for ch in name)
    assert any(unicodedata.east_asian_width(ch) == "W" for name in names for ch in name)
    assert max(len(u["email"]) for u in data["users"]) == EMAIL_MAX
    people = [u.get("firstName", "") + u.get("lastName", "") for u in data["users"]]
    assert any(unicodedata.bidirectional(ch) == "R" for person in people for ch in person)  # Hebrew


def test_plain_names_when_edge_cases_are_off() -> None:
    plain = json.loads(text(Spec(groups=200, devices=500, members=40, edge_ratio=0)))
    names = [g["name"] for g in plain["groups"]] + [d["name"] for d in plain["devices"]]
    assert max(len(name) for name in names) < 60
    assert all(unicodedata.bidirectional(ch) in ("L", "EN", "WS", "ES", "CS") for n in names for ch in n)
    assert max(len(u["email"]) for u in plain["users"]) < 100


def test_lists_are_long_where_a_ui_needs_them(data: dict[str, Any]) -> None:
    per_group = Counter(d["groupId"] for d in data["devices"])
    assert per_group.most_common(1)[0][1] >= 100  # one list of devices pages 5 times at 20 a page
    assert len(per_group) < len(data["groups"])  # and some groups have none
    first_tenant = data["groups"][0]["id"]
    members = Counter(m["groupId"] for m in data["memberships"])
    assert members[first_tenant] >= 20
    children = Counter(g["parent"] for g in data["groups"] if g["parent"])
    assert children.most_common(1)[0][1] >= 10


def test_each_tenant_has_a_subscriber_who_signs_in(data: dict[str, Any]) -> None:
    tenants = {g["id"] for g in data["groups"] if g["parent"] is None}
    subscribers = {m["groupId"]: m["userId"] for m in data["memberships"] if m["roleId"] == "subscriber"}
    assert tenants <= set(subscribers)
    tokens = {u["id"]: u.get("token") for u in data["users"]}
    assert all(tokens[subscribers[t]] for t in tenants)
    assert any("token" not in u and "firstName" not in u for u in data["users"])  # a pending invitee


def test_the_mock_loads_it_and_serves_the_names_unchanged(data: dict[str, Any]) -> None:
    """The first tenant's subscriber walks their whole group list: every group of that tenant, names as
    written (response validation is on, so each page also matches the contract)."""
    app = create_app(data)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))

    async def walk() -> dict[str, str]:
        seen: dict[str, str] = {}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            token: str | None = None
            while True:
                params = {"limit": "100", **({"nextToken": token} if token else {})}
                page = await http.get("/user/groups", params=params, headers={"Authorization": "gen-token-0"})
                assert page.status_code == 200, page.text
                seen.update((g["id"], g["name"]) for g in page.json()["items"])
                token = page.json().get("nextToken")  # absent or null on the last page
                if token is None:
                    return seen

    tenant = {g["id"]: g["parent"] for g in data["groups"]}

    def root(group_id: str) -> str:
        while tenant[group_id] is not None:
            group_id = tenant[group_id]
        return group_id

    first = data["groups"][0]["id"]
    expected = {g["id"]: g["name"] for g in data["groups"] if root(g["id"]) == first}
    assert asyncio.run(walk()) == expected
    assert any(len(name) == LONG_NAME for name in expected.values())


def test_devices_and_groups_are_generated_lazily() -> None:
    lists = generate(Spec(groups=10, devices=10, members=2))
    assert not isinstance(lists["devices"], list) and not isinstance(lists["groups"], list)


@pytest.mark.parametrize(
    "spec, message",
    [
        pytest.param(Spec(groups=-1), "--groups must be 0 or more", id="negative"),
        pytest.param(Spec(groups=0, devices=5), "devices need groups", id="devices-without-groups"),
        pytest.param(Spec(groups=5, members=0), "groups need an owner", id="no-owner"),
        pytest.param(Spec(depth=0), "--depth must be 1 or more", id="depth"),
        pytest.param(Spec(edge_ratio=1.5), "--edge-ratio must be between 0 and 1", id="ratio"),
    ],
)
def test_a_spec_that_describes_no_world_is_refused(spec: Spec, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        generate(spec)


def test_an_empty_spec_is_the_empty_world() -> None:
    empty = json.loads(text(Spec(groups=0, devices=0, members=0)))
    assert empty == {"format": worlds.FORMAT, **{key: [] for key in worlds.KEYS}}
