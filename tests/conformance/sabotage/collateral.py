"""Sabotage variants whose writes damage what they were not asked to touch: deleting one API key removes
another key of the group, removing one member removes another, updating one group changes a sibling.
Caught by `neighbours_are_unchanged`."""

from __future__ import annotations

import httpx

from groupkit.errors import GroupkitError
from groupkit.model import GroupChanges, GroupView, Removal
from groupkit.store import Store
from tests.conformance.sabotage.seams import ACME, AS_ALICE, DAN, expect, mock, require, variant
from tests.conftest import DEFAULT_WORLD, user_id

BRUNO = user_id(DEFAULT_WORLD, "bruno")


class DeleteTakesASibling(Store):  # a DELETE that forgot "AND type = ?" for one more row
    def delete_api_key(self, user_id: str, group_id: str, key_type: str) -> None:
        super().delete_api_key(user_id, group_id, key_type)
        others = [k["type"] for k in self.export()["apiKeys"] if k["groupId"] == group_id]
        if others:
            super().delete_api_key(user_id, group_id, others[0])


@variant(
    "delete-key-removes-sibling",
    "deleting one API key of a group also deletes another key of that group",
    build=lambda: mock(store_class=DeleteTakesASibling),
    include="DELETE /group/apiKey",
    checks="neighbours_are_unchanged",
    max_examples=3,
)
def delete_key_removes_sibling(http: httpx.Client) -> bool:
    second = {"groupId": ACME, "type": "LORAWAN-SABOTAGE", "token": "t-1", "name": "second key"}
    expect(http.post("/group/apiKey", json=second, headers=AS_ALICE), 200)
    expect(http.delete("/group/apiKey", params={"groupId": ACME, "type": "SIGFOX"}, headers=AS_ALICE), 200)
    read = {"groupId": ACME, "type": "LORAWAN-SABOTAGE"}
    return expect(http.put("/group/apiKey", json=read, headers=AS_ALICE), 200, 404).status_code == 404


class RemovalTakesAnother(Store):  # removes by group and role instead of by user
    def remove_member(self, user_id: str, group_id: str, member_id: str | None) -> Removal:
        removal = super().remove_member(user_id, group_id, member_id)
        listed = self.list_group_users(user_id, group_id, 100, None).items
        for member in listed:
            if member.user.id not in (user_id, member_id):
                try:
                    super().remove_member(user_id, group_id, member.user.id)
                    break
                except GroupkitError:
                    continue
        return removal


@variant(
    "remove-member-removes-another",
    "removing one member of a group also removes another member",
    build=lambda: mock(store_class=RemovalTakesAnother),
    include="DELETE /group/user",
    checks="neighbours_are_unchanged",
    max_examples=3,
)
def remove_member_removes_another(http: httpx.Client) -> bool:
    expect(http.delete("/group/user", params={"groupId": ACME, "userId": DAN}, headers=AS_ALICE), 200)
    listed = expect(http.get("/group/users", params={"groupId": ACME}, headers=AS_ALICE), 200).json()["items"]
    require(DAN not in {m["id"] for m in listed}, "Dan is still listed after his removal")
    return BRUNO not in {m["id"] for m in listed}


class UpdateSpills(Store):  # an UPDATE ... WHERE parent = ? that should have been WHERE id = ?
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        view = super().update_group(user_id, group_id, changes)
        if changes.description is not None:
            for other in self.list_user_groups(user_id, 100, None).items:
                sibling = other.group
                if sibling.id != group_id and sibling.parent == view.group.parent:
                    try:
                        super().update_group(
                            user_id, sibling.id, GroupChanges(description=changes.description)
                        )
                    except GroupkitError:
                        continue
                    break
        return view


@variant(
    "update-changes-sibling",
    "updating a group's description also writes it into a sibling group",
    build=lambda: mock(store_class=UpdateSpills),
    include="PUT /group",
    checks="neighbours_are_unchanged",
    max_examples=3,
)
def update_changes_sibling(http: httpx.Client) -> bool:
    groups = expect(http.get("/user/groups", params={"limit": 100}, headers=AS_ALICE), 200).json()["items"]
    children = [g for g in groups if g.get("parent") == ACME]
    require(len(children) >= 2, "ACME has fewer than two sub-groups")
    first, second = children[0], children[1]
    body = {"groupId": first["id"], "description": "only the first one"}
    expect(http.put("/group", json=body, headers=AS_ALICE), 200)
    read = expect(http.get("/group", params={"groupId": second["id"]}, headers=AS_ALICE), 200).json()[0]
    return read.get("description") != second.get("description")


VARIANTS = (delete_key_removes_sibling, remove_member_removes_another, update_changes_sibling)
