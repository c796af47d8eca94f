"""Handlers for group members: invite by email, change a role, remove (or leave), list."""

from __future__ import annotations

from groupkit import wire
from groupkit.pagination import DEFAULT_LIMIT
from groupkit.store import Store
from groupkit.wire import JSON


async def invite_user(store: Store, user: str, body: JSON) -> JSON:
    return wire.relation(store.invite(user, body["groupId"], body["email"], body["roleId"]))


async def update_member(store: Store, user: str, body: JSON) -> JSON:
    return wire.relation(store.update_member(user, body["groupId"], body["userId"], body["roleId"]))


async def remove_member(store: Store, user: str, group_id: str, user_id: str | None = None) -> JSON:
    return wire.message(wire.REMOVALS[store.remove_member(user, group_id, user_id)])


async def list_group_users(
    store: Store, user: str, group_id: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return wire.page(store.list_group_users(user, group_id, limit, next_token), wire.member)
