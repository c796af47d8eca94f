"""Handlers for the external API keys of a group (at most one per type)."""

from __future__ import annotations

from groupkit import wire
from groupkit.store import Store
from groupkit.wire import JSON


async def create_api_key(store: Store, user: str, body: JSON) -> JSON:
    key = store.create_api_key(user, body["groupId"], body["type"], body["name"], body["token"])
    return wire.api_key(key)


async def update_api_key(store: Store, user: str, body: JSON) -> JSON:
    changes = {"name": body.get("name"), "token": body.get("token")}
    return wire.api_key(store.update_api_key(user, body["groupId"], body["type"], **changes))


async def delete_api_key(store: Store, user: str, group_id: str, type_: str) -> JSON:
    store.delete_api_key(user, group_id, type_)
    return wire.message(wire.KEY_DELETED)
