"""Handlers for the external API keys of a group (at most one per type)."""

from __future__ import annotations

from groupkit.model import JSON
from groupkit.store import Store


async def create_api_key(store: Store, user: str, body: JSON) -> JSON:
    return store.create_api_key(user, body)


async def update_api_key(store: Store, user: str, body: JSON) -> JSON:
    return store.update_api_key(user, body)


async def delete_api_key(store: Store, user: str, group_id: str, type_: str) -> JSON:
    store.delete_api_key(user, group_id, type_)
    return {"message": "API key deleted"}
