"""Sabotage variants that let a member do what their role forbids (function-level authorization): a Viewer
who can update a group, an Installer who can manage members. Caught by `permissions_are_enforced`, which
the kit runs with the demo users as personas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import httpx

from groupkit import roles
from groupkit.errors import Forbidden
from groupkit.model import GroupChanges, GroupView, MembershipView, Removal
from groupkit.store import Store
from tests.conformance.sabotage.seams import ACME, expect, mock, variant
from tests.conftest import DEFAULT_WORLD, TOKENS, group_id

LYON = group_id(DEFAULT_WORLD, "ACME Lyon Warehouse")
T = TypeVar("T")


class Sloppy(Store):
    """A store whose permission check is skipped for one role (`lenient`) on some verbs: a refused write is
    done on behalf of a member who may do it."""

    lenient = roles.VIEWER

    def insider(self, group_id: str, permission: str) -> str | None:
        for user in self.demo_users():
            role = self.effective_role(user.id, group_id)
            if role is not None and role.allows(permission):
                return user.id
        return None

    def anyway(self, user_id: str, group_id: str, permission: str, verb: Callable[[str], T]) -> T:
        try:
            return verb(user_id)
        except Forbidden:
            insider = self.insider(group_id, permission)
            if self.effective_role(user_id, group_id) is not self.lenient or insider is None:
                raise
            return verb(insider)


class ViewerUpdates(Sloppy):  # the update handler checks membership, not the permission
    def update_group(self, user_id: str, group_id: str, changes: GroupChanges) -> GroupView:
        view = self.anyway(
            user_id,
            group_id,
            roles.UPDATE,
            lambda who: super(ViewerUpdates, self).update_group(who, group_id, changes),
        )
        return replace(view, viewer_id=user_id, role=roles.VIEWER) if view.viewer_id != user_id else view


@variant(
    "viewer-updates-group",
    "a Viewer's PUT /group is done instead of refused with 403 (the handler checks membership only)",
    build=lambda: mock(store_class=ViewerUpdates),
    include="PUT /group",
    checks="permissions_are_enforced",
    max_examples=3,
)
def viewer_updates_group(http: httpx.Client) -> bool:
    as_dan = {"Authorization": TOKENS["dan"]}
    body = {"groupId": ACME, "description": "changed by a viewer"}
    answer = expect(http.put("/group", json=body, headers=as_dan), 200, 403)
    return answer.status_code == 200


class InstallerManagesMembers(Sloppy):  # member verbs check "any write permission" instead of the member ones
    lenient = roles.INSTALLER

    def invite(self, user_id: str, group_id: str, email: str, role_id: str) -> MembershipView:
        return self.anyway(
            user_id,
            group_id,
            roles.INVITE,
            lambda who: super(InstallerManagesMembers, self).invite(who, group_id, email, role_id),
        )

    def update_member(self, user_id: str, group_id: str, member_id: str, role_id: str) -> MembershipView:
        return self.anyway(
            user_id,
            group_id,
            roles.UPDATE_MEMBER,
            lambda who: super(InstallerManagesMembers, self).update_member(who, group_id, member_id, role_id),
        )

    def remove_member(self, user_id: str, group_id: str, member_id: str | None) -> Removal:
        return self.anyway(
            user_id,
            group_id,
            roles.REMOVE_MEMBER,
            lambda who: super(InstallerManagesMembers, self).remove_member(who, group_id, member_id),
        )


@variant(
    "installer-manages-members",
    "an Installer can invite, re-role and remove members (403 expected: Installers only write devices)",
    build=lambda: mock(store_class=InstallerManagesMembers),
    include=("PUT /group/invite", "DELETE /group/user"),
    checks="permissions_are_enforced",
    max_examples=3,
)
def installer_manages_members(http: httpx.Client) -> bool:
    as_chloe = {"Authorization": TOKENS["chloe"]}
    body = {"groupId": LYON, "email": "newcomer@acme-logistics.example", "roleId": "viewer"}
    answer = expect(http.put("/group/invite", json=body, headers=as_chloe), 200, 403)
    return answer.status_code == 200


VARIANTS = (viewer_updates_group, installer_manages_members)
