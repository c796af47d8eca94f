"""Handlers for groups: list the caller's groups, read, create and update one."""

from __future__ import annotations

from groupkit.model import JSON
from groupkit.pagination import DEFAULT_LIMIT
from groupkit.store import Store


async def list_user_groups(
    store: Store, user: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return store.list_user_groups(user, limit, next_token).to_json()


async def get_group(store: Store, user: str, group_id: str) -> list[JSON]:
    return [store.get_group(user, group_id)]  # the seed documents an array of one Group


async def create_group(store: Store, user: str, body: JSON, parent_id: str | None = None) -> JSON:
    return store.create_group(user, body, parent_id)


async def update_group(store: Store, user: str, body: JSON) -> JSON:
    return store.update_group(user, body)
