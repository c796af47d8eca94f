"""The group verbs: the caller's groups, reading one, creating one, changing (or moving) one, and listing
its devices.

Functions of a `State` and the caller; they check every rule before they write, so a refused call changes
nothing. `groupkit.store.Store` calls them under its lock, with its clock and id generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from . import access, roles
from .errors import Conflict, Forbidden, NotFound
from .model import Device, Group, GroupChanges, GroupView
from .pagination import Page
from .roles import Role
from .state import State

T = TypeVar("T")


def view(state: State, viewer_id: str, group: Group, role: Role) -> GroupView:
    """The group as `viewer_id`, holding `role` there, sees it."""
    return GroupView(
        group,
        viewer_id,
        role,
        device_count=state.count_devices(group.id),
        connector_count=state.count_connectors(group.id),
        notification_count=state.count_notifications(group.id),
    )


def _view_for(state: State, user_id: str, group: Group) -> GroupView:
    role = access.effective_role(state, user_id, group)
    assert role is not None, f"{user_id} was shown group {group.id} without a role in it"
    return view(state, user_id, group, role)


def list_for(state: State, user_id: str, limit: int, token: str | None) -> Page[GroupView]:
    """The groups the caller has an effective role in, in creation order. A page costs O(limit + log n)
    while the tree and the caller's memberships stay as they are (`access.visible_index`); the first read
    after a change walks the groups the caller sees once, never up a chain of sub-groups."""
    visible = access.visible_index(state, user_id)
    page = state.cursors.page(
        visible.seqs, visible.by_seq.__getitem__, f"user-groups:{user_id}", limit, token
    )
    return Page([_current(state, user_id, group_id, role) for group_id, role in page.items], page.next_token)


def _current(state: State, user_id: str, group_id: str, role: Role) -> GroupView:
    """The view of the group as it is stored now (a renamed group is not a change the index follows)."""
    group = state.group(group_id)
    assert group is not None, f"{user_id} sees an unknown group {group_id}"
    return view(state, user_id, group, role)


def get(state: State, user_id: str, group_id: str) -> GroupView:
    group, role = access.require(state, user_id, group_id)
    return view(state, user_id, group, role)


def list_devices(state: State, user_id: str, group_id: str, limit: int, token: str | None) -> Page[Device]:
    """The group's own devices (not its sub-groups'), in creation order."""
    group, _ = access.require(state, user_id, group_id)
    return state.page_devices(group.id, limit, token)


def create(
    state: State,
    user_id: str,
    *,
    name: str | None,
    description: str | None,
    tags: Sequence[str] | None,
    parent_id: str | None,
    today: str,
    new_id: Callable[[], str],
    new_token: Callable[[], str],
) -> GroupView:
    """A new group (under `parent_id`, which needs `group:create` there); its creator is its owner and its
    Administrator."""
    if parent_id is not None:
        access.require(state, user_id, parent_id, roles.CREATE_SUBGROUP)
    group = Group(
        id=new_id(),
        name=name,
        description=description,
        parent=parent_id,
        owner_id=user_id,
        token=new_token(),
        tags=tuple(tags or ()),
        default_role=roles.VIEWER.id,
        created_by=user_id,
        updated_by=user_id,
        created_at=today,
        updated_at=today,
        seq=state.next_seq(),
    )
    state.put_group(group)
    state.add_membership(group.id, user_id, roles.ADMINISTRATOR.id)
    return _view_for(state, user_id, group)


def update(state: State, user_id: str, group_id: str, changes: GroupChanges, *, today: str) -> GroupView:
    """Apply `changes` all together or not at all. A new owner must have a role in the group; a move needs
    `group:create` on the new parent, which must not be the group itself or below it, and must keep the
    group's Subscribers (docs/contract-decisions.md, "The move rule")."""
    group, _ = access.require(state, user_id, group_id, roles.UPDATE)
    owner_id, parent_id = changes.owner_id, changes.parent_id
    if owner_id is not None and access.effective_role(state, owner_id, group) is None:
        raise NotFound(f"User {owner_id!r} is not a member of this group")
    if changes.default_role is not None:
        access.known_role(changes.default_role)
    if parent_id is not None and parent_id != group.parent:
        new_parent, _ = access.require(state, user_id, parent_id, roles.CREATE_SUBGROUP)
        if access.is_within(state, new_parent, group.id):
            raise Conflict("A group cannot be moved under itself or one of its sub-groups")
        if not access.keeps_its_subscribers(state, group, new_parent):
            raise Forbidden(
                "A move must keep the group's Subscriber: every Subscriber of the group must still be"
                " one under the new parent"
            )
    updated = replace(
        group,
        name=_new(changes.name, group.name),
        description=_new(changes.description, group.description),
        tags=group.tags if changes.tags is None else tuple(changes.tags),
        owner_id=_new(owner_id, group.owner_id),
        default_role=_new(changes.default_role, group.default_role),
        parent=_new(parent_id, group.parent),
        updated_at=today,
        updated_by=user_id,
    )
    state.put_group(updated)
    return _view_for(state, user_id, updated)


def _new(value: T | None, old: T) -> T:
    """A field after a change: `value` if one was given, else what it was."""
    return old if value is None else value
