"""The member verbs: invite by email, change a member's role, remove a member or leave, list the members.

Functions of a `State` and the caller; they check every rule before they write, so a refused call changes
nothing. Two rules guard every change: nobody acts on a member ranked above them, and a group always keeps
someone (in it or above it) who can manage its members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from . import access, roles
from .errors import Conflict, Forbidden
from .model import Member, MembershipView, Removal, User
from .pagination import Page
from .roles import BUILT_IN
from .state import State


def invite(
    state: State,
    user_id: str,
    group_id: str,
    email: str,
    role_id: str,
    *,
    today: str,
    new_id: Callable[[], str],
) -> MembershipView:
    """Make the owner of `email` (compared case-insensitively) a direct member with `role_id`; an unknown
    email becomes a pending user (no token)."""
    group, caller_role = access.require(state, user_id, group_id, roles.INVITE)
    role = access.grantable(caller_role, role_id)
    invitee = state.user_by_email(email)
    if invitee is None:
        invitee = User(new_id(), email, None, None, today, today)
        state.add_user(invitee)
    elif state.membership(invitee.id, group.id) is not None:
        raise Conflict(f"{email} is already a member of this group")
    state.add_membership(group.id, invitee.id, role.id)
    return MembershipView(group, invitee.id, role)


def change_role(state: State, user_id: str, group_id: str, member_id: str, role_id: str) -> MembershipView:
    """Give a direct member another role; the Subscriber's role never changes."""
    group, caller_role = access.require(state, user_id, group_id, roles.UPDATE_MEMBER)
    membership = access.direct_membership(state, group, member_id)
    role = access.grantable(caller_role, role_id)
    current = BUILT_IN[membership.role_id]
    if current is roles.SUBSCRIBER:
        raise Forbidden("The Subscriber's role cannot be changed")
    if current.rank > caller_role.rank:
        raise Forbidden(f"You cannot change the role of a member above you ({current.name})")
    if not access.has_administrator(state, group, member_id, role):
        raise Conflict("The group would be left without an Administrator")
    state.put_membership(replace(membership, role_id=role.id))
    return MembershipView(group, member_id, role)


def remove(state: State, user_id: str, group_id: str, member_id: str | None) -> Removal:
    """Remove a direct member, or leave (no `member_id`, or the caller's own); the Subscriber stays."""
    leaving = member_id is None or member_id == user_id
    permission = roles.READ if leaving else roles.REMOVE_MEMBER
    group, caller_role = access.require(state, user_id, group_id, permission)
    target_id = user_id if member_id is None else member_id
    membership = access.direct_membership(state, group, target_id)
    role = BUILT_IN[membership.role_id]
    if role is roles.SUBSCRIBER:
        raise Forbidden("The Subscriber cannot be removed from the group")
    if not leaving and role.rank > caller_role.rank:
        raise Forbidden(f"You cannot remove a member above you ({role.name})")
    if not access.has_administrator(state, group, target_id, None):
        raise Conflict("The group would be left without an Administrator")
    state.remove_membership(membership)
    return Removal.LEFT if leaving else Removal.REMOVED


def list_members(state: State, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Member]:
    """The group's direct members and their roles, in joining order."""
    group, _ = access.require(state, user_id, group_id)
    page = state.page_members(group.id, limit, token)
    members = []
    for membership in page.items:
        user = state.user(membership.user_id)
        assert user is not None, f"group {group.id} lists a member who is no user: {membership.user_id}"
        members.append(Member(user, BUILT_IN[membership.role_id]))
    return Page(members, page.next_token)
