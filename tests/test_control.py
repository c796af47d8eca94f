"""The control API (/__mock__/): health, demo users, reset, export/import and the request journal."""

from __future__ import annotations

import copy

import httpx
import pytest

from groupkit.app import create_app

from .conftest import DEFAULT_WORLD, auth, group_id

ACME = group_id(DEFAULT_WORLD, "ACME Logistics")


def test_health_and_demo_users(client: httpx.Client) -> None:
    assert client.get("/__mock__/health").json() == {"status": "ok", "users": 7, "groups": 6}
    users = client.get("/__mock__/users").json()["items"]
    assert [u["token"] for u in users][:2] == ["demo-token-alice", "demo-token-bruno"]
    assert all(u["token"] for u in users)  # the pending invitee has no token and is not listed


def test_reset_restores_the_starting_world(client: httpx.Client) -> None:
    client.post("/group", json={"name": "Scratch"}, headers=auth("alice")).raise_for_status()
    assert client.get("/__mock__/health").json()["groups"] == 7
    assert client.post("/__mock__/reset").json()["groups"] == 6
    assert client.get("/__mock__/state").json() == DEFAULT_WORLD


def test_export_then_import_round_trips(client: httpx.Client) -> None:
    created = client.post("/group", json={"name": "Kept"}, headers=auth("alice")).json()
    saved = client.get("/__mock__/state").json()
    client.post("/__mock__/reset").raise_for_status()
    assert client.put("/__mock__/state", json=saved).json()["status"] == "imported"
    assert client.get("/__mock__/state").json() == saved
    read = client.get("/group", params={"groupId": created["id"]}, headers=auth("alice"))
    assert read.json()[0]["name"] == "Kept"


@pytest.mark.parametrize(
    "breakage, message",
    [
        pytest.param(lambda w: w["devices"][0].pop("groupId"), "groupId", id="device-missing-field"),
        pytest.param(lambda w: w["devices"][0].update(seenAt="yesterday"), "seenAt", id="device-wrong-type"),
        pytest.param(
            lambda w: w["memberships"][0].update(groupId="nowhere"), "nowhere", id="dangling-reference"
        ),
        pytest.param(
            lambda w: w["users"][1].update(email=w["users"][0]["email"]), "email", id="duplicate-email"
        ),
        pytest.param(lambda w: w.update(format="other/9"), "format", id="wrong-format"),
    ],
)
def test_a_broken_import_is_refused_and_the_state_kept(client: httpx.Client, breakage, message: str) -> None:
    before = client.get("/__mock__/state").json()
    world = copy.deepcopy(DEFAULT_WORLD)
    breakage(world)
    response = client.put("/__mock__/state", json=world)
    assert response.status_code == 400
    assert message in " ".join(response.json()["details"]) + response.json()["message"]
    assert client.get("/__mock__/state").json() == before


def test_an_import_that_is_not_json_is_refused(client: httpx.Client) -> None:
    response = client.put("/__mock__/state", content=b"\xff{", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_the_journal_records_filters_and_clears(client: httpx.Client) -> None:
    client.get("/user/groups", headers=auth("alice"))
    client.post("/group", json={"name": "Journaled"}, headers=auth("alice"))
    client.get("/group", params={"groupId": "nope"}, headers=auth("alice"))
    client.get("/__mock__/health")  # the control API is not journaled
    entries = client.get("/__mock__/journal").json()["items"]
    assert [(e["operationId"], e["status"]) for e in entries] == [
        ("listUserGroups", 200),
        ("createGroup", 200),
        ("getGroup", 404),
    ]
    assert entries[1]["body"] == {"name": "Journaled"} and entries[1]["method"] == "POST"
    assert entries[2]["query"] == {"groupId": ["nope"]}
    only = client.get("/__mock__/journal", params={"operationId": "createGroup"}).json()["items"]
    assert [e["path"] for e in only] == ["/group"]
    assert client.delete("/__mock__/journal").json() == {"cleared": 3}
    assert client.get("/__mock__/journal").json()["items"] == []


def test_the_journal_is_bounded() -> None:
    app = create_app(journal_size=2)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))

    async def go() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            for _ in range(3):
                await http.get("/group/roles", headers=auth("dan"))
            return [e["id"] for e in (await http.get("/__mock__/journal")).json()["items"]]

    import asyncio

    assert asyncio.run(go()) == [2, 3]


@pytest.mark.parametrize("from_anywhere, status", [(False, 403), (True, 200)])
def test_the_control_api_answers_loopback_only_unless_told(from_anywhere: bool, status: int) -> None:
    """The client address is set in the ASGI scope; no traffic leaves the process."""
    app = create_app(control_from_anywhere=from_anywhere)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 5000))  # TEST-NET-1, never contacted

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await http.get("/__mock__/health")

    import asyncio

    assert asyncio.run(go()).status_code == status
