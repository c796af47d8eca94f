"""Sabotage variants that answer a write but never commit it: each runs one verb on a scratch copy of the
world (`ScratchStore`), so the answer is right and the stored world unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from groupkit.model import ApiKey, GroupChanges, GroupView, MembershipView, Removal
from tests.conformance.sabotage.seams import (
    ACME,
    AS_ALICE,
    DAN,
    ScratchStore,
    expect,
    mock,
    require,
    variant,
    walk,
)


class KeyNeverDeleted(ScratchStore):
    def delete_api_key(self, user_id: str, group_id: str, key_type: str) -> None:
        self.scratch().delete_api_key(user_id, group_id, key_type)


@variant(
    "delete-does-nothing",
    "DELETE /group/apiKey answers 200 but the key stays",
    build=lambda: mock(store_class=KeyNeverDeleted),
    include="DELETE /group/apiKey",
    checks="deleted_key_stays_deleted",
)
def delete_does_nothing(http: httpx.Client) -> bool:
    key = {"groupId": ACME, "type": "SIGFOX"}
    expect(http.delete("/group/apiKey", params=key, headers=AS_ALICE), 200)
    return expect(http.delete("/group/apiKey", params=key, headers=AS_ALICE), 200, 404).status_code == 200


class UpdateLost(ScratchStore):
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        return self.scratch().update_group(user_id, group_id, changes)


@variant(
    "update-lost",
    "PUT /group answers the new values but never stores them",
    build=lambda: mock(store_class=UpdateLost),
    include="PUT /group",
    checks="update_is_persisted",
)
def update_lost(http: httpx.Client) -> bool:
    answer = expect(http.put("/group", json={"groupId": ACME, "name": "Renamed"}, headers=AS_ALICE), 200)
    require(answer.json()["name"] == "Renamed", f"PUT /group answered {answer.json()}")
    read = expect(http.get("/group", params={"groupId": ACME}, headers=AS_ALICE), 200)
    return bool(read.json()[0]["name"] != "Renamed")


class GroupNeverStored(ScratchStore):
    def create_group(
        self,
        user_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        parent_id: str | None = None,
    ) -> GroupView:
        fields: dict[str, Any] = {
            "name": name,
            "description": description,
            "tags": tags,
            "parent_id": parent_id,
        }
        return self.scratch().create_group(user_id, **fields)


@variant(
    "created-group-unreadable",
    "POST /group answers the new group but never stores it (GET /group answers 404)",
    build=lambda: mock(store_class=GroupNeverStored),
    include="POST /group",
    checks="created_group_is_readable",
)
def created_group_unreadable(http: httpx.Client) -> bool:
    created = expect(http.post("/group", json={"name": "Ghost"}, headers=AS_ALICE), 200).json()
    read = expect(http.get("/group", params={"groupId": created["id"]}, headers=AS_ALICE), 200, 404)
    return read.status_code == 404


class KeyNeverStored(ScratchStore):
    def create_api_key(self, user_id: str, group_id: str, key_type: str, name: str, token: str) -> ApiKey:
        return self.scratch().create_api_key(user_id, group_id, key_type, name, token)


@variant(
    "key-not-stored",
    "POST /group/apiKey answers the new key but never stores it",
    build=lambda: mock(store_class=KeyNeverStored),
    include="POST /group/apiKey",
    checks="created_key_is_stored",
)
def key_not_stored(http: httpx.Client) -> bool:
    body = {"groupId": ACME, "type": "LORA", "token": "secret", "name": "LoRa backend"}
    expect(http.post("/group/apiKey", json=body, headers=AS_ALICE), 200)
    read = http.put("/group/apiKey", json={"groupId": ACME, "type": "LORA"}, headers=AS_ALICE)
    return expect(read, 200, 404).status_code == 404


def acme_members(http: httpx.Client) -> dict[str, Any]:
    """ACME's user list, by user id."""
    members, ended = walk(http, "/group/users", limit=100, groupId=ACME)
    require(ended, "the walk of ACME's user list did not end")
    return {member["id"]: member for member in members}


class MemberNeverRemoved(ScratchStore):
    def remove_member(self, user_id: str, group_id: str, member_id: str | None) -> Removal:
        return self.scratch().remove_member(user_id, group_id, member_id)


@variant(
    "member-not-removed",
    "DELETE /group/user answers 200 but the member stays",
    build=lambda: mock(store_class=MemberNeverRemoved),
    include="DELETE /group/user",
    checks="removed_member_is_gone",
)
def member_not_removed(http: httpx.Client) -> bool:
    expect(http.delete("/group/user", params={"groupId": ACME, "userId": DAN}, headers=AS_ALICE), 200)
    return DAN in acme_members(http)


class InviteNeverStored(ScratchStore):
    def invite(self, user_id: str, group_id: str, email: str, role_id: str) -> MembershipView:
        return self.scratch().invite(user_id, group_id, email, role_id)


@variant(
    "invite-not-listed",
    "PUT /group/invite answers the new membership but never stores it",
    build=lambda: mock(store_class=InviteNeverStored),
    include="PUT /group/invite",
    checks="invited_member_is_listed",
)
def invite_not_listed(http: httpx.Client) -> bool:
    body = {"groupId": ACME, "email": "new.hire@acme-logistics.example", "roleId": "viewer"}
    invited = expect(http.put("/group/invite", json=body, headers=AS_ALICE), 200).json()
    return invited["userId"] not in acme_members(http)


class RoleNeverStored(ScratchStore):
    def update_member(self, user_id: str, group_id: str, member_id: str, role_id: str) -> MembershipView:
        return self.scratch().update_member(user_id, group_id, member_id, role_id)


@variant(
    "role-change-lost",
    "PUT /group/user answers the new role but the member keeps the old one",
    build=lambda: mock(store_class=RoleNeverStored),
    include="PUT /group/user",
    checks="updated_role_is_listed",
)
def role_change_lost(http: httpx.Client) -> bool:
    body = {"groupId": ACME, "userId": DAN, "roleId": "installer"}
    answer = expect(http.put("/group/user", json=body, headers=AS_ALICE), 200).json()
    require(answer["role"]["id"] == "installer", f"PUT /group/user answered {answer}")
    members = acme_members(http)
    require(DAN in members, "Dan is no longer in ACME's user list")
    return bool(members[DAN]["role"]["id"] != "installer")


VARIANTS = (
    delete_does_nothing,
    update_lost,
    created_group_unreadable,
    key_not_stored,
    member_not_removed,
    invite_not_listed,
    role_change_lost,
)
