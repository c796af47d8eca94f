"""Handlers for groups: list the caller's groups, read, create and update one."""

from __future__ import annotations

from groupkit import wire
from groupkit.pagination import DEFAULT_LIMIT
from groupkit.store import Store
from groupkit.wire import JSON


async def list_user_groups(
    store: Store, user: str, limit: int = DEFAULT_LIMIT, next_token: str | None = None
) -> JSON:
    return wire.page(store.list_user_groups(user, limit, next_token), wire.group)


async def get_group(store: Store, user: str, group_id: str) -> list[JSON]:
    return [wire.group(store.get_group(user, group_id))]  # the seed documents an array of one Group


async def create_group(store: Store, user: str, body: JSON, parent_id: str | None = None) -> JSON:
    fields = {"name": body.get("name"), "description": body.get("description"), "tags": body.get("tags")}
    return wire.group(store.create_group(user, **fields, parent_id=parent_id))


async def update_group(store: Store, user: str, body: JSON) -> JSON:
    return wire.group(store.update_group(user, body["groupId"], wire.group_changes(body)))
