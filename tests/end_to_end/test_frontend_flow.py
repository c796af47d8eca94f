"""A frontend's day against the mock (real uvicorn on loopback, default fixtures): sign in with a fixture
token, create a group and a sub-group, invite and re-role members, manage an API key, page through devices
and users, and see every change in every list and count."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import DEFAULT_WORLD, auth, group_id, user_id


def walk(client: httpx.Client, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_token = None
    for _ in range(100):
        query = {**params, **({"nextToken": next_token} if next_token else {})}
        page = client.get(path, params=query, headers=auth(token))
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= params.get("limit", 20)
        items.extend(body["items"])
        next_token = body.get("nextToken")
        if not next_token:
            return items
    raise AssertionError("nextToken never ended")


def test_frontend_flow(client: httpx.Client) -> None:
    alice = "alice"
    # Sign in: the fixture token lists Alice's groups (her root group and every sub-group).
    mine = walk(client, "/user/groups", alice, limit=2)
    assert {g["name"] for g in mine} == {
        "ACME Logistics",
        "ACME Lyon Warehouse",
        "ACME Rotterdam Port",
        "Rotterdam Reefer Fleet",
    }

    # Create a group, then a sub-group under it.
    hub = client.post(
        "/group", json={"name": "Paris Hub", "description": "Rungis", "tags": ["paris"]}, headers=auth(alice)
    )
    assert hub.status_code == 200, hub.text
    hub_id = hub.json()["id"]
    assert hub.json()["role"]["id"] == "administrator" and hub.json()["ownerId"] == user_id(
        DEFAULT_WORLD, "alice"
    )
    room = client.post(
        "/group", params={"parentId": hub_id}, json={"name": "Cold Room 1"}, headers=auth(alice)
    )
    assert room.status_code == 200 and room.json()["parent"] == hub_id
    names = {g["name"] for g in walk(client, "/user/groups", alice)}
    assert {"Paris Hub", "Cold Room 1"} <= names

    # Invite a new colleague (pending user) and an existing one; change a role.
    farah = client.put(
        "/group/invite",
        json={"email": "farah.haddad@acme-logistics.example", "groupId": hub_id, "roleId": "viewer"},
        headers=auth(alice),
    )
    assert farah.status_code == 200 and farah.json()["role"]["id"] == "viewer"
    farah_id = farah.json()["userId"]
    bruno_id = user_id(DEFAULT_WORLD, "bruno")
    invited = client.put(
        "/group/invite",
        json={"email": "bruno.keller@acme-logistics.example", "groupId": hub_id, "roleId": "viewer"},
        headers=auth(alice),
    )
    assert invited.status_code == 200 and invited.json()["userId"] == bruno_id
    again = client.put(
        "/group/invite",
        json={"email": "BRUNO.keller@acme-logistics.example", "groupId": hub_id, "roleId": "viewer"},
        headers=auth(alice),
    )
    assert again.status_code == 409
    changed = client.put(
        "/group/user",
        json={"userId": farah_id, "groupId": hub_id, "roleId": "installer"},
        headers=auth(alice),
    )
    assert changed.status_code == 200 and changed.json()["role"]["id"] == "installer"
    members = {
        u["email"]: u["role"]["id"] for u in walk(client, "/group/users", alice, groupId=hub_id, limit=1)
    }
    assert members == {
        "alice.martin@acme-logistics.example": "administrator",
        "farah.haddad@acme-logistics.example": "installer",
        "bruno.keller@acme-logistics.example": "viewer",
    }
    # Bruno is Administrator of ACME Logistics but only a Viewer here; he sees the hub and, by inheritance,
    # its sub-group, and cannot change them.
    bruno_groups = {g["name"]: g["role"]["id"] for g in walk(client, "/user/groups", "bruno")}
    assert bruno_groups["Paris Hub"] == "viewer" and bruno_groups["Cold Room 1"] == "viewer"
    assert (
        client.put("/group", json={"groupId": hub_id, "name": "Mine"}, headers=auth("bruno")).status_code
        == 403
    )
    # Eva, another tenant, cannot see any of it.
    assert client.get("/group", params={"groupId": hub_id}, headers=auth("eva")).status_code == 404
    assert "Paris Hub" not in {g["name"] for g in walk(client, "/user/groups", "eva")}

    # External API keys: add, conflict, update, delete, gone.
    key = {"groupId": hub_id, "type": "SIGFOX", "token": "5f1c0e9b7a3d2c48e6b1a0f9", "name": "Sigfox backend"}
    assert client.post("/group/apiKey", json=key, headers=auth(alice)).json()["token"] == key["token"]
    assert (
        client.post("/group/apiKey", json={**key, "type": "sigfox"}, headers=auth(alice)).status_code == 409
    )
    updated = client.put(
        "/group/apiKey", json={"groupId": hub_id, "type": "sigfox", "token": "8a2e4c6b"}, headers=auth(alice)
    )
    assert (
        updated.status_code == 200
        and updated.json()["token"] == "8a2e4c6b"
        and updated.json()["name"] == "Sigfox backend"
    )
    gone = client.delete("/group/apiKey", params={"groupId": hub_id, "type": "SIGFOX"}, headers=auth(alice))
    assert gone.status_code == 200
    assert (
        client.delete(
            "/group/apiKey", params={"groupId": hub_id, "type": "SIGFOX"}, headers=auth(alice)
        ).status_code
        == 404
    )
    assert (
        client.put(
            "/group/apiKey", json={"groupId": hub_id, "type": "SIGFOX"}, headers=auth(alice)
        ).status_code
        == 404
    )

    # Page through a group's devices: every device once, and the count agrees.
    fleet = group_id(DEFAULT_WORLD, "Rotterdam Reefer Fleet")
    devices = walk(client, "/group/devices", alice, groupId=fleet, limit=5)
    assert len(devices) == len({d["deviceId"] for d in devices}) == 14
    fleet_group = client.get("/group", params={"groupId": fleet}, headers=auth(alice)).json()[0]
    assert fleet_group["numberOfDevices"] == len(devices)
    assert {d["network"] for d in devices} == {"SIGFOX", "LORAWAN"}

    # Rename the hub and remove Farah: every read shows it.
    renamed = client.put("/group", json={"groupId": hub_id, "name": "Paris Rungis Hub"}, headers=auth(alice))
    assert renamed.status_code == 200 and renamed.json()["description"] == "Rungis"  # unsent fields kept
    assert (
        client.get("/group", params={"groupId": hub_id}, headers=auth(alice)).json()[0]["name"]
        == "Paris Rungis Hub"
    )
    assert "Paris Rungis Hub" in {g["name"] for g in walk(client, "/user/groups", alice)}
    removed = client.delete(
        "/group/user", params={"groupId": hub_id, "userId": farah_id}, headers=auth(alice)
    )
    assert removed.status_code == 200
    assert farah_id not in {u["id"] for u in walk(client, "/group/users", alice, groupId=hub_id)}

    # The journal saw what the frontend sent, in order.
    journal = client.get("/__mock__/journal", params={"operationId": "inviteUser"}).json()["items"]
    assert [e["body"]["email"] for e in journal] == [
        "farah.haddad@acme-logistics.example",
        "bruno.keller@acme-logistics.example",
        "BRUNO.keller@acme-logistics.example",
    ]
    assert [e["status"] for e in journal] == [200, 200, 409]
