"""Handlers for group members: invite by email, change a role, remove (or leave), list."""

from __future__ import annotations

from groupkit.model import JSON
from groupkit.pagination import DEFAULT_LIMIT
from groupkit.store import Store


async def invite_user(store: Store, user: str, body: JSON) -> JSON:
    return store.invite(user, body["groupId"], body["email"], body["roleId"])


async def update_member(store: Store, user: str, body: JSON) -> JSON:
    return store.update_member(user, body["groupId"], body["userId"], body["roleId"])


async def remove_member(store: Store, user: str, group_id: str, user_id: str | None = None) -> JSON:
    return {"message": store.remove_member(user, group_id, user_id)}


async def list_group_users(
    store: Store, user: str, group_id: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return store.list_group_users(user, group_id, limit, next_token).to_json()
