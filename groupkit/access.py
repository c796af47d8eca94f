"""The access rules (docs/contract-decisions.md): who holds which role in which group, what a role lets
them do, and which roles they may grant. Pure functions of a `State`; they read it and never write it.

A user's effective role in a group is the highest-ranked of their direct memberships in the group and its
ancestors ("permission trickles down"). A group the caller has no effective role in does not exist for
them (NotFound), reads included.
"""

from __future__ import annotations

from collections.abc import Iterable
from weakref import WeakKeyDictionary

from . import roles
from .errors import Forbidden, NotFound
from .model import Group, Membership
from .roles import BUILT_IN, Role
from .state import State


def effective_role(state: State, user_id: str, group: Group) -> Role | None:
    """The highest role the user holds in the group or above it; None if they hold none."""
    memberships = state.memberships_of(user_id)
    if not memberships:
        return None
    best: Role | None = None
    for node in state.ancestry(group):
        membership = memberships.get(node.id)
        if membership is not None:
            role = BUILT_IN[membership.role_id]
            if best is None or role.rank > best.rank:
                best = role
    return best


def require(state: State, user_id: str, group_id: str, permission: str = roles.READ) -> tuple[Group, Role]:
    """The group and the caller's effective role in it, if that role allows `permission`.

    NotFound if the group is unknown or the caller has no role in it; Forbidden if their role lacks the
    permission."""
    group = state.group(group_id)
    role = effective_role(state, user_id, group) if group is not None else None
    if group is None or role is None:
        raise NotFound("Group not found")
    if not role.allows(permission):
        raise Forbidden(f"Your role in this group ({role.name}) does not allow {permission}")
    return group, role


def known_role(role_id: str) -> Role:
    role = BUILT_IN.get(role_id)
    if role is None:
        raise NotFound(f"Role {role_id!r} not found")
    return role


def grantable(caller_role: Role, role_id: str) -> Role:
    """The role `role_id`, if a caller holding `caller_role` may grant it: never the Subscriber's, never
    above their own."""
    role = known_role(role_id)
    if role is roles.SUBSCRIBER:
        raise Forbidden("The Subscriber role cannot be granted")
    if role.rank > caller_role.rank:
        raise Forbidden(f"You cannot grant a role above your own ({caller_role.name})")
    return role


def direct_membership(state: State, group: Group, user_id: str) -> Membership:
    membership = state.membership(user_id, group.id)
    if membership is None:
        raise NotFound(f"User {user_id!r} is not a direct member of this group")
    return membership


def has_administrator(state: State, group: Group, member_id: str, role: Role | None) -> bool:
    """Whether someone could still manage the group's members, in it or above it, if `member_id`'s direct
    role in `group` were `role` (None: if they were no longer a member)."""
    for node in state.ancestry(group):
        for membership in state.members(node.id):
            if node.id == group.id and membership.user_id == member_id:
                held = role
            else:
                held = BUILT_IN[membership.role_id]
            if held is not None and held.allows(roles.UPDATE_MEMBER):
                return True
    return False


def is_within(state: State, group: Group, ancestor_id: str) -> bool:
    """Whether `ancestor_id` names the group itself or one of its ancestors."""
    return any(node.id == ancestor_id for node in state.ancestry(group))


def visible_groups(state: State, user_id: str) -> dict[str, tuple[Group, Role]]:
    """Every group the user has an effective role in, with that role: the subtrees of their direct
    memberships, each role carried down and raised by the memberships met on the way.

    Linear in the groups returned: a group is entered again only when a higher role reaches it, which
    happens at most once per built-in role, and nothing walks up an ancestry. Iterative, so a chain of
    any depth is fine."""
    memberships = state.memberships_of(user_id)
    found: dict[str, tuple[Group, Role]] = {}
    for group_id, membership in memberships.items():
        group = state.group(group_id)
        assert group is not None, f"user {user_id} is a member of an unknown group {group_id}"
        stack = [(group, BUILT_IN[membership.role_id])]
        while stack:
            node, role = stack.pop()
            held = found.get(node.id)
            if held is not None and held[1].rank >= role.rank:
                continue  # entered already with this role or a higher one, and so was everything below
            direct = memberships.get(node.id)
            if direct is not None and BUILT_IN[direct.role_id].rank > role.rank:
                role = BUILT_IN[direct.role_id]
            found[node.id] = (node, role)
            for child_id in state.children(node.id):
                child = state.group(child_id)
                assert child is not None, f"group {node.id} lists an unknown child {child_id}"
                stack.append((child, role))
    return found


class VisibleGroups:
    """The groups a user has an effective role in, as of one `State.visibility_version`: their sequence
    numbers in ascending order (a page is found by bisection) and, under each, the group's id and the role."""

    __slots__ = ("version", "seqs", "by_seq")

    def __init__(self, version: tuple[int, int], found: dict[str, tuple[Group, Role]]) -> None:
        self.version = version
        self.by_seq = {group.seq: (group.id, role) for group, role in found.values()}
        self.seqs = sorted(self.by_seq)


# Per state, per user: the last `VisibleGroups` computed. Weak, so a state dropped (a reset) takes its own.
_VISIBLE: WeakKeyDictionary[State, dict[str, VisibleGroups]] = WeakKeyDictionary()


def visible_index(state: State, user_id: str) -> VisibleGroups:
    """`visible_groups` kept sorted by sequence number, computed again only when the state's
    `visibility_version` for the user has changed since: so paging costs O(limit + log n) per request once
    it is built, and a write that changes the tree or the user's memberships pays one walk at the next
    read. Callers hold the store's lock, as for every other read."""
    version = state.visibility_version(user_id)
    cached = _VISIBLE.setdefault(state, {})
    index = cached.get(user_id)
    if index is None or index.version != version:
        index = cached[user_id] = VisibleGroups(version, visible_groups(state, user_id))
    return index


def subscribers(state: State, groups: Iterable[Group]) -> set[str]:
    """The users who hold the Subscriber role directly in one of `groups`."""
    return {
        membership.user_id
        for group in groups
        for membership in state.members(group.id)
        if membership.role_id == roles.SUBSCRIBER.id
    }


def keeps_its_subscribers(state: State, group: Group, new_parent: Group) -> bool:
    """Whether moving `group` under `new_parent` leaves every Subscriber of the group (and so of its
    sub-groups) its Subscriber: the Subscribers reaching it from above now must reach it from the new
    parent's line, unless they hold the role in the group itself."""
    above_now = subscribers(state, list(state.ancestry(group))[1:])
    above_after = subscribers(state, state.ancestry(new_parent))
    return above_now <= above_after | subscribers(state, (group,))
